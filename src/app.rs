//! The commands: read arguments and configuration, run the scan, render, decide the exit code.
//! The Action builds on them; `main` chooses the command.

use std::io::Write;
use std::path::PathBuf;

use crate::baseline::Baseline;
use crate::cli::{ColorChoice, RulesArgs, RulesFormat, ScanArgs};
use crate::config::{Config, FailOn};
use crate::docs;
use crate::report::{self, Format, RenderContext};
use crate::rules;
use crate::scan::{ScanOptions, scan};
use crate::sink::Output;
use crate::source::FileKind;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// `portcullis explain RULE`.
pub fn explain(rule: &str) -> u8 {
    match rules::by_id(rule) {
        Some(rule) => write_stdout(&docs::explain(rule)),
        None => {
            crate::sink::error(format!("no rule `{rule}`; `portcullis rules` lists them"));
            EXIT_USAGE
        }
    }
}

pub fn run_scan(args: ScanArgs) -> u8 {
    match execute_scan(&args) {
        Ok(outcome) if outcome.failing => EXIT_FINDINGS,
        Ok(_) => EXIT_CLEAN,
        Err(code) => code,
    }
}

/// What a scan left behind, for the Action's outputs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outcome {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    /// Findings at or above the fail threshold exist.
    pub failing: bool,
}

/// Run `scan` with `args` and write every requested output; `Err` holds the exit status of a
/// usage or configuration error (already reported on standard error).
pub fn execute_scan(args: &ScanArgs) -> Result<Outcome, u8> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    for path in &args.paths {
        if !path.exists() {
            crate::sink::error(format!("{}: no such file or folder", path.display()));
            return Err(EXIT_USAGE);
        }
        if path.is_file() && crate::discover::classify_found(path).is_none() && !args.quiet {
            crate::sink::warning(format!(
                "{}: not a Dockerfile, compose file, workflow, action.yml, .env or .dockerignore by its name; skipped",
                path.display()
            ));
        }
    }
    let config_path = match &args.config {
        Some(path) if !path.is_file() => {
            crate::sink::error(format!("{}: configuration file not found", path.display()));
            return Err(EXIT_USAGE);
        }
        Some(path) => Some(path.clone()),
        None => Config::discover(&args.paths[0]),
    };
    let config = match &config_path {
        Some(path) => match Config::load(path) {
            Ok(config) => config,
            Err(e) => {
                crate::sink::error(format!("invalid configuration: {e}"));
                return Err(EXIT_USAGE);
            }
        },
        None => Config::default(),
    };
    // An organization policy governs the repository's configuration: it can only tighten.
    let mut policy_notes = Vec::new();
    let config = match &args.policy {
        Some(path) if !path.is_file() => {
            crate::sink::error(format!("{}: policy file not found", path.display()));
            return Err(EXIT_USAGE);
        }
        Some(path) => match Config::load(path) {
            Ok(policy) => {
                let (config, refused) = config.under_policy(&policy);
                policy_notes = refused;
                config
            }
            Err(e) => {
                crate::sink::error(format!("invalid policy: {e}"));
                return Err(EXIT_USAGE);
            }
        },
        None => config,
    };
    for note in &policy_notes {
        crate::sink::warning(format!("policy: {note}"));
    }
    let baseline = match &args.baseline {
        Some(path) => match Baseline::load(path) {
            Ok(b) => Some(b),
            Err(e) => {
                crate::sink::error(&e);
                return Err(EXIT_USAGE);
            }
        },
        None => None,
    };
    // Ask git before scanning: a wrong ref is a usage error, not a late surprise.
    let from_git = match &args.new_since {
        Some(reference) => {
            match crate::changes::BaseTree::from_git(&args.paths[0], &cwd, reference) {
                Ok(base) => Some(std::sync::Arc::new(base)),
                Err(e) => {
                    crate::sink::error(&e);
                    return Err(EXIT_USAGE);
                }
            }
        }
        None => None,
    };
    let base = args.base.clone().or(from_git);
    // The lines the history range added, read before scanning: a wrong range is a usage error.
    let history = match &args.history {
        _ if args.history_added.is_some() => args.history_added.clone(),
        Some(range) => {
            let Some((top, _)) = crate::tracked::find_repository(&args.paths[0]) else {
                crate::sink::error(format!(
                    "--history {range}: {} is not in a git work tree",
                    args.paths[0].display()
                ));
                return Err(EXIT_USAGE);
            };
            match crate::history::added_lines(&top, range) {
                Ok(added) => Some((top, added)),
                Err(e) => {
                    crate::sink::error(&e);
                    return Err(EXIT_USAGE);
                }
            }
        }
        None => None,
    };
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::Error);
    let mut config = config;
    if let Some(scope) = args.secrets_scope {
        config.secrets_scope_all = scope == crate::cli::SecretsScope::All;
    }

    let online = if args.online {
        let raw = args
            .token
            .clone()
            .or_else(|| std::env::var("GITHUB_TOKEN").ok());
        let token = github_token(raw)?;
        if token.is_none() {
            crate::sink::notice(
                "--online without a token (GITHUB_TOKEN): GitHub allows 60 requests an hour",
            );
        }
        match crate::online::Online::new(
            &args.api_url,
            token.as_deref(),
            args.registry_mirror.as_deref(),
            crate::registry::Allowed::new(&config.online_registries),
        ) {
            Ok(online) => Some(std::sync::Arc::new(online)),
            Err(e) => {
                crate::sink::error(&e);
                return Err(EXIT_USAGE);
            }
        }
    } else {
        None
    };
    let options = ScanOptions {
        roots: args.paths.clone(),
        config,
        cwd: cwd.clone(),
        only: None,
        online,
        extra_rules: Vec::new(),
        gitignore: true,
    };
    let mut report = scan(&options);
    report
        .notifications
        .extend(
            policy_notes
                .into_iter()
                .map(|message| crate::finding::Notification {
                    level: crate::finding::Level::Warning,
                    message: format!("policy: {message}"),
                    path: None,
                }),
        );
    if let Some((top, added)) = history {
        let (found, secrets) = crate::history::findings(&top, added, &options, &report.findings);
        report.redactor = report.redactor.with(secrets);
        report.findings.extend(found);
        crate::finding::sort_findings(&mut report.findings);
    }
    // From here on every message on standard error masks the secrets this run found.
    crate::sink::learn_secrets(&report.redactor);
    if let Some(online) = &options.online {
        for note in online.notes() {
            match note.level {
                crate::finding::Level::Error => crate::sink::error(&note.message),
                crate::finding::Level::Warning => crate::sink::warning(&note.message),
                crate::finding::Level::Note => crate::sink::note(&note.message),
            }
        }
    }

    if let Some(path) = &args.write_baseline {
        if let Err(e) = Baseline::from_findings(&report.findings).write(path) {
            crate::sink::error(format!("{}: cannot write baseline: {e}", path.display()));
            return Err(EXIT_USAGE);
        }
        crate::sink::info(format!(
            "{} {} recorded as accepted in {}",
            report.findings.len(),
            if report.findings.len() == 1 {
                "finding"
            } else {
                "findings"
            },
            path.display()
        ));
    }
    if let Some(known) = &baseline {
        let before = report.findings.len();
        report.findings.retain(|f| !known.contains(&f.fingerprint));
        report.baselined = before - report.findings.len();
    }
    if let Some(base) = &base {
        // New means absent from the scan of the base, with the same settings.
        let base_options = ScanOptions {
            roots: args
                .paths
                .iter()
                .filter_map(|p| base.map(p))
                .filter(|p| p.exists())
                .collect(),
            config: options.config.clone(),
            cwd: base.cwd.clone(),
            only: None,
            online: options.online.clone(),
            extra_rules: Vec::new(),
            gitignore: false,
        };
        let base_report = if base_options.roots.is_empty() {
            crate::finding::Report::default()
        } else {
            scan(&base_options)
        };
        let known: std::collections::HashSet<&str> = base_report
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        let (new, unchanged): (Vec<_>, Vec<_>) = std::mem::take(&mut report.findings)
            .into_iter()
            .partition(|f| !known.contains(f.fingerprint.as_str()));
        report.findings = new;
        report.outside_changes = unchanged.len();
        report.unchanged = unchanged;
        report.compared = true;
        // What the change suppresses that the base did not, and whether it changes the
        // configuration: shown to reviewers, since either can hide a finding.
        let suppressed_before: std::collections::HashSet<&str> = base_report
            .suppressions
            .iter()
            .map(|s| s.finding.fingerprint.as_str())
            .collect();
        report.added_suppressions = report
            .suppressions
            .iter()
            .filter(|s| !suppressed_before.contains(s.finding.fingerprint.as_str()))
            .cloned()
            .collect();
        if let Some(path) = &options.config.source {
            let now = std::fs::read(path).ok();
            let then = base.map(path).and_then(|p| std::fs::read(p).ok());
            if now != then {
                report
                    .changed_configuration
                    .push(crate::discover::display_path(path, &cwd));
            }
        }
    }

    let enabled: Vec<&'static crate::descriptor::RuleDescriptor> = rules::ALL
        .iter()
        .filter(|r| options.rule_active(r))
        .map(|r| &r.descriptor)
        .collect();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && args.format == Format::Human
                && crate::sink::stdout_is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let level_of = |r: &crate::descriptor::RuleDescriptor| options.config.level(r);
    let root = std::fs::canonicalize(&cwd).unwrap_or(cwd);
    let cx = RenderContext {
        rules: &enabled,
        level_of: &level_of,
        color,
        quiet: args.quiet,
        verbose: args.verbose,
        min_level: args.min_level,
        root_uri: Some(report::sarif::folder_uri(&root)),
        category: args.category.clone(),
        blob_uri: github_blob_uri(),
        threshold: fail_on.threshold(),
        results_uri: args.results_uri.clone(),
    };
    let left_out = report::sarif::left_out(&report);
    if (args.format == Format::Sarif || args.sarif.is_some()) && left_out > 0 {
        crate::sink::warning(report::sarif::limit_message(left_out));
    }
    // What is shown: findings at or above `--min-level`. SARIF and the gate keep every one.
    // Those below are set aside while the report is written, then put back in their places
    // (no copy of the report is made).
    let filtered = args.min_level != crate::finding::Level::Note && args.format != Format::Sarif;
    let mut shown_at: Vec<bool> = Vec::new();
    let mut set_aside = Vec::new();
    if filtered {
        shown_at = report
            .findings
            .iter()
            .map(|f| f.level >= args.min_level)
            .collect();
        let (shown, below): (Vec<_>, Vec<_>) = std::mem::take(&mut report.findings)
            .into_iter()
            .partition(|f| f.level >= args.min_level);
        report.findings = shown;
        report.below_min_level = below.len();
        set_aside = below;
    }
    let written = match &args.output {
        Some(path) => render_to_file(args.format, &report, &cx, path),
        None => {
            let mut out = if args.format == Format::Github {
                Output::stdout_commands()
            } else {
                Output::stdout()
            };
            report::render(args.format, &report, &cx, &mut out).and_then(|_| out.finish())
        }
    };
    if filtered {
        let mut shown = std::mem::take(&mut report.findings).into_iter();
        let mut below = set_aside.into_iter();
        report.findings = shown_at
            .into_iter()
            .filter_map(|was_shown| {
                if was_shown {
                    shown.next()
                } else {
                    below.next()
                }
            })
            .collect();
        report.below_min_level = 0;
    }
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        crate::sink::error(format!("cannot write the report: {e}"));
        return Err(EXIT_USAGE);
    }
    if let Some(path) = &args.sarif {
        let written = render_to_file(Format::Sarif, &report, &cx, path);
        if let Err(e) = written {
            crate::sink::error(format!("{}: cannot write SARIF: {e}", path.display()));
            return Err(EXIT_USAGE);
        }
    }
    if let Some(path) = &args.summary {
        let appended = Output::append(path).and_then(|mut out| {
            report::summary::render(&report, &cx, &mut out)?;
            out.finish()
        });
        if let Err(e) = appended {
            crate::sink::error(format!("{}: cannot write the summary: {e}", path.display()));
            return Err(EXIT_USAGE);
        }
    }
    if let Some(path) = &args.output
        && !args.quiet
    {
        crate::sink::info(format!(
            "{} findings written to {}",
            report.findings.len(),
            path.display()
        ));
    }

    // Writing a baseline accepts every finding it records: nothing is left to fail on.
    let failing = args.write_baseline.is_none()
        && fail_on
            .threshold()
            .is_some_and(|threshold| report.findings.iter().any(|f| f.level >= threshold));
    Ok(Outcome {
        errors: report.count(crate::finding::Level::Error),
        warnings: report.count(crate::finding::Level::Warning),
        notes: report.count(crate::finding::Level::Note),
        failing,
    })
}

/// The token from `GITHUB_TOKEN` (or `--token`), checked; a malformed one is reported here and
/// is a usage error.
fn github_token(raw: Option<String>) -> Result<Option<String>, u8> {
    crate::github::token(raw).map_err(|e| {
        crate::sink::error(format!("GITHUB_TOKEN: {e}"));
        EXIT_USAGE
    })
}

/// Render `report` as `format` into a new file at `path`, through one buffer.
fn render_to_file(
    format: Format,
    report: &crate::finding::Report,
    cx: &RenderContext,
    path: &std::path::Path,
) -> std::io::Result<()> {
    let mut out = Output::create(path)?;
    report::render(format, report, cx, &mut out)?;
    out.finish()
}

/// Where the step summary links findings, from the variables GitHub Actions sets.
fn github_blob_uri() -> Option<String> {
    let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
    Some(format!(
        "{}/{}/blob/{}",
        var("GITHUB_SERVER_URL")?.trim_end_matches('/'),
        var("GITHUB_REPOSITORY")?,
        var("GITHUB_SHA")?
    ))
}

pub fn run_fix(args: crate::cli::FixArgs) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    for path in &args.paths {
        if !path.exists() {
            crate::sink::error(format!("{}: no such file or folder", path.display()));
            return EXIT_USAGE;
        }
    }
    let files: Vec<(PathBuf, String, FileKind)> =
        crate::discover::discover(&args.paths, &globset::GlobSet::empty(), &cwd, false, true)
            .0
            .into_iter()
            .filter(|f| {
                f.refused.is_none()
                    && matches!(
                        f.kind,
                        FileKind::Dockerfile
                            | FileKind::Compose
                            | FileKind::Workflow
                            | FileKind::Action
                    )
            })
            .map(|f| (f.path, f.display, f.kind))
            .collect();
    let Ok(token) = github_token(std::env::var("GITHUB_TOKEN").ok()) else {
        return EXIT_USAGE;
    };
    // The configuration names the registries besides the public ones that may be asked.
    let config = match Config::discover(&args.paths[0]) {
        Some(path) => match Config::load(&path) {
            Ok(config) => config,
            Err(e) => {
                crate::sink::error(format!("invalid configuration: {e}"));
                return EXIT_USAGE;
            }
        },
        None => Config::default(),
    };
    let settings = crate::fix::Settings {
        api_url: &args.api_url,
        token: token.as_deref(),
        registry_mirror: args.registry_mirror.as_deref(),
        allowed_registries: crate::registry::Allowed::new(&config.online_registries),
        dry_run: args.dry_run,
    };
    match crate::fix::pin(&files, &settings) {
        Ok(summary) => {
            if args.dry_run {
                write_stdout(&crate::sink::escape_controls_keeping_lines(&summary.diff));
            }
            for reason in &summary.skipped {
                crate::sink::note(format!("not pinned: {reason}"));
            }
            for problem in &summary.unresolved {
                crate::sink::warning(format!("not pinned: {problem}"));
            }
            let count = |n: usize, one: &str, many: &str| {
                format!("{n} {}", if n == 1 { one } else { many })
            };
            crate::sink::info(format!(
                "{} and {} pinned in {}{}",
                count(summary.pinned_actions, "action", "actions"),
                count(summary.pinned_images, "image", "images"),
                count(summary.files_changed, "file", "files"),
                if args.dry_run {
                    " (dry run: nothing written)"
                } else {
                    ""
                }
            ));
            if summary.unresolved.is_empty() {
                EXIT_CLEAN
            } else {
                EXIT_FINDINGS
            }
        }
        Err(e) => {
            crate::sink::error(&e);
            EXIT_USAGE
        }
    }
}

pub fn run_upload(args: crate::cli::UploadArgs) -> u8 {
    let Ok(token) = github_token(std::env::var("GITHUB_TOKEN").ok()) else {
        return EXIT_USAGE;
    };
    let Some(token) = token else {
        crate::sink::error(
            "upload needs a token in GITHUB_TOKEN (in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`)",
        );
        return EXIT_USAGE;
    };
    if args.repository.split('/').filter(|p| !p.is_empty()).count() != 2 {
        crate::sink::error(format!(
            "--repository must be `owner/name`, not `{}`",
            args.repository
        ));
        return EXIT_USAGE;
    }
    let interval = std::time::Duration::from_millis(args.poll_interval_ms.max(1));
    let attempts = (args.wait_timeout * 1000 / args.poll_interval_ms.max(1)).max(1) as u32;
    let upload = crate::upload::Upload {
        repository: args.repository.clone(),
        commit_sha: args.commit.clone(),
        git_ref: args.git_ref.clone(),
        api_url: args.api_url.clone(),
        token,
        wait: (!args.no_wait).then_some((interval, attempts)),
    };
    match crate::upload::upload_file(&args.sarif, &upload) {
        Ok(outcome @ crate::upload::Outcome::Pending { .. }) => {
            crate::sink::warning(&outcome);
            EXIT_CLEAN
        }
        Ok(outcome) => {
            crate::sink::info(&outcome);
            EXIT_CLEAN
        }
        Err(e) => {
            crate::sink::error(&e);
            EXIT_FINDINGS
        }
    }
}

pub fn run_rules(args: RulesArgs) -> u8 {
    let out = match args.format {
        RulesFormat::Table => docs::table(),
        RulesFormat::Json => docs::json(),
        RulesFormat::Md => match &args.output_dir {
            None => docs::index_md(),
            Some(dir) => {
                if let Err(e) = docs::write_md(dir) {
                    crate::sink::error(format!("{}: {e}", dir.display()));
                    return EXIT_USAGE;
                }
                return EXIT_CLEAN;
            }
        },
    };
    write_stdout(&out)
}

/// Write `text` on standard output through the sink: clean exit, or a usage error when
/// standard output cannot be written (a closed pipe is not an error).
fn write_stdout(text: &str) -> u8 {
    let mut out = Output::stdout();
    let written = out.write_all(text.as_bytes()).and_then(|_| out.finish());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            crate::sink::error(format!("cannot write to standard output: {e}"));
            EXIT_USAGE
        }
        _ => EXIT_CLEAN,
    }
}
