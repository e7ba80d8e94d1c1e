//! The scan pipeline: discover → read → parse → rules → suppress → findings.
//!
//! Each file is read once and processed on its own thread (rayon); only its findings, with
//! masked snippets, outlive it, so memory follows the largest file rather than the tree.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::Config;
use crate::discover::{self, Discovered};
use crate::finding::{
    Finding, Fix, Location, Notification, Related, Replacement, Report, Snippet, Suppression,
};
use crate::fingerprint::{self, MASK};
use crate::parse::{self, Document};
use crate::redact::Redactor;
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
    /// Rules run after the built-in ones (tests prove containment with a rule that fails).
    pub extra_rules: Vec<&'static Rule>,
    /// Whether `.gitignore` keeps untracked files out. Off for the scan of a base tree,
    /// which holds only the files the base tracked.
    pub gitignore: bool,
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
    let (mut files, walk_notes) = discover::discover(
        &options.roots,
        &options.config.exclude,
        &options.cwd,
        options.config.secrets_scope_all,
        options.gitignore,
    );

    // `.env` files are read first: compose interpolation needs them. Their text is kept and
    // scanned from memory, so each file is still read once.
    let mut early: HashMap<PathBuf, Result<Loaded, ReadError>> = HashMap::new();
    let mut project = Project {
        options: options.config.options.clone(),
        cwd: options.cwd.clone(),
        online: options.online.clone(),
        roots: options
            .roots
            .iter()
            .filter_map(|r| std::fs::canonicalize(r).ok())
            .map(|r| {
                if r.is_file() {
                    r.parent().map(Path::to_path_buf).unwrap_or(r)
                } else {
                    r
                }
            })
            .collect(),
        max_file_size: options.config.max_file_size,
        ..Project::default()
    };
    let env_files: Vec<(
        PathBuf,
        Result<Loaded, ReadError>,
        Option<parse::env::EnvFile>,
    )> = files
        .par_iter_mut()
        .filter(|f| f.kind == FileKind::Env && f.refused.is_none())
        .map(|file| {
            let loaded = load_discovered(file, options.config.max_file_size);
            let parsed = match &loaded {
                Ok(loaded) if file.path.file_name().is_some_and(|n| n == ".env") => {
                    Some(parse::env::parse(&loaded.text))
                }
                _ => None,
            };
            (file.path.clone(), loaded, parsed)
        })
        .collect();
    for (path, loaded, parsed) in env_files {
        if let (Some(parsed), Some(dir)) = (parsed, path.parent()) {
            project.env_files.insert(dir.to_path_buf(), parsed);
        }
        early.insert(path, loaded);
    }
    include_referenced_compose_files(&mut files, &mut early, &mut project, options);

    // The texts read early move to their files' tasks: each file is read once, and copied never.
    let read_early: Vec<Option<Result<Loaded, ReadError>>> =
        files.iter().map(|file| early.remove(&file.path)).collect();
    let small_texts: Vec<Option<Vec<u8>>> = files.iter_mut().map(|f| f.text.take()).collect();
    let outcomes: Vec<FileOutcome> = files
        .par_iter()
        .zip(read_early)
        .zip(small_texts)
        .map(|((file, read_early), small_text)| {
            let loaded = match (&file.refused, read_early, small_text) {
                (Some(_), _, _) => Err(ReadError::NotRegular),
                (None, Some(loaded), _) => loaded,
                (None, None, Some(bytes)) => within_limit(bytes, options.config.max_file_size),
                (None, None, None) => load(&file.path, options.config.max_file_size),
            };
            // Rules run contained one by one; this is the last line of defence for the rest.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                scan_file(file, loaded, &project, options)
            }))
            .unwrap_or_else(|_| FileOutcome {
                findings: vec![Box::new(unreadable_finding(
                    &file.display,
                    "internal error while checking this file (please report it); not checked"
                        .to_string(),
                    &options.config,
                ))],
                ..FileOutcome::default()
            })
        })
        .collect();

    let mut report = Report {
        files_scanned: files.len(),
        ..Report::default()
    };
    report
        .notifications
        .extend(walk_notes.into_iter().map(|message| Notification {
            level: crate::finding::Level::Warning,
            message,
            path: None,
        }));
    let mut secrets = Vec::new();
    // The finding list is most of a run's memory: allocated once, at its size.
    report
        .findings
        .reserve_exact(outcomes.iter().map(|o| o.findings.len()).sum());
    for outcome in outcomes {
        secrets.extend(outcome.secrets);
        report.findings.extend(outcome.findings);
        report.suppressed += outcome.suppressions.len();
        report.suppressions.extend(outcome.suppressions);
        report.not_checked += outcome.not_checked.len();
        report.notifications.extend(outcome.not_checked);
        report.notifications.extend(outcome.notes);
    }
    if let Some(online) = &options.online {
        report.notifications.extend(online.notes());
    }
    report.redactor = Redactor::new(secrets);
    scrub_report(&mut report);
    crate::finding::sort_findings(&mut report.findings);
    report
}

/// Mask every secret of the run in every text of the report: messages, help, related
/// locations, snippets, fixes, suppressions and notifications.
fn scrub_report(report: &mut Report) {
    let redactor = &report.redactor;
    if redactor.is_empty() {
        return;
    }
    let scrub_finding = |finding: &mut Finding| {
        redactor.scrub_in_place(&mut finding.message);
        if let Some(help) = &mut finding.help
            && let std::borrow::Cow::Owned(scrubbed) = redactor.scrub(help)
        {
            *help = std::borrow::Cow::Owned(scrubbed);
        }
        for related in &mut finding.related {
            redactor.scrub_in_place(&mut related.message);
        }
        for line in &mut finding.snippet.lines {
            redactor.scrub_in_place(line);
        }
        if let Some(fix) = &mut finding.fix {
            redactor.scrub_in_place(&mut fix.description);
            for replacement in &mut fix.replacements {
                redactor.scrub_in_place(&mut replacement.text);
            }
        }
    };
    // Each finding is scrubbed on its own: in parallel.
    report
        .findings
        .par_iter_mut()
        .for_each(|f| scrub_finding(f));
    report
        .suppressions
        .par_iter_mut()
        .for_each(|s| scrub_finding(&mut s.finding));
    for note in &mut report.notifications {
        redactor.scrub_in_place(&mut note.message);
    }
}

/// Compose files named by another compose file's `include:` or `extends: {file}` are compose
/// files whatever their name: add them to the scan (once, and only inside the scan roots).
/// Their text is kept, so each is still read once.
fn include_referenced_compose_files(
    files: &mut Vec<Discovered>,
    early: &mut HashMap<PathBuf, Result<Loaded, ReadError>>,
    project: &mut Project,
    options: &ScanOptions,
) {
    let roots = project.roots.clone();
    // Every compose file is read and parsed on all cores first; the links are then followed in
    // order, one file at a time, as before.
    let mut links: HashMap<PathBuf, ComposeLinks> = files
        .par_iter_mut()
        .filter(|f| f.kind == FileKind::Compose && f.refused.is_none())
        .map(|file| {
            let loaded = load_discovered(file, options.config.max_file_size);
            let links = match &loaded {
                Ok(loaded) => compose_links(&file.path, &loaded.text, &options.cwd),
                Err(_) => ComposeLinks::default(),
            };
            (file.path.clone(), (loaded, links))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(path, (loaded, links))| {
            early.insert(path.clone(), loaded);
            (path, links)
        })
        .collect();
    // The files already listed, by their real paths: asked for only when a link needs it.
    let mut known: Option<HashSet<PathBuf>> = None;
    let mut queue: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.kind == FileKind::Compose)
        .map(|f| f.path.clone())
        .collect();
    while let Some(path) = queue.pop() {
        let links = match links.remove(&path) {
            Some(links) => links,
            None => {
                let loaded = early
                    .entry(path.clone())
                    .or_insert_with(|| load(&path, options.config.max_file_size));
                match loaded {
                    Ok(Loaded { text, .. }) => compose_links(&path, text, &options.cwd),
                    Err(_) => continue,
                }
            }
        };
        if links.env_files.is_empty() && links.references.is_empty() {
            continue;
        }
        let known = known.get_or_insert_with(|| {
            files
                .par_iter()
                .filter_map(|f| std::fs::canonicalize(&f.path).ok())
                .collect()
        });
        for (_, canonical, location) in &links.env_files {
            project
                .env_file_loaders
                .entry(canonical.clone())
                .or_default()
                .push(location.clone());
        }
        // An env file a service loads is an env file whatever its name (`app.env`).
        for (candidate, canonical, _) in links.env_files {
            if roots.iter().any(|r| canonical.starts_with(r))
                && canonical.is_file()
                && known.insert(canonical)
            {
                let display = discover::display_path(&candidate, &options.cwd);
                if !options.config.exclude.is_match(&display) {
                    files.push(Discovered {
                        path: candidate,
                        display,
                        kind: FileKind::Env,
                        refused: None,
                        text: None,
                    });
                }
            }
        }
        for (candidate, canonical) in links.references {
            let inside = roots.iter().any(|r| canonical.starts_with(r));
            if !inside || !canonical.is_file() || !known.insert(canonical) {
                continue;
            }
            let display = discover::display_path(&candidate, &options.cwd);
            if options.config.exclude.is_match(&display) {
                continue;
            }
            files.push(Discovered {
                path: candidate.clone(),
                display,
                kind: FileKind::Compose,
                refused: None,
                text: None,
            });
            queue.push(candidate);
        }
    }
    files.sort_by(|a, b| a.display.cmp(&b.display));
}

/// What a compose file says of other files.
#[derive(Default)]
struct ComposeLinks {
    /// The env files its services load that exist: as written (joined to the file's folder),
    /// their real path, and where the file names them.
    env_files: Vec<(PathBuf, PathBuf, Location)>,
    /// The compose files it extends or includes that exist: as written, and their real path.
    references: Vec<(PathBuf, PathBuf)>,
}

fn compose_links(path: &Path, text: &str, cwd: &Path) -> ComposeLinks {
    let mut links = ComposeLinks::default();
    let Some(dir) = path.parent() else {
        return links;
    };
    let Ok(Some(root)) = parse::yaml::parse(text) else {
        return links;
    };
    let env_files = parse::compose::env_files(&root);
    let references = parse::compose::referenced_files(&root);
    if env_files.is_empty() && references.is_empty() {
        return links;
    }
    // Where each env file is loaded, for `committed-env-file`'s related locations.
    let display = discover::display_path(path, cwd);
    let lines = crate::source::LineIndex::new(text);
    for (file, node) in env_files {
        let candidate = dir.join(&file);
        if let Ok(canonical) = std::fs::canonicalize(&candidate) {
            let location = Location {
                path: display.clone(),
                start: lines.line_col(text, node.span.start as usize),
                end: lines.line_col(text, node.span.end as usize),
            };
            links.env_files.push((candidate, canonical, location));
        }
    }
    for reference in references {
        let candidate = dir.join(reference);
        if let Ok(canonical) = std::fs::canonicalize(&candidate) {
            links.references.push((candidate, canonical));
        }
    }
    links
}

/// A file's text as Portcullis reads it: UTF-8, with any byte-order mark removed and any
/// undecodable byte replaced by U+FFFD, so that every rule that can still run does.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub text: String,
    /// 1-based line of the first byte that was not UTF-8, when there was one.
    pub undecodable_line: Option<u32>,
    /// The file holds NUL bytes (for other text files: a binary file, not scanned).
    pub has_nul: bool,
}

/// Why a file was not read.
#[derive(Clone, Debug)]
pub enum ReadError {
    /// Larger than the size limit: the secret scan streams over it instead.
    TooLarge { size: u64, limit: u64 },
    /// Not a regular file (a device, a FIFO, a socket): never opened.
    NotRegular,
    /// The file could not be opened or read.
    Unreadable(String),
}

impl ReadError {
    pub fn reason(&self) -> String {
        match self {
            ReadError::TooLarge { size, limit } => format!(
                "file is {:.1} MiB, over the {:.1} MiB size limit",
                *size as f64 / 1048576.0,
                *limit as f64 / 1048576.0
            ),
            ReadError::NotRegular => {
                "not a regular file (a device, FIFO or socket); not read".to_string()
            }
            ReadError::Unreadable(e) => format!("cannot read the file: {e}"),
        }
    }
}

/// Read a regular file of at most `max_size` bytes, decoding it lossily. Devices and FIFOs
/// are never opened, and a file that grows while it is read is still cut at the limit.
/// The secret rules over `text` as if it were the text file `display` (lines taken from
/// elsewhere, such as those a commit added): its findings and the secret values they mark.
pub fn secrets_in_text(
    display: &str,
    text: String,
    options: &ScanOptions,
) -> (Vec<Box<Finding>>, Vec<(String, usize)>) {
    let file = Discovered {
        path: PathBuf::from(display),
        display: display.to_string(),
        kind: FileKind::Text,
        refused: None,
        text: None,
    };
    let project = Project {
        options: options.config.options.clone(),
        cwd: options.cwd.clone(),
        max_file_size: options.config.max_file_size,
        ..Project::default()
    };
    let secret_rules = ScanOptions {
        roots: Vec::new(),
        config: options.config.clone(),
        cwd: options.cwd.clone(),
        only: Some(vec![
            crate::rules::secrets::hardcoded_secret::HARDCODED_SECRET.id,
        ]),
        online: None,
        extra_rules: Vec::new(),
        gitignore: false,
    };
    let outcome = scan_file(
        &file,
        Ok(decode(text.into_bytes())),
        &project,
        &secret_rules,
    );
    (outcome.findings, outcome.secrets)
}

/// A discovered file's text: the bytes read while it was discovered, or read now.
fn load_discovered(file: &mut Discovered, max_size: u64) -> Result<Loaded, ReadError> {
    match file.text.take() {
        Some(bytes) => within_limit(bytes, max_size),
        None => load(&file.path, max_size),
    }
}

/// Bytes already read, decoded, unless they exceed the size limit.
fn within_limit(bytes: Vec<u8>, max_size: u64) -> Result<Loaded, ReadError> {
    if bytes.len() as u64 > max_size {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit: max_size,
        });
    }
    Ok(decode(bytes))
}

pub fn load(path: &Path, max_size: u64) -> Result<Loaded, ReadError> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| ReadError::Unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > max_size {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit: max_size,
        });
    }
    let file = std::fs::File::open(path).map_err(|e| ReadError::Unreadable(e.to_string()))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::Unreadable(e.to_string()))?;
    within_limit(bytes, max_size)
}

/// Decode bytes as UTF-8, replacing what is not with U+FFFD. Lines stay where they were, and
/// columns move only after an undecodable byte on the same line.
pub fn decode(bytes: Vec<u8>) -> Loaded {
    let has_nul = bytes.contains(&0);
    let (mut text, undecodable_line) = match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            (
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                Some(line),
            )
        }
    };
    if text.starts_with('\u{feff}') {
        // Editors do not count the byte-order mark as a column.
        text.drain(..3);
    }
    Loaded {
        text,
        undecodable_line,
        has_nul,
    }
}

/// Read a file as text (lossily decoded), or say why it was not read.
pub fn read(path: &Path, max_size: u64) -> Result<String, String> {
    load(path, max_size)
        .map(|loaded| loaded.text)
        .map_err(|e| e.reason())
}

#[derive(Default)]
struct FileOutcome {
    findings: Vec<Box<Finding>>,
    /// The secret values the rules marked, with their visible prefix lengths.
    secrets: Vec<(String, usize)>,
    suppressions: Vec<Suppression>,
    not_checked: Vec<Notification>,
    /// Run-level notes about the file (a template, bytes read as U+FFFD).
    notes: Vec<Notification>,
}

/// Rules that read only the text, not a model: they still run over a file past the size
/// limit, a chunk at a time.
const STREAMED_RULES: &[&str] = &["hardcoded-secret"];

/// Bytes of a file past the size limit read at once by the secret scan.
const STREAM_CHUNK: usize = 4 << 20;
/// Bytes of one chunk read again with the next, so that a private key block cut by the
/// boundary is still seen whole.
const STREAM_OVERLAP: usize = 64 << 10;

fn scan_file(
    file: &Discovered,
    loaded: Result<Loaded, ReadError>,
    project: &Project,
    options: &ScanOptions,
) -> FileOutcome {
    if let Some(reason) = &file.refused {
        return not_checked_outcome(file, reason.clone(), options);
    }
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(ReadError::TooLarge { .. }) if file.kind == FileKind::Text => {
            return stream_secrets(file, project, options);
        }
        // Other text files are scanned when they can be; a binary one is simply not text.
        Err(_) if file.kind == FileKind::Text => return FileOutcome::default(),
        Err(error @ ReadError::TooLarge { .. }) => {
            let mut outcome = stream_secrets(file, project, options);
            let mut refused = not_checked_outcome(
                file,
                format!(
                    "{}: only the secret scan ran over it, its structure was not checked",
                    error.reason()
                ),
                options,
            );
            outcome.findings.append(&mut refused.findings);
            return outcome;
        }
        Err(error) => return not_checked_outcome(file, error.reason(), options),
    };
    // Other text files are only read for credentials: most have no keyword at all. What the
    // search finds is handed to the rules, which would otherwise search again.
    let mut credentials = None;
    if file.kind == FileKind::Text {
        if loaded.has_nul {
            return FileOutcome::default();
        }
        let found = crate::rules::secrets::providers::detect(&loaded.text);
        if !found.any_keyword {
            return FileOutcome::default();
        }
        credentials = Some(found);
    }
    let source = SourceFile::new(file.display.clone(), file.kind, loaded.text);
    let mut notes = Vec::new();
    // A parser that fails is contained like a rule: the text rules still run.
    let parsed = std::panic::catch_unwind(|| parse::parse(file.kind, &source.text));
    let parser_failed = parsed.is_err();
    let (doc, errors) = parsed.unwrap_or_else(|_| {
        let error = parse::ParseError::new(
            Span::empty(0),
            format!(
                "the {} parser failed on this file (an internal error): only the secret scan ran",
                file.kind.name()
            ),
        );
        (None, vec![error])
    });
    let template = !parser_failed && is_template(&doc, &errors, &source.text);
    let (doc, errors) = if template {
        notes.push(Notification {
            level: crate::finding::Level::Note,
            message: format!(
                "{}: a template (`{{{{ … }}}}` or `{{% … %}}`), not checked structurally; the secret scan ran",
                source.path
            ),
            path: Some(source.path.clone()),
        });
        (None, Vec::new())
    } else {
        (doc, errors)
    };
    let doc = doc.unwrap_or(Document::Unparsed);

    let mut cx = Context::new(&source, &file.path, project);
    if let Some(found) = credentials {
        cx.found_credentials(found);
    }
    if options.rule_active(&PARSE_ERROR) {
        cx.set_rule(&PARSE_ERROR);
        for error in &errors {
            cx.report(error.span, error.message.clone()).help(format!(
                "fix the {} so that it parses; what could not be parsed was not checked",
                file.kind.name()
            ));
        }
    }
    if let Some(line) = loaded.undecodable_line {
        let at = source.lines.line_span(&source.text, line as usize - 1);
        let yaml = matches!(
            file.kind,
            FileKind::Compose | FileKind::Workflow | FileKind::Action | FileKind::DependencyBot
        );
        if yaml && !template && options.rule_active(&PARSE_ERROR) {
            // Compose and GitHub refuse YAML that is not UTF-8: the file is broken for them.
            cx.set_rule(&PARSE_ERROR);
            cx.report(
                Span::empty(at.start as usize),
                format!(
                    "bytes that are not UTF-8 on line {line}: Compose and GitHub refuse such a file; read as U+FFFD and checked as far as possible"
                ),
            )
            .help("save the file as UTF-8");
        } else {
            notes.push(Notification {
                level: crate::finding::Level::Note,
                message: format!(
                    "{}:{line}: bytes that are not UTF-8 were read as U+FFFD; every rule still ran",
                    source.path
                ),
                path: Some(source.path.clone()),
            });
        }
    }
    run_rules(&doc, &mut cx, options, false);
    let mut outcome = finish(&source, &doc, cx, options, true);
    outcome.notes = notes;
    outcome
}

/// A template (`{{ … }}` or `{% … %}` in instructions or keys, as Jinja, Go templates and
/// Helm write them) is not the file its tools read: it is not checked structurally, and says
/// so. Only a file that does not parse as what it claims to be is judged a template (markers
/// in a block scalar, a `RUN` continuation or a heredoc cannot switch a valid file's checks
/// off), and a `FROM` naming a template is one too (no builder accepts it).
fn is_template(doc: &Option<Document>, errors: &[parse::ParseError], text: &str) -> bool {
    let marked = |line: &str| {
        let trimmed = line.trim_start().trim_start_matches("- ");
        trimmed.starts_with("{{")
            || trimmed.starts_with("{%")
            || trimmed.starts_with("{#")
            || trimmed.split_once(':').is_some_and(|(key, _)| {
                (key.contains("{{") && !key.contains("${{")) || key.contains("{%")
            })
    };
    let fails_to_parse = doc.is_none() || !errors.is_empty();
    if fails_to_parse && text.lines().any(marked) {
        return true;
    }
    match doc {
        Some(Document::Dockerfile(dockerfile)) => dockerfile.instructions.iter().any(|i| {
            i.keyword == "FROM"
                && i.words
                    .iter()
                    .any(|w| w.text.contains("{{") || w.text.contains("{%"))
        }),
        _ => false,
    }
}

/// Run every active rule for the file's kind, each contained: a rule that panics loses its
/// own findings for this file, never the other rules', and becomes a `parse-error` finding
/// that names the rule (and never quotes the file). `streamed_only` keeps the text rules.
fn run_rules(doc: &Document, cx: &mut Context, options: &ScanOptions, streamed_only: bool) {
    let kind = cx.file.kind;
    let mut failed = Vec::new();
    for rule in rules::ALL.iter().chain(options.extra_rules.iter()).copied() {
        let Some(check) = rule.check else { continue };
        if !rule.applies_to(kind)
            || !options.rule_active(rule)
            || (streamed_only && !STREAMED_RULES.contains(&rule.id))
        {
            continue;
        }
        cx.set_rule(rule);
        let before = cx.drafts.len();
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(doc, cx)));
        if ran.is_err() {
            // Half a rule's findings could mislead; the failure finding stands for all of it.
            cx.drafts.truncate(before);
            failed.push(rule.id);
        }
    }
    if !failed.is_empty() && options.rule_active(&PARSE_ERROR) {
        cx.set_rule(&PARSE_ERROR);
        for id in failed {
            cx.report(
                Span::empty(0),
                format!(
                    "rule `{id}` failed on this file (an internal error): its checks did not run here; the other rules' did"
                ),
            )
            .help("please report it with the file; until it is fixed, review what the rule checks by hand");
        }
    }
}

/// The outcome for a file that could not be checked at all: one `parse-error` finding.
fn not_checked_outcome(file: &Discovered, reason: String, options: &ScanOptions) -> FileOutcome {
    let findings = if options.rule_active(&PARSE_ERROR) {
        vec![Box::new(unreadable_finding(
            &file.display,
            reason,
            &options.config,
        ))]
    } else {
        Vec::new()
    };
    FileOutcome {
        findings,
        ..FileOutcome::default()
    }
}

/// The secret scan over a file past the size limit, in chunks of bounded size: findings are
/// placed on the file's real lines, and a finding in the overlap of two chunks counts once.
fn stream_secrets(file: &Discovered, project: &Project, options: &ScanOptions) -> FileOutcome {
    use std::io::Read;
    let mut outcome = FileOutcome::default();
    let Ok(handle) = std::fs::File::open(&file.path) else {
        return outcome;
    };
    let mut reader = std::io::BufReader::new(handle);
    let mut pending: Vec<u8> = Vec::with_capacity(STREAM_CHUNK);
    let mut first_line: u32 = 0;
    let mut seen: HashSet<(&'static str, u32, u32)> = HashSet::new();
    loop {
        let want = (STREAM_CHUNK - pending.len()) as u64;
        if reader
            .by_ref()
            .take(want)
            .read_to_end(&mut pending)
            .is_err()
        {
            break;
        }
        let at_end = pending.len() < STREAM_CHUNK;
        let cut = if at_end {
            pending.len()
        } else {
            pending
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(pending.len(), |i| i + 1)
        };
        let chunk = decode(pending[..cut].to_vec());
        let source = SourceFile::new(file.display.clone(), file.kind, chunk.text);
        let mut cx = Context::new(&source, &file.path, project);
        run_rules(&Document::Unparsed, &mut cx, options, true);
        let part = finish(&source, &Document::Unparsed, cx, options, false);
        outcome.secrets.extend(part.secrets);
        for mut suppression in part.suppressions {
            shift_lines(&mut suppression.finding, first_line);
            outcome.suppressions.push(suppression);
        }
        for mut finding in part.findings {
            shift_lines(&mut finding, first_line);
            let key = (
                finding.rule.id,
                finding.location.start.line,
                finding.location.start.column,
            );
            if seen.insert(key) {
                outcome.findings.push(finding);
            }
        }
        if at_end {
            break;
        }
        let overlap_from = cut.saturating_sub(STREAM_OVERLAP);
        let keep_from = pending[overlap_from..cut]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(cut, |i| overlap_from + i + 1);
        first_line += pending[..keep_from].iter().filter(|&&b| b == b'\n').count() as u32;
        pending.drain(..keep_from);
    }
    outcome
}

/// `span` within `text`, its ends moved out to character boundaries.
fn whole_characters(text: &str, span: Span) -> Span {
    let mut start = (span.start as usize).min(text.len());
    let mut end = (span.end as usize).clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

/// Move a finding found in a chunk that starts after `lines` lines to the file's real lines.
fn shift_lines(finding: &mut Finding, lines: u32) {
    finding.location.start.line += lines;
    finding.location.end.line += lines;
    finding.snippet.first_line += lines;
    for related in &mut finding.related {
        if related.location.path == finding.location.path {
            related.location.start.line += lines;
            related.location.end.line += lines;
        }
    }
    if let Some(fix) = &mut finding.fix {
        for replacement in &mut fix.replacements {
            replacement.start.line += lines;
            replacement.end.line += lines;
        }
    }
}

/// Deduplicate, suppress and resolve what the rules reported on `source`. `whole_file` is
/// false for a chunk of a file past the size limit: ignore comments are then not judged
/// unused, since the rules they name did not run.
fn finish(
    source: &SourceFile,
    doc: &Document,
    mut cx: Context,
    options: &ScanOptions,
    whole_file: bool,
) -> FileOutcome {
    let mut drafts = std::mem::take(&mut cx.drafts);
    // A span that a rule computed inside a character (offsets mapped through quoting and
    // U+FFFD) is widened to whole characters, so that no later slice can fail.
    for draft in &mut drafts {
        draft.span = whole_characters(&source.text, draft.span);
    }
    cx.redactions = cx
        .redactions
        .iter()
        .map(|r| Redaction {
            span: whole_characters(&source.text, r.span),
            visible: r.visible,
        })
        .collect();
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
    let instruction_lines = match doc {
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
    let comments = suppress::find(source, &instruction_lines);
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    let mut suppressed_drafts = Vec::new();
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
            suppressed_drafts.push((draft, by_comment));
        } else {
            kept.push(draft);
        }
    }
    if whole_file && options.rule_active(&UNUSED_IGNORE) {
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

    let (suppressed_drafts, by_comment): (Vec<Draft>, Vec<bool>) =
        suppressed_drafts.into_iter().unzip();
    let suppressions = resolve(source, suppressed_drafts, &redactions, &options.config)
        .into_iter()
        .zip(by_comment)
        .map(|(finding, by_comment)| Suppression {
            finding: *finding,
            by_comment,
        })
        .collect();
    let secrets = redactions
        .iter()
        .map(|r| (source.slice(r.span).to_string(), r.visible))
        .collect();
    FileOutcome {
        findings: resolve(source, kept, &redactions, &options.config),
        secrets,
        suppressions,
        not_checked,
        notes: Vec::new(),
    }
}

/// Turn drafts into findings: positions, masked snippets, fingerprints.
fn resolve(
    source: &SourceFile,
    drafts: Vec<Draft>,
    redactions: &[Redaction],
    config: &Config,
) -> Vec<Box<Finding>> {
    if drafts.is_empty() {
        return Vec::new();
    }
    // Each line masked once, however many findings it holds; each finding then costs its own
    // span, not its line's length (a minified file holds thousands of findings on one line).
    let positions: Vec<(LineCol, LineCol)> = drafts
        .iter()
        .map(|draft| {
            let start = source.line_col(draft.span.start as usize);
            let mut end = source.line_col(draft.span.end as usize);
            if end == start {
                // Regions are never empty: GitHub needs a character to point at.
                end.column += 1;
            }
            (start, end)
        })
        .collect();
    let masked = fingerprint::mask(&source.text, redactions);
    let lines: Vec<u32> = positions.iter().map(|(start, _)| start.line).collect();
    let hashes = fingerprint::line_hashes_of(&masked, &lines);
    drop(masked);
    let redactions = &Overlaps::new(redactions);
    let mut masked_lines: HashMap<u32, MaskedLine> = HashMap::new();
    for (start, end) in &positions {
        for line in start.line..=snippet_last_line(*start, *end) {
            masked_lines.entry(line).or_insert_with(|| {
                let span = source.lines.line_span(&source.text, line as usize - 1);
                MaskedLine::new(source, span, redactions)
            });
        }
    }
    let mut line_hashers: HashMap<(&'static str, u32), sha2::Sha256> = HashMap::new();
    let mut occurrences: HashMap<(&'static str, &str, String), usize> = HashMap::new();
    let mut findings = Vec::with_capacity(drafts.len());
    for (draft, (start, end)) in drafts.into_iter().zip(positions) {
        let snippet = snippet(source, draft.span, start, end, &masked_lines);
        let span_text = masked_slice(source, draft.span, redactions);
        // The whole masked line (the snippet may show only part of a long one).
        let line = &masked_lines[&start.line];
        let occurrence = occurrences
            .entry((draft.rule.id, line.text.trim(), span_text.clone()))
            .or_insert(0);
        // A long line's hash is kept for the next finding on it; a short one costs less to
        // hash again than to keep.
        let line_hasher = if line.text.len() > LONG_LINE {
            line_hashers
                .entry((draft.rule.id, start.line))
                .or_insert_with(|| {
                    fingerprint::fingerprint_of_line(draft.rule.id, &source.path, &line.text)
                })
                .clone()
        } else {
            fingerprint::fingerprint_of_line(draft.rule.id, &source.path, &line.text)
        };
        let fp = fingerprint::finish_fingerprint(line_hasher, &span_text, *occurrence);
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
        findings.push(Box::new(Finding {
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
            // Secrets are masked in messages once the whole run's are known (`scrub_report`).
            message: draft.message,
            help: draft.help,
            related,
            snippet,
            fingerprint: fp,
            line_hash: hashes.get(&start.line).cloned().unwrap_or_default(),
            fix: draft.fix.map(|(description, edits)| {
                Box::new(Fix {
                    description,
                    replacements: edits
                        .into_iter()
                        .map(|(span, text)| Replacement {
                            start: source.line_col(span.start as usize),
                            end: source.line_col(span.end as usize),
                            text,
                        })
                        .collect(),
                })
            }),
        }));
    }
    findings
}

/// The text of `span` with secrets masked.
/// Redactions sorted by start, for finding those that overlap a span in logarithmic time: a
/// file with many secrets and many findings stays linear.
struct Overlaps {
    sorted: Vec<Redaction>,
    longest: u32,
}

impl Overlaps {
    fn new(redactions: &[Redaction]) -> Overlaps {
        let mut sorted = redactions.to_vec();
        sorted.sort_by_key(|r| (r.span.start, r.span.end));
        let longest = sorted
            .iter()
            .map(|r| r.span.len() as u32)
            .max()
            .unwrap_or(0);
        Overlaps { sorted, longest }
    }

    /// The redactions that overlap `span`.
    fn within(&self, span: Span) -> impl Iterator<Item = &Redaction> {
        // None starting before `span.start - longest` can reach into the span.
        let from = self
            .sorted
            .partition_point(|r| r.span.start.saturating_add(self.longest) <= span.start);
        self.sorted[from..]
            .iter()
            .take_while(move |r| r.span.start < span.end)
            .filter(move |r| span.start < r.span.end)
    }
}

fn masked_slice(source: &SourceFile, span: Span, redactions: &Overlaps) -> String {
    fingerprint::mask(source.slice(span), &local_redactions(span, redactions)).into_owned()
}

/// The redactions that reach into `span`, cut to it, with offsets from its start.
fn local_redactions(span: Span, redactions: &Overlaps) -> Vec<Redaction> {
    redactions
        .within(span)
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
        .collect()
}

/// One line of a file with the run's secrets masked, and what the findings on it need to
/// know, worked out once for the line.
struct MaskedLine {
    text: String,
    /// Code points of `text`.
    chars: usize,
    /// Byte offset in `text` of every `CHECKPOINT`-th code point of a long line, to cut a
    /// window in it without counting from the start.
    checkpoints: Box<[u32]>,
    /// The masked stretches of the source line, in order and apart: their offsets from the
    /// line's start and the code points of masked text before each.
    stretches: Box<[(u32, u32, u32)]>,
    has_mask: bool,
}

const CHECKPOINT: usize = 64;

/// Lines longer than this (in bytes) keep what findings on them share; shorter ones are cheap
/// to go over again.
const LONG_LINE: usize = 256;

impl MaskedLine {
    fn new(source: &SourceFile, line: Span, redactions: &Overlaps) -> MaskedLine {
        let slice = source.slice(line);
        let hidden = fingerprint::hidden_stretches(&local_redactions(line, redactions));
        let text = fingerprint::mask_stretches(slice, &hidden);
        let mask_chars = MASK.chars().count();
        let mut stretches = Vec::with_capacity(hidden.len());
        let (mut at, mut before) = (0, 0);
        for (from, to) in hidden {
            before += slice[at..from].chars().count();
            stretches.push((from as u32, to as u32, before as u32));
            before += mask_chars;
            at = to;
        }
        let mut chars = 0;
        let mut checkpoints = Vec::new();
        if text.len() > LONG_LINE {
            for (offset, _) in text.char_indices() {
                if chars % CHECKPOINT == 0 {
                    checkpoints.push(offset as u32);
                }
                chars += 1;
            }
        } else {
            chars = text.chars().count();
        }
        MaskedLine {
            has_mask: text.contains(MASK),
            text,
            chars,
            checkpoints: checkpoints.into_boxed_slice(),
            stretches: stretches.into_boxed_slice(),
        }
    }

    /// The 1-based masked column of source offset `offset` on this line (`line` its span).
    fn column(&self, source: &SourceFile, line: Span, offset: usize) -> u32 {
        let slice = source.slice(line);
        let offset = offset - line.start as usize;
        let i = self
            .stretches
            .partition_point(|&(from, _, _)| (from as usize) < offset);
        let count = match i.checked_sub(1).map(|i| self.stretches[i]) {
            None => slice[..offset].chars().count(),
            // Inside a stretch or past it: the mask stands for what is hidden before `offset`.
            Some((_, to, before)) => {
                let to = to as usize;
                let after = if offset > to {
                    slice[to..offset].chars().count()
                } else {
                    0
                };
                before as usize + MASK.chars().count() + after
            }
        };
        count as u32 + 1
    }

    /// The byte offset in `text` of code point `n` (its end past the last).
    fn byte_of(&self, n: usize) -> usize {
        if self.checkpoints.is_empty() {
            return self
                .text
                .char_indices()
                .nth(n)
                .map_or(self.text.len(), |(i, _)| i);
        }
        let Some(&checkpoint) = self.checkpoints.get(n / CHECKPOINT) else {
            return self.text.len();
        };
        let checkpoint = checkpoint as usize;
        self.text[checkpoint..]
            .char_indices()
            .nth(n % CHECKPOINT)
            .map_or(self.text.len(), |(i, _)| checkpoint + i)
    }

    /// [`crate::source::window`] over `text`, cut without counting from its start.
    fn window(&self, skip: usize, width: usize) -> (std::borrow::Cow<'_, str>, usize) {
        if self.chars <= width && skip == 0 {
            return (std::borrow::Cow::Borrowed(&self.text), 0);
        }
        let skip = skip.min(self.chars);
        let kept = &self.text[self.byte_of(skip)..self.byte_of((skip + width).min(self.chars))];
        // At its length: snippets are held for every finding.
        let mut shown = String::with_capacity(kept.len() + 2 * '…'.len_utf8());
        if skip > 0 {
            shown.push('…');
        }
        shown.push_str(kept);
        if self.chars > skip + width {
            shown.push('…');
        }
        (std::borrow::Cow::Owned(shown), usize::from(skip > 0))
    }
}

/// The last line a finding's snippet shows.
fn snippet_last_line(start: LineCol, end: LineCol) -> u32 {
    end.line.min(start.line + SNIPPET_LINES as u32 - 1)
}

/// Lines `start..=end` (at most `SNIPPET_LINES`) with secrets masked, and the underline of the
/// first line in masked columns.
fn snippet(
    source: &SourceFile,
    span: Span,
    start: LineCol,
    end: LineCol,
    masked_lines: &HashMap<u32, MaskedLine>,
) -> Snippet {
    let mut underline = (start.column, start.column + 1);
    let last = snippet_last_line(start, end);
    // Exactly as many as shown: a vector grown by pushing keeps room for four lines, and
    // snippets are held for every finding until the report is written.
    let mut lines = Vec::with_capacity((last + 1).saturating_sub(start.line) as usize);
    let mut skip = 0;
    for line in start.line..=last {
        let line_span = source.lines.line_span(&source.text, line as usize - 1);
        let masked = &masked_lines[&line];
        if line == start.line {
            let col_of = |offset: usize| -> u32 {
                masked.column(
                    source,
                    line_span,
                    offset.clamp(line_span.start as usize, line_span.end as usize),
                )
            };
            let from = col_of(span.start as usize);
            let to = if end.line == start.line {
                col_of(span.end as usize)
            } else {
                masked.chars as u32 + 1
            };
            // A span that ends inside a mask underlines the whole mask.
            let to = if masked.has_mask {
                to.max(from + 1)
            } else {
                to
            };
            underline = (from, to.max(from + 1));
            skip = (from as usize - 1).saturating_sub(SNIPPET_BEFORE);
        }
        // A long line (minified, a wall of tokens) is kept around the span only: memory and
        // output stay proportional to the findings, not to findings × line length.
        let (shown, lead) = masked.window(skip, SNIPPET_CHARS);
        let (shown, lead) = (shown.into_owned(), lead as u32);
        if line == start.line && (skip > 0 || shown.len() != masked.text.len()) {
            let (from, to) = underline;
            let from = from - skip as u32 + lead;
            let to = (to - skip as u32 + lead).min(shown.chars().count() as u32 + 1);
            underline = (from, to.max(from + 1));
        }
        lines.push(shown);
    }
    Snippet {
        first_line: start.line,
        lines,
        underline,
    }
}

/// Characters of a snippet line kept at most, and how many of them before the span.
const SNIPPET_CHARS: usize = 400;
const SNIPPET_BEFORE: usize = 100;

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
        help: Some("what could not be checked may hide any finding: fix what the message names (the size limit is `max-file-size` in portcullis.toml)".into()),
        related: Vec::new(),
        snippet: Snippet::default(),
        fingerprint: fingerprint::fingerprint(PARSE_ERROR.id, path, "", "", 0),
        line_hash: String::new(),
        fix: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileKind;

    /// A masked line's columns and windows, worked out once per line, are exactly those of
    /// masking each prefix and counting (as every finding used to), whatever the secrets'
    /// layout: overlapping, crossing lines, with visible prefixes, between multi-byte text.
    #[test]
    fn masked_line_columns_and_windows_are_those_of_masking_each_prefix() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |below: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % below as u64) as usize
        };
        let pieces = ["a", "b", " ", "é", "—", "tok", "\n", "x=", "…[redacted]"];
        for _ in 0..300 {
            let text: String = (0..next(200)).map(|_| pieces[next(pieces.len())]).collect();
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let redactions: Vec<Redaction> = (0..next(6))
                .map(|_| {
                    let a = boundaries[next(boundaries.len())];
                    let b = boundaries[next(boundaries.len())];
                    let (start, end) = (a.min(b), a.max(b));
                    let visible = boundaries
                        .iter()
                        .filter(|&&o| o >= start && o <= end)
                        .nth(next(3))
                        .map_or(0, |o| o - start);
                    Redaction {
                        span: Span::new(start, end),
                        visible,
                    }
                })
                .collect();
            let source = SourceFile::new("f", FileKind::Env, text.clone());
            let overlaps = Overlaps::new(&redactions);
            for line in 0..source.lines.line_count() {
                let span = source.lines.line_span(&source.text, line);
                let masked = MaskedLine::new(&source, span, &overlaps);
                assert_eq!(masked.text, masked_slice(&source, span, &overlaps));
                assert_eq!(masked.chars, masked.text.chars().count());
                for &offset in boundaries
                    .iter()
                    .filter(|&&o| o >= span.start as usize && o <= span.end as usize)
                {
                    let prefix = Span::new(span.start as usize, offset);
                    assert_eq!(
                        masked.column(&source, span, offset),
                        masked_slice(&source, prefix, &overlaps).chars().count() as u32 + 1,
                        "{text:?} {redactions:?} at {offset}"
                    );
                }
                for (skip, width) in [(0, 5), (0, 500), (3, 4), (70, 10), (2, 1)] {
                    assert_eq!(
                        masked.window(skip, width),
                        crate::source::window(&masked.text, skip, width)
                    );
                }
            }
        }
    }
}
