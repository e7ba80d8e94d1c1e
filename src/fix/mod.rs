//! `portcullis fix --pin`: pin actions to the commit their ref names now (`@<sha> # v4`) and
//! images to the digest their tag names now (`name:tag@sha256:…`), each distinct action, ref
//! and image resolved once. Edits keep everything else: indentation, quotes, comments, line
//! endings, the number of lines.

mod actions;
mod images;

use std::collections::HashMap;
use std::path::PathBuf;

pub use actions::{Unpinned, rewrite, unpinned_uses};
pub use images::{ImagePin, candidates, insert_digests};

use crate::source::FileKind;

/// Where `fix --pin` looks things up.
pub struct Settings<'a> {
    pub api_url: &'a str,
    pub token: Option<&'a str>,
    /// Send every registry request here instead of the image's registry (a mirror).
    pub registry_mirror: Option<&'a str>,
    /// The registries that may be asked for digests (without a mirror).
    pub allowed_registries: crate::registry::Allowed,
    pub dry_run: bool,
}

/// What `fix --pin` did.
#[derive(Debug, Default)]
pub struct Summary {
    pub pinned_actions: usize,
    pub pinned_images: usize,
    pub files_changed: usize,
    /// `what: reason` for refs and tags that could not be resolved (left as they were).
    pub unresolved: Vec<String>,
    /// References left alone on purpose (a variable, no version), with the reason.
    pub skipped: Vec<String>,
    /// The diff, for `--dry-run`.
    pub diff: String,
}

/// Pin the actions and images of `files` (path, display path, kind); write them unless
/// `settings.dry_run`.
pub fn pin(files: &[(PathBuf, String, FileKind)], settings: &Settings) -> Result<Summary, String> {
    let mut summary = Summary::default();
    let mut texts = Vec::new();
    let mut image_pins = Vec::new();
    for (path, display, kind) in files {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{display}: {e}"))?;
        image_pins.push(candidates(
            path,
            display,
            *kind,
            &text,
            &mut summary.skipped,
        ));
        texts.push(text);
    }

    let mut references: Vec<&str> = image_pins
        .iter()
        .flatten()
        .map(|p| p.reference.as_str())
        .collect();
    references.sort();
    references.dedup();
    let mut digests = HashMap::new();
    if !references.is_empty() {
        let mut registries = crate::registry::Registries::new(
            settings.registry_mirror,
            settings.allowed_registries.clone(),
        )?;
        for reference in references {
            match registries.digest(reference) {
                Ok(digest) => {
                    digests.insert(reference.to_string(), digest);
                }
                Err(e) => summary.unresolved.push(format!("{reference}: {e}")),
            }
        }
    }

    // Images first: their edits are insertions at byte offsets of the text as read. The action
    // rewrite then works on lines, which the insertions never add or remove.
    let mut texts_with_digests = Vec::new();
    let mut found = Vec::new();
    for ((text, pins), (_, _, kind)) in texts.iter().zip(&image_pins).zip(files) {
        let (new, pinned) = insert_digests(text, pins, &digests);
        summary.pinned_images += pinned;
        found.push(if matches!(kind, FileKind::Workflow | FileKind::Action) {
            unpinned_uses(&new)
        } else {
            Vec::new()
        });
        texts_with_digests.push(new);
    }
    let mut wanted: Vec<(String, String)> = found
        .iter()
        .flatten()
        .map(|u| (u.repository.clone(), u.reference.clone()))
        .collect();
    wanted.sort();
    wanted.dedup();
    let commits = actions::resolve(
        &wanted,
        settings.api_url,
        settings.token,
        &mut summary.unresolved,
    )?;

    for (((path, display, _), text), (with_digests, found)) in files
        .iter()
        .zip(&texts)
        .zip(texts_with_digests.iter().zip(&found))
    {
        let new = rewrite(with_digests, found, &commits);
        summary.pinned_actions += found
            .iter()
            .filter(|u| commits.contains_key(&(u.repository.clone(), u.reference.clone())))
            .count();
        if new == *text {
            continue;
        }
        summary.files_changed += 1;
        summary.diff.push_str(&diff(display, text, &new));
        if !settings.dry_run {
            std::fs::write(path, &new).map_err(|e| format!("{display}: {e}"))?;
        }
    }
    Ok(summary)
}

/// A zero-context unified diff of two texts with the same number of lines.
pub fn diff(path: &str, old: &str, new: &str) -> String {
    let mut out = String::new();
    for (i, (a, b)) in old.split('\n').zip(new.split('\n')).enumerate() {
        if a != b {
            if out.is_empty() {
                out.push_str(&format!("--- a/{path}\n+++ b/{path}\n"));
            }
            out.push_str(&format!("@@ -{0} +{0} @@\n-{a}\n+{b}\n", i + 1));
        }
    }
    out
}
