//! The GitHub Action's entry point (`portcullis action`, the image's entrypoint).
//!
//! A container action receives its inputs as `INPUT_<NAME>` variables (name upper-cased, dashes
//! kept). They map to `scan` flags:
//!
//! | input | flag |
//! |---|---|
//! | `path` (whitespace-separated) | `[PATH...]` |
//! | `config` | `--config` |
//! | `policy` | `--policy` (an organization policy the repository's configuration can only tighten) |
//! | `fail-on` | `--fail-on` |
//! | `min-level` (default `warning`) | `--min-level`: what is annotated and listed in the summary |
//! | `sarif-file` (default `portcullis.sarif`) | `--sarif` |
//! | `category` | `--category` |
//! | `baseline` | `--baseline` |
//! | `summary` (default `true`) | `--summary "$GITHUB_STEP_SUMMARY"` |
//! | `history` (default on for `pull_request`, `pull_request_target` and `push`): the secret formats over every line the change's commits added, read from GitHub (lines a later commit removed included) | (like `--history`) |
//! | `only-new` (default `false`): on a pull request, merge-queue entry or push, only findings absent from the scan of its base (the changed files as they were at the base commit, read from GitHub); the SARIF file still holds every finding | (like `--new-since`) |
//! | `upload` (default `false`), `token` (default `github.token`) | `portcullis upload` after the scan |
//! | `online` (default `false`), `token` | `--online`, with the token |
//!
//! Annotations go to standard output (`--format github`). Outputs (`sarif-file`, `findings`,
//! `errors`, `warnings`, `notes`, `result`) go to `$GITHUB_OUTPUT`. GitHub runs container actions as root
//! on a workspace owned by the runner's user: the files written there are handed back to the
//! workspace's owner, so later steps can replace or remove them.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::app::{EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, Outcome, execute_scan};
use crate::cli::{ColorChoice, ScanArgs};
use crate::config::FailOn;
use crate::report::Format;

/// The inputs `action.yml` declares and `scan_args` reads.
pub const INPUTS: &[&str] = &[
    "path",
    "config",
    "policy",
    "fail-on",
    "min-level",
    "sarif-file",
    "category",
    "baseline",
    "summary",
    "only-new",
    "history",
    "upload",
    "online",
    "token",
];
/// The outputs `action.yml` declares and `write_outputs` sets.
pub const OUTPUTS: &[&str] = &[
    "sarif-file",
    "findings",
    "errors",
    "warnings",
    "notes",
    "result",
];

pub fn run() -> u8 {
    run_with(&|name| std::env::var(name).ok())
}

/// `run`, with the environment passed in (for tests).
///
/// Everything the inputs ask for is checked before the scan (inputs, the token the features
/// need, the runner's variables, the paths), so a mistake costs seconds, not a scan. On a
/// usage error the step outputs are still written (`result=error`), and the summary says
/// what to fix.
pub fn run_with(env: &dyn Fn(&str) -> Option<String>) -> u8 {
    let plan = match plan(env) {
        Ok(plan) => plan,
        Err(e) => {
            crate::sink::error(&e);
            record(env, None, None, Some(&e));
            return EXIT_USAGE;
        }
    };
    let Plan {
        mut args,
        upload,
        only_new,
        history,
    } = plan;
    if let Some((token, repository)) = &only_new {
        args.base = change_base(env, token, repository).map(std::sync::Arc::new);
    }
    if let Some((token, repository)) = &history {
        args.history_added = change_history(env, token, repository);
    }
    let outcome = match execute_scan(&args) {
        Ok(outcome) => outcome,
        Err(code) => {
            record(
                env,
                None,
                None,
                Some("the scan stopped on a usage or configuration error (see the log)"),
            );
            return code;
        }
    };
    let sarif = args.sarif.as_deref().expect("always set by scan_args");
    if let Some(workspace) = value(env, "GITHUB_WORKSPACE") {
        give_back(Path::new(&workspace), sarif);
    }
    // Upload whatever the scan found, also when it fails the step.
    let uploaded = match &upload {
        None => true,
        Some(upload) => match crate::upload::upload_file(sarif, upload) {
            Ok(outcome) => {
                crate::sink::info(&outcome);
                true
            }
            Err(e) => {
                crate::sink::error(&e);
                false
            }
        },
    };
    let code = if outcome.failing || !uploaded {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    let result = if code == EXIT_CLEAN {
        "passed"
    } else {
        "failed"
    };
    if !record(env, Some(sarif), Some((&outcome, result)), None) {
        return EXIT_USAGE;
    }
    code
}

/// What a run of the Action does, checked before it starts.
struct Plan {
    args: ScanArgs,
    upload: Option<crate::upload::Upload>,
    /// `only-new`: the token and repository GitHub is asked with.
    only_new: Option<(String, String)>,
    /// `history`: the token and repository the change's commits are read with.
    history: Option<(String, String)>,
}

fn plan(env: &dyn Fn(&str) -> Option<String>) -> Result<Plan, String> {
    let mut args = scan_args(env)?;
    let upload = upload_settings(env)?;
    let only_new = if flag(env, "only-new", false)? {
        let token = value(env, "INPUT_TOKEN").ok_or(
            "input `only-new`: no token (input `token`, default `${{ github.token }}`; the job needs `pull-requests: read` and `contents: read`)",
        )?;
        let repository = value(env, "GITHUB_REPOSITORY")
            .ok_or("input `only-new`: GITHUB_REPOSITORY is not set")?;
        Some((token, repository))
    } else {
        None
    };
    // On by default for the events whose commits are known: a pull request's and a push's.
    let history_by_default = matches!(
        value(env, "GITHUB_EVENT_NAME").as_deref(),
        Some("pull_request" | "pull_request_target" | "push")
    );
    let history = if flag(env, "history", history_by_default)? {
        match (value(env, "INPUT_TOKEN"), value(env, "GITHUB_REPOSITORY")) {
            (Some(token), Some(repository)) => Some((token, repository)),
            _ => {
                crate::sink::warning(
                    "history: no token or GITHUB_REPOSITORY, so the lines the change's commits added were not checked for secrets",
                );
                None
            }
        }
    } else {
        None
    };
    if args.online && args.token.is_none() {
        crate::sink::notice(
            "input `online` without a token: GitHub allows 60 requests an hour (input `token`)",
        );
    }
    let workspace = value(env, "GITHUB_WORKSPACE").map_or_else(
        || std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        PathBuf::from,
    );
    for path in &args.paths {
        if !path.exists() {
            return Err(format!(
                "input `path`: `{}` does not exist in the workspace",
                path.display()
            ));
        }
    }
    for (name, file) in [
        ("config", &args.config),
        ("policy", &args.policy),
        ("baseline", &args.baseline),
    ] {
        if let Some(file) = file
            && !file.is_file()
        {
            return Err(format!(
                "input `{name}`: `{}` is not a file in the workspace",
                file.display()
            ));
        }
    }
    let sarif = args.sarif.as_deref().expect("always set by scan_args");
    check_output_path(&workspace, sarif).map_err(|e| format!("input `sarif-file`: {e}"))?;
    if upload.is_some() {
        args.results_uri = results_uri(env);
    }
    Ok(Plan {
        args,
        upload,
        only_new,
        history,
    })
}

/// A file the Action writes must land inside the workspace, in a folder that exists, and not
/// through a symbolic link (which a pull request could point anywhere the container can write).
fn check_output_path(workspace: &Path, path: &Path) -> Result<(), String> {
    use std::path::Component;
    let shown = path.display();
    let workspace = std::fs::canonicalize(workspace)
        .map_err(|e| format!("the workspace {}: {e}", workspace.display()))?;
    // Both sides resolved: a workspace reached through a link is still the workspace.
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .unwrap_or_else(|_| workspace.clone());
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let relative = absolute
        .strip_prefix(&workspace)
        .map_err(|_| format!("`{shown}` is outside the workspace"))?;
    if relative.as_os_str().is_empty() {
        return Err(format!(
            "`{shown}` is the workspace itself, not a file in it"
        ));
    }
    let mut at = workspace.clone();
    let parts: Vec<Component> = relative.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let Component::Normal(name) = part else {
            return Err(format!(
                "`{shown}`: `..` and `.` are not allowed in the path"
            ));
        };
        at.push(name);
        let last = i + 1 == parts.len();
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(format!(
                    "`{shown}`: `{}` is a symbolic link; the report is not written through one",
                    at.strip_prefix(&workspace).unwrap_or(&at).display()
                ));
            }
            Ok(meta) if last && meta.is_dir() => {
                return Err(format!("`{shown}` is a folder"));
            }
            Ok(meta) if !last && !meta.is_dir() => {
                return Err(format!("`{shown}`: `{}` is not a folder", at.display()));
            }
            Ok(_) => {}
            Err(_) if last => {}
            Err(_) => {
                return Err(format!(
                    "`{shown}`: the folder `{}` does not exist",
                    at.strip_prefix(&workspace).unwrap_or(&at).display()
                ));
            }
        }
    }
    Ok(())
}

/// The code-scanning alerts of this ref, where an uploaded run's findings are read.
fn results_uri(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    Some(format!(
        "{}/{}/security/code-scanning?query={}",
        value(env, "GITHUB_SERVER_URL")?.trim_end_matches('/'),
        crate::github::encode_path(&value(env, "GITHUB_REPOSITORY")?),
        crate::github::encode_query(&format!("is:open ref:{}", value(env, "GITHUB_REF")?))
    ))
}

/// Write the step outputs (and, on a usage error, a summary saying what to fix). `false` when
/// the outputs could not be written.
fn record(
    env: &dyn Fn(&str) -> Option<String>,
    sarif: Option<&Path>,
    outcome: Option<(&Outcome, &str)>,
    usage_error: Option<&str>,
) -> bool {
    if let Some(problem) = usage_error
        && flag(env, "summary", true).unwrap_or(true)
        && let Some(path) = value(env, "GITHUB_STEP_SUMMARY")
    {
        let text = format!(
            "### ⚠️ Portcullis did not run: usage error\n\n{}\n",
            crate::report::summary::cell(problem)
        );
        let written = crate::sink::Output::append(Path::new(&path)).and_then(|mut out| {
            out.write_all(text.as_bytes())?;
            out.finish()
        });
        if let Err(e) = written {
            crate::sink::error(format!("{path}: cannot write the summary: {e}"));
        }
    }
    let Some(path) = value(env, "GITHUB_OUTPUT") else {
        return true;
    };
    match write_outputs(Path::new(&path), sarif, outcome) {
        Ok(()) => true,
        Err(e) => {
            crate::sink::error(format!("{path}: cannot write the step outputs: {e}"));
            false
        }
    }
}

/// The `scan` arguments the inputs ask for.
pub fn scan_args(env: &dyn Fn(&str) -> Option<String>) -> Result<ScanArgs, String> {
    let input = |name: &str| value(env, &format!("INPUT_{}", name.to_ascii_uppercase()));
    let paths: Vec<PathBuf> = input("path")
        .map(|p| p.split_whitespace().map(PathBuf::from).collect())
        .unwrap_or_else(|| vec![PathBuf::from(".")]);
    let fail_on = match input("fail-on").as_deref() {
        None => None,
        Some("error") => Some(FailOn::Error),
        Some("warning") => Some(FailOn::Warning),
        Some("note") => Some(FailOn::Note),
        Some("never") => Some(FailOn::Never),
        Some(other) => {
            return Err(format!(
                "input `fail-on`: expected error, warning, note or never, got `{other}`"
            ));
        }
    };
    // Pull-request annotations and the summary's tables show warnings and errors unless asked;
    // the SARIF file keeps every finding.
    let min_level = match input("min-level").as_deref() {
        None => crate::finding::Level::Warning,
        Some(text) => crate::finding::Level::parse(text).ok_or_else(|| {
            format!("input `min-level`: expected error, warning or note, got `{text}`")
        })?,
    };
    let summary = if flag(env, "summary", true)? {
        env("GITHUB_STEP_SUMMARY")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    } else {
        None
    };
    Ok(ScanArgs {
        paths,
        format: Format::Github,
        output: None,
        fail_on,
        config: input("config").map(PathBuf::from),
        policy: input("policy").map(PathBuf::from),
        baseline: input("baseline").map(PathBuf::from),
        write_baseline: None,
        quiet: false,
        verbose: false,
        min_level,
        new_since: None,
        history: None,
        history_added: None,
        base: None,
        sarif: Some(PathBuf::from(
            input("sarif-file").unwrap_or_else(|| "portcullis.sarif".into()),
        )),
        summary,
        category: input("category"),
        secrets_scope: None,
        color: ColorChoice::Never,
        online: flag(env, "online", false)?,
        registry_mirror: None,
        api_url: api_url(env),
        token: input("token"),
        results_uri: None,
    })
}

/// The GitHub API the runner names (`GITHUB_API_URL`), or the public one.
fn api_url(env: &dyn Fn(&str) -> Option<String>) -> String {
    value(env, "GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into())
}

/// A variable's value, trimmed; `None` when unset or blank (the runner passes unset inputs as
/// empty strings).
fn value(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A boolean input: `true`, `false` or unset.
fn flag(env: &dyn Fn(&str) -> Option<String>, name: &str, default: bool) -> Result<bool, String> {
    match value(env, &format!("INPUT_{}", name.to_ascii_uppercase())).as_deref() {
        None => Ok(default),
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(format!(
            "input `{name}`: expected true or false, got `{other}`"
        )),
    }
}

/// What `only-new` compares the workspace with, by the event that started the run.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    /// A pull request (`pull_request`, `pull_request_target`): its files, from GitHub.
    PullRequest(u64),
    /// The commits between `base` and `head` (`merge_group`, `push`).
    Range { base: String, head: String },
    /// Nothing to compare with: every finding is reported, for this reason.
    Whole(String),
}

/// The event payload the runner wrote (`GITHUB_EVENT_PATH`), when there is one.
fn event_payload(env: &dyn Fn(&str) -> Option<String>) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(value(env, "GITHUB_EVENT_PATH")?).ok()?;
    serde_json::from_str(&text).ok()
}

/// The change the run's event describes:
///
/// - `pull_request`, `pull_request_target`: the pull request (its number from the event, or
///   from `GITHUB_REF`). Under `pull_request_target` the runner checks out the *base* branch:
///   the workspace must hold the pull request's head (or merge) commit, read from `.git`,
///   or nothing of the pull request would be scanned; otherwise every finding is reported
///   with a warning saying so.
/// - `merge_group`: the queue entry's `base_sha`…`head_sha`.
/// - `push`: `before`…`after` (a push that creates a branch has no `before`).
/// - anything else (`schedule`, `workflow_dispatch`, …): the whole workspace.
fn change_to_compare(env: &dyn Fn(&str) -> Option<String>) -> Change {
    let event_name = value(env, "GITHUB_EVENT_NAME");
    let payload = event_payload(env).unwrap_or(serde_json::Value::Null);
    let sha = |v: &serde_json::Value| {
        v.as_str()
            .filter(|s| crate::github::is_commit(s))
            .map(str::to_ascii_lowercase)
    };
    let from_ref = value(env, "GITHUB_REF").and_then(|r| {
        r.strip_prefix("refs/pull/")?
            .split('/')
            .next()?
            .parse::<u64>()
            .ok()
    });
    match event_name.as_deref() {
        Some("pull_request_target") => {
            let Some(number) = payload["pull_request"]["number"].as_u64() else {
                return Change::Whole("the event names no pull request".into());
            };
            let wanted = [
                sha(&payload["pull_request"]["head"]["sha"]),
                sha(&payload["pull_request"]["merge_commit_sha"]),
            ];
            let workspace = value(env, "GITHUB_WORKSPACE").unwrap_or_else(|| ".".into());
            match crate::tracked::head_commit(Path::new(&workspace)) {
                Some(head) if wanted.contains(&Some(head.clone())) => Change::PullRequest(number),
                _ => Change::Whole(
                    "under pull_request_target the workspace is not the pull request's head or merge commit \
                     (the runner checks out the base branch), so its changes are not what was scanned"
                        .into(),
                ),
            }
        }
        Some("pull_request") | None => {
            match payload["pull_request"]["number"].as_u64().or(from_ref) {
                Some(number) => Change::PullRequest(number),
                None if event_name.is_none() => Change::Whole("not a pull request".into()),
                None => Change::Whole("the event names no pull request".into()),
            }
        }
        Some("merge_group") => {
            let group = &payload["merge_group"];
            match (sha(&group["base_sha"]), sha(&group["head_sha"])) {
                (Some(base), Some(head)) => Change::Range { base, head },
                _ => Change::Whole("the merge-queue event names no base and head commits".into()),
            }
        }
        Some("push") => match (sha(&payload["before"]), sha(&payload["after"])) {
            (Some(before), Some(after)) if before.bytes().any(|b| b != b'0') => Change::Range {
                base: before,
                head: after,
            },
            (Some(_), Some(_)) => {
                Change::Whole("a push that creates a branch has nothing before it".into())
            }
            _ => Change::Whole("the push event names no before and after commits".into()),
        },
        Some(other) => Change::Whole(format!("a `{other}` run has no change to compare with")),
    }
}

/// The lines the commits of the run's change added (`history`), read from GitHub: the image
/// has no git. A change GitHub cannot list is reported and the scan goes on without it.
fn change_history(
    env: &dyn Fn(&str) -> Option<String>,
    token: &str,
    repository: &str,
) -> Option<(PathBuf, Vec<crate::history::AddedLines>)> {
    let commits = match change_to_compare(env) {
        Change::PullRequest(number) => crate::github::Commits::PullRequest(number),
        Change::Range { ref base, ref head } => {
            return read_history(
                env,
                token,
                repository,
                crate::github::Commits::Range { base, head },
            );
        }
        Change::Whole(reason) => {
            crate::sink::notice(format!("history: {reason}; no commits to read"));
            return None;
        }
    };
    read_history(env, token, repository, commits)
}

fn read_history(
    env: &dyn Fn(&str) -> Option<String>,
    token: &str,
    repository: &str,
    commits: crate::github::Commits,
) -> Option<(PathBuf, Vec<crate::history::AddedLines>)> {
    let workspace =
        value(env, "GITHUB_WORKSPACE").map_or_else(|| PathBuf::from("."), PathBuf::from);
    match crate::github::added_lines(&api_url(env), token, repository, commits) {
        Ok(added) => Some((workspace, added)),
        Err(e) => {
            crate::sink::warning(format!(
                "history: {e}; the lines the change's commits added were not checked for secrets"
            ));
            None
        }
    }
}

/// The base the change is compared with, when `only-new` asks for it: the workspace with the
/// files the change touches put back as they were at its base commit. The image has no git, so
/// the list and the old texts come from GitHub. When they cannot be had, every finding is
/// reported: a gate fails closed.
fn change_base(
    env: &dyn Fn(&str) -> Option<String>,
    token: &str,
    repository: &str,
) -> Option<crate::changes::BaseTree> {
    let var = |name: &str| value(env, name);
    let api = api_url(env);
    let listed = match change_to_compare(env) {
        Change::Whole(reason) => {
            crate::sink::notice(format!("only-new: {reason}; reporting every finding"));
            return None;
        }
        Change::PullRequest(number) => {
            crate::github::pull_request_files(&api, token, repository, number)
        }
        Change::Range { base, head } => {
            crate::github::compared_files(&api, token, repository, &base, &head)
                .map(|files| (files, base))
        }
    };
    let base = listed.and_then(|(files, base)| {
        // Files with a binary name cannot change a finding; the others are fetched.
        let wanted: Vec<&str> = files
            .iter()
            .filter_map(crate::changes::ChangedFile::base_path)
            .filter(|p| crate::discover::plain_text_name(Path::new(p)))
            .collect();
        let before = crate::github::files_at(&api, token, repository, &base, &wanted)?;
        let workspace = var("GITHUB_WORKSPACE").unwrap_or_else(|| ".".into());
        crate::changes::BaseTree::from_changed_files(Path::new(&workspace), &files, &before)
    });
    match base {
        Ok(base) => Some(base),
        Err(e) => {
            crate::sink::warning(format!("only-new: {e}; reporting every finding"));
            None
        }
    }
}

/// The upload the `upload` and `token` inputs ask for, with the commit, ref and API from the
/// variables the runner sets.
fn upload_settings(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<crate::upload::Upload>, String> {
    let var = |name: &str| value(env, name);
    if !flag(env, "upload", false)? {
        return Ok(None);
    }
    let need = |name: &str| var(name).ok_or_else(|| format!("input `upload`: {name} is not set"));
    let token = var("INPUT_TOKEN")
        .ok_or("input `upload`: no token (input `token`, default `${{ github.token }}`)")?;
    Ok(Some(crate::upload::Upload {
        repository: need("GITHUB_REPOSITORY")?,
        commit_sha: need("GITHUB_SHA")?,
        git_ref: need("GITHUB_REF")?,
        api_url: api_url(env),
        token,
        wait: Some((std::time::Duration::from_secs(5), 24)),
    }))
}

/// Append the step outputs, in the multi-line form when a value holds a line break. Without
/// an outcome (a usage error) the counts are empty and `result` is `error`.
fn write_outputs(
    path: &Path,
    sarif: Option<&Path>,
    outcome: Option<(&Outcome, &str)>,
) -> std::io::Result<()> {
    let mut text = String::new();
    let mut put = |name: &str, value: &str| {
        if value.contains(['\n', '\r']) {
            let mut delimiter = String::from("PORTCULLIS_EOF");
            while value.contains(&delimiter) {
                delimiter.push('_');
            }
            text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            text.push_str(&format!("{name}={value}\n"));
        }
    };
    put(
        "sarif-file",
        &sarif.map(|p| p.to_string_lossy()).unwrap_or_default(),
    );
    let count =
        |n: fn(&Outcome) -> usize| outcome.map(|(o, _)| n(o).to_string()).unwrap_or_default();
    put("findings", &count(|o| o.errors + o.warnings + o.notes));
    put("errors", &count(|o| o.errors));
    put("warnings", &count(|o| o.warnings));
    put("notes", &count(|o| o.notes));
    put("result", outcome.map_or("error", |(_, result)| result));
    let mut out = crate::sink::Output::append(path)?;
    out.write_all(text.as_bytes())?;
    out.finish()
}

/// Give a file written into the workspace to the workspace's owner. Only root can; anyone else
/// already owns what they wrote, so a failure changes nothing.
fn give_back(workspace: &Path, file: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(workspace) else {
        return;
    };
    let _ = std::os::unix::fs::chown(file, Some(meta.uid()), Some(meta.gid()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn args(vars: &[(&str, &str)]) -> Result<ScanArgs, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        scan_args(&|name| map.get(name).cloned())
    }

    #[test]
    fn defaults() {
        let a = args(&[]).unwrap();
        assert_eq!(a.paths, vec![PathBuf::from(".")]);
        assert_eq!(a.format, Format::Github);
        assert_eq!(a.sarif, Some(PathBuf::from("portcullis.sarif")));
        assert!(a.fail_on.is_none() && a.new_since.is_none() && a.summary.is_none());
        assert!(!a.online);
    }

    #[test]
    fn inputs_map_to_flags() {
        let a = args(&[
            ("INPUT_PATH", "services/api  services/web\n"),
            ("INPUT_FAIL-ON", "warning"),
            ("INPUT_SARIF-FILE", "out.sarif"),
            ("INPUT_CATEGORY", "api"),
            ("INPUT_CONFIG", "ci/portcullis.toml"),
            ("INPUT_BASELINE", ".portcullis-baseline.json"),
            ("INPUT_ONLINE", "true"),
            ("INPUT_TOKEN", "ghs_token"),
            ("GITHUB_API_URL", "https://ghe.example/api/v3"),
            ("GITHUB_STEP_SUMMARY", "/tmp/summary"),
        ])
        .unwrap();
        assert!(a.online);
        assert_eq!(a.token.as_deref(), Some("ghs_token"));
        assert_eq!(a.api_url, "https://ghe.example/api/v3");
        assert_eq!(
            a.paths,
            vec![PathBuf::from("services/api"), PathBuf::from("services/web")]
        );
        assert_eq!(a.fail_on, Some(FailOn::Warning));
        assert_eq!(a.sarif, Some(PathBuf::from("out.sarif")));
        assert_eq!(a.category.as_deref(), Some("api"));
        assert_eq!(a.config, Some(PathBuf::from("ci/portcullis.toml")));
        assert_eq!(a.baseline, Some(PathBuf::from(".portcullis-baseline.json")));
        assert_eq!(a.summary, Some(PathBuf::from("/tmp/summary")));
    }

    #[test]
    fn summary_can_be_off() {
        let a = args(&[
            ("INPUT_SUMMARY", "false"),
            ("GITHUB_STEP_SUMMARY", "/tmp/summary"),
        ])
        .unwrap();
        assert!(a.summary.is_none());
    }

    #[test]
    fn upload_needs_a_token_and_the_runner_variables() {
        let settings = |vars: &[(&str, &str)]| {
            let map: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            upload_settings(&|name| map.get(name).cloned())
        };
        assert!(settings(&[]).unwrap().is_none());
        assert!(settings(&[("INPUT_UPLOAD", "yes")]).is_err());
        assert!(settings(&[("INPUT_UPLOAD", "true")]).is_err());
        assert!(settings(&[("INPUT_UPLOAD", "true"), ("INPUT_TOKEN", "t")]).is_err());
        let upload = settings(&[
            ("INPUT_UPLOAD", "true"),
            ("INPUT_TOKEN", "t"),
            ("GITHUB_REPOSITORY", "acme/app"),
            ("GITHUB_SHA", "abc"),
            ("GITHUB_REF", "refs/heads/main"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(upload.api_url, "https://api.github.com");
        assert_eq!(upload.repository, "acme/app");
    }

    #[test]
    fn bad_inputs_are_usage_errors() {
        assert!(args(&[("INPUT_FAIL-ON", "critical")]).is_err());
        assert!(args(&[("INPUT_SUMMARY", "yes")]).is_err());
    }

    #[test]
    fn outputs_use_the_multiline_form_only_when_needed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("output");
        let outcome = Outcome {
            errors: 2,
            warnings: 1,
            notes: 0,
            failing: true,
        };
        write_outputs(
            &out,
            Some(Path::new("a\nb.sarif")),
            Some((&outcome, "failed")),
        )
        .unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            text,
            "sarif-file<<PORTCULLIS_EOF\na\nb.sarif\nPORTCULLIS_EOF\nfindings=3\nerrors=2\nwarnings=1\nnotes=0\nresult=failed\n"
        );
        // A usage error: every output is set, the counts empty.
        write_outputs(&out, None, None).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            text.ends_with("sarif-file=\nfindings=\nerrors=\nwarnings=\nnotes=\nresult=error\n"),
            "{text}"
        );
    }

    fn change(vars: &[(&str, &str)], event: Option<serde_json::Value>) -> Change {
        let dir = tempfile::tempdir().unwrap();
        let event_path = dir.path().join("event.json");
        let mut map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(event) = event {
            std::fs::write(&event_path, event.to_string()).unwrap();
            map.insert(
                "GITHUB_EVENT_PATH".into(),
                event_path.to_string_lossy().into(),
            );
        }
        map.entry("GITHUB_WORKSPACE".into())
            .or_insert_with(|| dir.path().to_string_lossy().into());
        change_to_compare(&|name| map.get(name).cloned())
    }

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn each_event_has_a_defined_comparison() {
        // pull_request: the number from the event, or from the ref.
        assert_eq!(
            change(
                &[("GITHUB_EVENT_NAME", "pull_request")],
                Some(serde_json::json!({"pull_request": {"number": 7}}))
            ),
            Change::PullRequest(7)
        );
        assert_eq!(
            change(&[("GITHUB_REF", "refs/pull/9/merge")], None),
            Change::PullRequest(9)
        );
        // merge_group and push: a commit range.
        assert_eq!(
            change(
                &[("GITHUB_EVENT_NAME", "merge_group")],
                Some(serde_json::json!({"merge_group": {"base_sha": A, "head_sha": B}}))
            ),
            Change::Range {
                base: A.into(),
                head: B.into()
            }
        );
        assert_eq!(
            change(
                &[("GITHUB_EVENT_NAME", "push")],
                Some(serde_json::json!({"before": A, "after": B}))
            ),
            Change::Range {
                base: A.into(),
                head: B.into()
            }
        );
        // A push creating a branch, a schedule, a manual run: the whole workspace.
        let zero = "0".repeat(40);
        for (name, event) in [
            ("push", serde_json::json!({"before": zero, "after": B})),
            ("schedule", serde_json::json!({})),
            ("workflow_dispatch", serde_json::json!({})),
        ] {
            assert!(
                matches!(
                    change(&[("GITHUB_EVENT_NAME", name)], Some(event)),
                    Change::Whole(_)
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn pull_request_target_compares_only_a_checked_out_head() {
        let event = serde_json::json!({"pull_request": {
            "number": 4, "head": {"sha": B}, "merge_commit_sha": A
        }});
        let workspace = tempfile::tempdir().unwrap();
        let ws = workspace.path().to_string_lossy().to_string();
        let vars = [
            ("GITHUB_EVENT_NAME", "pull_request_target"),
            ("GITHUB_WORKSPACE", ws.as_str()),
        ];
        // No repository: what is checked out cannot be told, so nothing is left out.
        assert!(matches!(
            change(&vars, Some(event.clone())),
            Change::Whole(reason) if reason.contains("not the pull request's head")
        ));
        // The runner's default: the base branch.
        let git = workspace.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(git.join("refs/heads/main"), format!("{}\n", "c".repeat(40))).unwrap();
        assert!(matches!(
            change(&vars, Some(event.clone())),
            Change::Whole(_)
        ));
        // The head checked out (detached), or the merge commit through a packed ref.
        std::fs::write(git.join("HEAD"), format!("{B}\n")).unwrap();
        assert_eq!(change(&vars, Some(event.clone())), Change::PullRequest(4));
        std::fs::write(git.join("HEAD"), "ref: refs/heads/pr\n").unwrap();
        std::fs::write(
            git.join("packed-refs"),
            format!("# pack-refs\n{A} refs/heads/pr\n"),
        )
        .unwrap();
        assert_eq!(change(&vars, Some(event)), Change::PullRequest(4));
    }

    #[test]
    fn output_paths_stay_in_the_workspace_and_off_links() {
        let dir = tempfile::tempdir().unwrap();
        let ws = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(ws.join("reports")).unwrap();
        std::os::unix::fs::symlink("/tmp", ws.join("out")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", ws.join("link.sarif")).unwrap();
        assert!(check_output_path(&ws, &ws.join("portcullis.sarif")).is_ok());
        assert!(check_output_path(&ws, &ws.join("reports/p.sarif")).is_ok());
        for (path, why) in [
            (ws.join("missing/p.sarif"), "does not exist"),
            (ws.join("out/p.sarif"), "symbolic link"),
            (ws.join("link.sarif"), "symbolic link"),
            (ws.join("reports"), "is a folder"),
            (ws.join("reports/../p.sarif"), "`..`"),
            (PathBuf::from("/etc/p.sarif"), "outside the workspace"),
        ] {
            let e = check_output_path(&ws, &path).unwrap_err();
            assert!(e.contains(why), "{}: {e}", path.display());
        }
    }
}
