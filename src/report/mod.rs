//! Renderers: each turns one `Report` into one output format, and nothing else formats findings.

pub mod github;
pub mod human;
pub mod json;
pub mod org;
pub mod sarif;
pub mod summary;

use std::io::{self, Write};

use crate::descriptor::RuleDescriptor;
use crate::finding::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable terminal output with source snippets.
    Human,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// Portcullis' own JSON (documented in docs/json-output.md).
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// What renderers need beyond the findings.
pub struct RenderContext<'a> {
    /// The enabled rules, in registry order: SARIF `rules[]`.
    pub rules: &'a [&'static RuleDescriptor],
    /// The configured level of each rule.
    pub level_of: &'a (dyn Fn(&RuleDescriptor) -> crate::finding::Level + Sync),
    pub color: bool,
    pub quiet: bool,
    /// Notes in full in human output (by default one line each).
    pub verbose: bool,
    /// The lowest level the summary's tables list (its verdict and counts see every finding).
    pub min_level: crate::finding::Level,
    /// Absolute folder the relative paths are relative to (SARIF `%SRCROOT%`).
    pub root_uri: Option<String>,
    pub category: Option<String>,
    /// `https://github.com/OWNER/REPO/blob/SHA`, for links in the step summary.
    pub blob_uri: Option<String>,
    /// The lowest level that fails the run (`None`: `--fail-on never`), for the summary's
    /// verdict.
    pub threshold: Option<crate::finding::Level>,
    /// Where the full results are read when they are uploaded (the Security tab), for the
    /// summary.
    pub results_uri: Option<String>,
}

pub fn render(
    format: Format,
    report: &Report,
    cx: &RenderContext,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(report, cx, out),
        Format::Sarif => sarif::render(report, cx, out),
        Format::Json => json::render(report, cx, out),
        Format::Github => github::render(report, cx, out),
    }
}

/// Write one rendering of each of `items`, in order, rendering them on every core: a wave of
/// items at a time is rendered in blocks, each block into its own buffer, and the buffers are
/// written in order. The text in memory at once is one wave's, however many items there are.
/// `each` gets the item's index in `items` (for separators).
pub(crate) fn write_each<T: Sync>(
    out: &mut dyn Write,
    items: &[T],
    each: impl Fn(&mut Vec<u8>, usize, &T) -> io::Result<()> + Sync,
) -> io::Result<()> {
    use rayon::prelude::*;
    const BLOCK: usize = 256;
    // Eight blocks keep every core busy; a wave of 2,048 SARIF results is about 2 MB of text.
    const WAVE: usize = 8 * BLOCK;
    for (wave_index, wave) in items.chunks(WAVE).enumerate() {
        let blocks: Vec<io::Result<Vec<u8>>> = wave
            .par_chunks(BLOCK)
            .enumerate()
            .map(|(block_index, block)| {
                let first = wave_index * WAVE + block_index * BLOCK;
                let mut buffer = Vec::with_capacity(block.len() * 512);
                for (offset, item) in block.iter().enumerate() {
                    each(&mut buffer, first + offset, item)?;
                }
                Ok(buffer)
            })
            .collect();
        for block in blocks {
            out.write_all(&block?)?;
        }
    }
    Ok(())
}

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub const INFORMATION_URI: &str = "https://github.com/portcullis-dev/portcullis";

pub fn rule_doc_uri(id: &str) -> String {
    format!("{INFORMATION_URI}/blob/main/docs/rules/{id}.md")
}
