//! The scan pipeline: discover → read → parse → rules → suppress → findings.
//!
//! Each file is read once and processed on its own thread (rayon); only its findings, with
//! masked snippets, outlive it, so memory follows the largest file rather than the tree.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::discover::{self, Discovered};
use crate::finding::{Finding, Fix, Location, Notification, Related, Replacement, Report, Snippet};
use crate::fingerprint::{self, MASK};
use crate::parse::{self, Document};
use crate::rules::meta::{parse_error::PARSE_ERROR, unused_ignore::UNUSED_IGNORE};
use crate::rules::{self, Context, Draft, Project, Redaction, RelatedDraft, Rule};
use crate::source::{FileKind, LineCol, SourceFile, Span};
use crate::suppress;

/// Lines of a multi-line finding shown in snippets.
const SNIPPET_LINES: usize = 4;

pub struct ScanOptions {
    pub roots: Vec<PathBuf>,
    pub config: Config,
    /// Paths are shown relative to this folder when the files are below it.
    pub cwd: PathBuf,
    /// Run only these rules (the fixture tests use this); `None` runs every enabled rule.
    pub only: Option<Vec<&'static str>>,
    /// GitHub lookups for the online rules; they are inactive without it.
    pub online: Option<std::sync::Arc<crate::online::Online>>,
}

impl ScanOptions {
    pub fn rule_active(&self, rule: &Rule) -> bool {
        self.config.enabled(rule)
            && (!rule.online || self.online.is_some())
            && self
                .only
                .as_ref()
                .is_none_or(|only| only.contains(&rule.id))
    }
}

pub fn scan(options: &ScanOptions) -> Report {
    let mut files = discover::discover(
        &options.roots,
        &options.config.exclude,
        &options.cwd,
        options.config.secrets_scope_all,
    );

    // `.env` files are read first: compose interpolation needs them. Their text is kept and
    // scanned from memory, so each file is still read once.
    let mut early: HashMap<PathBuf, Result<String, String>> = HashMap::new();
    let mut project = Project {
        options: options.config.options.clone(),
        cwd: options.cwd.clone(),
        online: options.online.clone(),
        ..Project::default()
    };
    for file in files.iter().filter(|f| f.kind == FileKind::Env) {
        let text = read(&file.path, options.config.max_file_size);
        if let (Ok(text), Some(dir)) = (&text, file.path.parent())
            && file.path.file_name().is_some_and(|n| n == ".env")
        {
            project
                .env_files
                .insert(dir.to_path_buf(), parse::env::parse(text));
        }
        early.insert(file.path.clone(), text);
    }
    include_referenced_compose_files(&mut files, &mut early, &mut project, options);

    let outcomes: Vec<FileOutcome> = files
        .par_iter()
        .map(|file| {
            let text = match early.get(&file.path) {
                Some(t) => t.clone(),
                None => read(&file.path, options.config.max_file_size),
            };
            // A bug on one hostile file must not stop the scan of the others.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                scan_file(file, text, &project, options)
            }))
            .unwrap_or_else(|_| FileOutcome {
                findings: vec![unreadable_finding(
                    &file.display,
                    "internal error while checking this file (please report it); not checked"
                        .to_string(),
                    &options.config,
                )],
                suppressed: 0,
                not_checked: Vec::new(),
            })
        })
        .collect();

    let mut report = Report {
        files_scanned: files.len(),
        ..Report::default()
    };
    for outcome in outcomes {
        report.findings.extend(outcome.findings);
        report.suppressed += outcome.suppressed;
        report.not_checked += outcome.not_checked.len();
        report.notifications.extend(outcome.not_checked);
    }
    if let Some(online) = &options.online {
        report.notifications.extend(online.notes());
    }
    report
        .findings
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    report
}

/// Compose files named by another compose file's `include:` or `extends: {file}` are compose
/// files whatever their name: add them to the scan (once, and only inside the scan roots).
/// Their text is kept, so each is still read once.
fn include_referenced_compose_files(
    files: &mut Vec<Discovered>,
    early: &mut HashMap<PathBuf, Result<String, String>>,
    project: &mut Project,
    options: &ScanOptions,
) {
    let roots: Vec<PathBuf> = options
        .roots
        .iter()
        .filter_map(|r| std::fs::canonicalize(r).ok())
        .collect();
    let mut known: HashSet<PathBuf> = files
        .iter()
        .filter_map(|f| std::fs::canonicalize(&f.path).ok())
        .collect();
    let mut queue: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.kind == FileKind::Compose)
        .map(|f| f.path.clone())
        .collect();
    while let Some(path) = queue.pop() {
        let text = early
            .entry(path.clone())
            .or_insert_with(|| read(&path, options.config.max_file_size));
        let Ok(text) = text else { continue };
        let Some(dir) = path.parent() else { continue };
        let Ok(Some(root)) = parse::yaml::parse(text) else {
            continue;
        };
        // Where each env file is loaded, for `committed-env-file`'s related locations.
        let display = discover::display_path(&path, dir, &options.cwd);
        let lines = crate::source::LineIndex::new(text);
        let mut env_files = Vec::new();
        for (file, node) in parse::compose::env_files(&root) {
            if let Ok(canonical) = std::fs::canonicalize(dir.join(&file)) {
                project
                    .env_file_loaders
                    .entry(canonical)
                    .or_default()
                    .push(Location {
                        path: display.clone(),
                        start: lines.line_col(text, node.span.start as usize),
                        end: lines.line_col(text, node.span.end as usize),
                    });
                env_files.push(file);
            }
        }
        // An env file a service loads is an env file whatever its name (`app.env`).
        for file in env_files {
            let candidate = dir.join(&file);
            let Ok(canonical) = std::fs::canonicalize(&candidate) else {
                continue;
            };
            if roots.iter().any(|r| canonical.starts_with(r))
                && canonical.is_file()
                && known.insert(canonical)
            {
                let display = discover::display_path(&candidate, dir, &options.cwd);
                if !options.config.exclude.is_match(&display) {
                    files.push(Discovered {
                        path: candidate,
                        display,
                        kind: FileKind::Env,
                    });
                }
            }
        }
        for reference in parse::compose::referenced_files(&root) {
            let candidate = dir.join(reference);
            let Ok(canonical) = std::fs::canonicalize(&candidate) else {
                continue;
            };
            let inside = roots.iter().any(|r| canonical.starts_with(r));
            if !inside || !canonical.is_file() || !known.insert(canonical) {
                continue;
            }
            let display = discover::display_path(&candidate, dir, &options.cwd);
            if options.config.exclude.is_match(&display) {
                continue;
            }
            files.push(Discovered {
                path: candidate.clone(),
                display,
                kind: FileKind::Compose,
            });
            queue.push(candidate);
        }
    }
    files.sort_by(|a, b| a.display.cmp(&b.display));
}

/// Read a file as UTF-8 text, or say why it cannot be scanned.
pub fn read(path: &Path, max_size: u64) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read the file: {e}"))?
        .len();
    if size > max_size {
        return Err(format!(
            "file is {:.1} MiB, over the {:.1} MiB size limit; not scanned",
            size as f64 / 1048576.0,
            max_size as f64 / 1048576.0
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the file: {e}"))?;
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err("binary file (it contains NUL bytes); not scanned".to_string());
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!("not valid UTF-8 (line {line}); not scanned")
    })?;
    if text.starts_with('\u{feff}') {
        // Editors do not count the byte-order mark as a column.
        text.drain(..3);
    }
    Ok(text)
}

struct FileOutcome {
    findings: Vec<Finding>,
    suppressed: usize,
    not_checked: Vec<Notification>,
}

fn scan_file(
    file: &Discovered,
    text: Result<String, String>,
    project: &Project,
    options: &ScanOptions,
) -> FileOutcome {
    let text = match text {
        Ok(text) => text,
        // Other text files are scanned when they can be; a binary one is simply not text.
        Err(_) if file.kind == FileKind::Text => {
            return FileOutcome {
                findings: Vec::new(),
                suppressed: 0,
                not_checked: Vec::new(),
            };
        }
        Err(reason) => {
            let findings = if options.rule_active(&PARSE_ERROR) {
                vec![unreadable_finding(&file.display, reason, &options.config)]
            } else {
                Vec::new()
            };
            return FileOutcome {
                findings,
                suppressed: 0,
                not_checked: Vec::new(),
            };
        }
    };
    // Other text files are only read for credentials: most have no keyword at all.
    if file.kind == FileKind::Text && !crate::rules::secrets::providers::any_keyword(&text) {
        return FileOutcome {
            findings: Vec::new(),
            suppressed: 0,
            not_checked: Vec::new(),
        };
    }
    let source = SourceFile::new(file.display.clone(), file.kind, text);
    let (doc, errors) = parse::parse(file.kind, &source.text);
    let doc = doc.unwrap_or(Document::Unparsed);

    let mut cx = Context::new(&source, &file.path, project);
    if options.rule_active(&PARSE_ERROR) {
        cx.set_rule(&PARSE_ERROR);
        for error in &errors {
            cx.report(error.span, error.message.clone()).help(format!(
                "fix the {} so that it parses; what could not be parsed was not checked",
                file.kind.name()
            ));
        }
    }
    for rule in rules::ALL.iter().copied() {
        if let Some(check) = rule.check
            && rule.applies_to(file.kind)
            && options.rule_active(rule)
        {
            cx.set_rule(rule);
            check(&doc, &mut cx);
        }
    }
    let mut drafts = std::mem::take(&mut cx.drafts);
    let redactions = std::mem::take(&mut cx.redactions);
    let mut not_checked = std::mem::take(&mut cx.not_checked);

    // One value, one finding: a span reached several times (an anchor merged into several
    // services) is reported once, saying how many places use it.
    let mut uses: HashMap<(&str, Span), usize> = HashMap::new();
    for d in &drafts {
        *uses.entry((d.rule.id, d.span)).or_insert(0) += 1;
    }
    let mut seen = HashSet::new();
    drafts.retain(|d| seen.insert((d.rule.id, d.span)));
    for d in &mut drafts {
        let n = uses[&(d.rule.id, d.span)];
        if n > 1 {
            d.message
                .push_str(&format!(" (this value applies in {n} places)"));
        }
    }

    // Suppression: configuration ignores, then inline comments.
    let instruction_lines = match &doc {
        Document::Dockerfile(df) => df
            .instructions
            .iter()
            .map(|i| {
                (
                    source.line_col(i.span.start as usize).line,
                    source.line_col(i.span.end as usize).line,
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    let comments = suppress::find(&source, &instruction_lines);
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    let mut suppressed = 0;
    let mut kept = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let line = source.line_col(draft.span.start as usize).line;
        let by_config = options.config.ignores.iter().any(|ig| {
            ig.paths.is_match(&source.path)
                && (ig.rules.is_empty() || ig.rules.iter().any(|r| r == draft.rule.id))
                && ig.fingerprint.is_none()
        });
        let mut by_comment = false;
        for (ci, comment) in comments.iter().enumerate() {
            if (comment.first_line..=comment.last_line).contains(&line) {
                for (ii, (id, _)) in comment.ids.iter().enumerate() {
                    if id == draft.rule.id {
                        by_comment = true;
                        used.insert((ci, ii));
                    }
                }
            }
        }
        if by_config || by_comment {
            suppressed += 1;
        } else {
            kept.push(draft);
        }
    }
    if options.rule_active(&UNUSED_IGNORE) {
        cx.set_rule(&UNUSED_IGNORE);
        for (ci, comment) in comments.iter().enumerate() {
            for (ii, (id, span)) in comment.ids.iter().enumerate() {
                if used.contains(&(ci, ii)) {
                    continue;
                }
                match rules::by_id(id) {
                    None => {
                        cx.report(
                            *span,
                            format!("Ignore comment names `{id}`, which is not a Portcullis rule"),
                        )
                        .help("fix the rule id (`portcullis rules` lists them) or remove it");
                    }
                    Some(rule) if rule.applies_to(source.kind) && options.rule_active(rule) => {
                        cx.report(
                            *span,
                            format!(
                                "Ignore comment for `{id}` suppresses nothing on the line it covers"
                            ),
                        )
                        .help("remove the stale ignore so that it cannot hide a future finding");
                    }
                    Some(_) => {}
                }
            }
        }
        kept.append(&mut cx.drafts);
    }

    not_checked.sort();
    not_checked.dedup_by(|a, b| a.0 == b.0);
    let not_checked = not_checked
        .into_iter()
        .map(|(span, what)| Notification {
            level: crate::finding::Level::Note,
            message: format!(
                "{}:{}: not checked: {what}",
                source.path,
                source.line_col(span.start as usize).line
            ),
            path: Some(source.path.clone()),
        })
        .collect();

    FileOutcome {
        findings: resolve(&source, kept, &redactions, &options.config),
        suppressed,
        not_checked,
    }
}

/// Turn drafts into findings: positions, masked snippets, fingerprints.
fn resolve(
    source: &SourceFile,
    drafts: Vec<Draft>,
    redactions: &[Redaction],
    config: &Config,
) -> Vec<Finding> {
    if drafts.is_empty() {
        return Vec::new();
    }
    let masked = fingerprint::mask(&source.text, redactions);
    let hashes = fingerprint::line_hashes(&masked);
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    let mut findings = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let start = source.line_col(draft.span.start as usize);
        let mut end = source.line_col(draft.span.end as usize);
        if end == start {
            // Regions are never empty: GitHub needs a character to point at.
            end.column += 1;
        }
        let snippet = snippet(source, draft.span, start, end, redactions);
        let span_text = masked_slice(source, draft.span, redactions);
        let line_text = snippet.lines.first().cloned().unwrap_or_default();
        let key = format!("{}\0{}\0{}", draft.rule.id, line_text.trim(), span_text);
        let occurrence = occurrences.entry(key).or_insert(0);
        let fp = fingerprint::fingerprint(
            draft.rule.id,
            &source.path,
            &line_text,
            &span_text,
            *occurrence,
        );
        *occurrence += 1;
        let related = draft
            .related
            .into_iter()
            .map(|related| match related {
                RelatedDraft::Here(span, message) => Related {
                    location: Location {
                        path: source.path.clone(),
                        start: source.line_col(span.start as usize),
                        end: source.line_col(span.end as usize),
                    },
                    message,
                },
                RelatedDraft::There(location, message) => Related { location, message },
            })
            .collect();
        findings.push(Finding {
            rule: draft.rule,
            level: match (config.levels.get(draft.rule.id), draft.level) {
                (Some(&configured), _) => configured,
                (None, Some(own)) => own,
                (None, None) => draft.rule.level,
            },
            location: Location {
                path: source.path.clone(),
                start,
                end,
            },
            message: scrub(&draft.message, source, redactions),
            help: draft.help.map(|h| scrub(&h, source, redactions)),
            related,
            snippet,
            fingerprint: fp,
            line_hash: hashes
                .get(start.line as usize - 1)
                .cloned()
                .unwrap_or_default(),
            fix: draft.fix.map(|(description, edits)| Fix {
                description,
                replacements: edits
                    .into_iter()
                    .map(|(span, text)| Replacement {
                        start: source.line_col(span.start as usize),
                        end: source.line_col(span.end as usize),
                        text,
                    })
                    .collect(),
            }),
        });
    }
    findings
}

/// A message with any secret of the file masked: a last line of defence for messages that
/// quote source text (a parse error naming an unknown instruction, say).
fn scrub(message: &str, source: &SourceFile, redactions: &[Redaction]) -> String {
    let mut out = message.to_string();
    for r in redactions {
        let hidden = &source.text[r.span.start as usize + r.visible..r.span.end as usize];
        if hidden.len() >= 4 && out.contains(hidden) {
            out = out.replace(hidden, MASK);
        }
    }
    out
}

/// The text of `span` with secrets masked.
fn masked_slice(source: &SourceFile, span: Span, redactions: &[Redaction]) -> String {
    let local: Vec<Redaction> = redactions
        .iter()
        .filter(|r| r.span.start < span.end && span.start < r.span.end)
        .map(|r| {
            let start = r.span.start.max(span.start);
            let hidden_from = (r.span.start as usize + r.visible).max(start as usize);
            Redaction {
                span: Span::new(
                    start as usize - span.start as usize,
                    r.span.end.min(span.end) as usize - span.start as usize,
                ),
                visible: hidden_from - start as usize,
            }
        })
        .collect();
    fingerprint::mask(source.slice(span), &local).into_owned()
}

/// Lines `start..=end` (at most `SNIPPET_LINES`) with secrets masked, and the underline of the
/// first line in masked columns.
fn snippet(
    source: &SourceFile,
    span: Span,
    start: LineCol,
    end: LineCol,
    redactions: &[Redaction],
) -> Snippet {
    let mut lines = Vec::new();
    let mut underline = (start.column, start.column + 1);
    let last = end.line.min(start.line + SNIPPET_LINES as u32 - 1);
    for line in start.line..=last {
        let line_span = source.lines.line_span(&source.text, line as usize - 1);
        let text = masked_slice(source, line_span, redactions);
        if line == start.line {
            let col_of = |offset: usize| -> u32 {
                let prefix = Span::new(
                    line_span.start as usize,
                    offset.clamp(line_span.start as usize, line_span.end as usize),
                );
                masked_slice(source, prefix, redactions).chars().count() as u32 + 1
            };
            let from = col_of(span.start as usize);
            let to = if end.line == start.line {
                col_of(span.end as usize)
            } else {
                text.chars().count() as u32 + 1
            };
            // A span that ends inside a mask underlines the whole mask.
            let to = if text.contains(MASK) {
                to.max(from + 1)
            } else {
                to
            };
            underline = (from, to.max(from + 1));
        }
        lines.push(text);
    }
    Snippet {
        first_line: start.line,
        lines,
        underline,
    }
}

fn unreadable_finding(path: &str, reason: String, config: &Config) -> Finding {
    let at = LineCol { line: 1, column: 1 };
    let end = LineCol { line: 1, column: 2 };
    Finding {
        rule: &PARSE_ERROR,
        level: config.level(&PARSE_ERROR),
        location: Location {
            path: path.to_string(),
            start: at,
            end,
        },
        message: reason,
        help: Some("Portcullis checks UTF-8 text files up to the size limit (`max-file-size` in portcullis.toml)".to_string()),
        related: Vec::new(),
        snippet: Snippet::default(),
        fingerprint: fingerprint::fingerprint(PARSE_ERROR.id, path, "", "", 0),
        line_hash: String::new(),
        fix: None,
    }
}
