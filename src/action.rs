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
//! | `sarif-file` (default `portcullis.sarif`) | `--sarif` |
//! | `category` | `--category` |
//! | `baseline` | `--baseline` |
//! | `summary` (default `true`) | `--summary "$GITHUB_STEP_SUMMARY"` |
//! | `only-new` (default `false`): on a pull request or merge-queue entry, only findings absent from the scan of its base (the changed files as they were at the base commit, read from GitHub) | (like `--new-since`) |
//! | `upload` (default `false`), `token` (default `github.token`) | `portcullis upload` after the scan |
//! | `online` (default `false`), `token` | `--online`, with the token |
//!
//! Annotations go to standard output (`--format github`). Outputs (`sarif-file`, `findings`,
//! `errors`, `warnings`, `notes`) go to `$GITHUB_OUTPUT`. GitHub runs container actions as root
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
    "sarif-file",
    "category",
    "baseline",
    "summary",
    "only-new",
    "upload",
    "online",
    "token",
];
/// The outputs `action.yml` declares and `write_outputs` sets.
pub const OUTPUTS: &[&str] = &["sarif-file", "findings", "errors", "warnings", "notes"];

pub fn run() -> u8 {
    run_with(&|name| std::env::var(name).ok())
}

/// `run`, with the environment passed in (for tests).
pub fn run_with(env: &dyn Fn(&str) -> Option<String>) -> u8 {
    let mut args = match scan_args(env) {
        Ok(args) => args,
        Err(e) => {
            crate::sink::error(&e);
            return EXIT_USAGE;
        }
    };
    match pull_request_base(env) {
        Ok(base) => args.base = base.map(std::sync::Arc::new),
        Err(e) => {
            crate::sink::error(&e);
            return EXIT_USAGE;
        }
    }
    let outcome = match execute_scan(&args) {
        Ok(outcome) => outcome,
        Err(code) => return code,
    };
    if let Some(workspace) = env("GITHUB_WORKSPACE").filter(|w| !w.is_empty()) {
        let sarif = args.sarif.as_deref().expect("always set by scan_args");
        give_back(Path::new(&workspace), sarif);
    }
    // Upload whatever the scan found, also when it fails the step.
    let uploaded = match upload_settings(env) {
        Ok(None) => true,
        Ok(Some(upload)) => {
            let sarif = args.sarif.as_deref().expect("always set by scan_args");
            match crate::upload::upload_file(sarif, &upload) {
                Ok(outcome) => {
                    crate::sink::info(&outcome);
                    true
                }
                Err(e) => {
                    crate::sink::error(&e);
                    false
                }
            }
        }
        Err(e) => {
            crate::sink::error(&e);
            return EXIT_USAGE;
        }
    };
    if let Some(path) = env("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
        let sarif = args.sarif.as_deref().expect("always set by scan_args");
        if let Err(e) = write_outputs(Path::new(&path), sarif, &outcome) {
            crate::sink::error(format!("{path}: cannot write the step outputs: {e}"));
            return EXIT_USAGE;
        }
    }
    if outcome.failing || !uploaded {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
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
        new_since: None,
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
        api_url: value(env, "GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
        token: input("token"),
    })
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

/// The base the pull request (or merge-queue entry) is compared with, when `only-new` asks
/// for it: the workspace with the files it changes put back as they were at the base commit.
/// The image has no git, so the list and the old texts come from GitHub: the pull request's
/// files, or for a `merge_group` event the comparison of the queue entry with its base, and
/// each file's text at the base commit. When they cannot be had, every finding is reported:
/// a gate fails closed.
fn pull_request_base(
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<crate::changes::BaseTree>, String> {
    let var = |name: &str| value(env, name);
    if !flag(env, "only-new", false)? {
        return Ok(None);
    }
    let number = var("GITHUB_REF").and_then(|r| {
        r.strip_prefix("refs/pull/")?
            .split('/')
            .next()?
            .parse::<u64>()
            .ok()
    });
    let merge_group = if var("GITHUB_EVENT_NAME").as_deref() == Some("merge_group") {
        merge_group_range(var("GITHUB_EVENT_PATH").as_deref())
    } else {
        None
    };
    if number.is_none() && merge_group.is_none() {
        crate::sink::notice("only-new: not a pull request; reporting every finding");
        return Ok(None);
    }
    let (Some(token), Some(repository)) = (var("INPUT_TOKEN"), var("GITHUB_REPOSITORY")) else {
        return Err("input `only-new`: needs `token` and GITHUB_REPOSITORY".into());
    };
    let api = var("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into());
    let listed = match (number, merge_group) {
        (Some(number), _) => crate::github::pull_request_files(&api, &token, &repository, number),
        (None, Some((base, head))) => {
            crate::github::compared_files(&api, &token, &repository, &base, &head)
                .map(|files| (files, base))
        }
        (None, None) => unreachable!("checked above"),
    };
    let base = listed.and_then(|(files, base)| {
        // Files with a binary name cannot change a finding; the others are fetched.
        let wanted: Vec<&str> = files
            .iter()
            .filter_map(crate::changes::ChangedFile::base_path)
            .filter(|p| crate::discover::plain_text_name(Path::new(p)))
            .collect();
        let before = crate::github::files_at(&api, &token, &repository, &base, &wanted)?;
        let workspace = var("GITHUB_WORKSPACE").unwrap_or_else(|| ".".into());
        crate::changes::BaseTree::from_changed_files(Path::new(&workspace), &files, &before)
    });
    match base {
        Ok(base) => Ok(Some(base)),
        Err(e) => {
            crate::sink::warning(format!("only-new: {e}; reporting every finding"));
            Ok(None)
        }
    }
}

/// `merge_group.base_sha` and `merge_group.head_sha` of the event payload.
fn merge_group_range(event_path: Option<&str>) -> Option<(String, String)> {
    let text = std::fs::read_to_string(event_path?).ok()?;
    let event: serde_json::Value = serde_json::from_str(&text).ok()?;
    let sha = |key: &str| {
        event["merge_group"][key]
            .as_str()
            .filter(|s| crate::online::is_commit_sha(s))
            .map(str::to_string)
    };
    Some((sha("base_sha")?, sha("head_sha")?))
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
        api_url: var("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into()),
        token,
        wait: Some((std::time::Duration::from_secs(5), 24)),
    }))
}

/// Append the step outputs, in the multi-line form when a value holds a line break.
fn write_outputs(path: &Path, sarif: &Path, outcome: &Outcome) -> std::io::Result<()> {
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
    put("sarif-file", &sarif.to_string_lossy());
    let total = outcome.errors + outcome.warnings + outcome.notes;
    put("findings", &total.to_string());
    put("errors", &outcome.errors.to_string());
    put("warnings", &outcome.warnings.to_string());
    put("notes", &outcome.notes.to_string());
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
        write_outputs(&out, Path::new("a\nb.sarif"), &outcome).unwrap();
        let text = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            text,
            "sarif-file<<PORTCULLIS_EOF\na\nb.sarif\nPORTCULLIS_EOF\nfindings=3\nerrors=2\nwarnings=1\nnotes=0\n"
        );
    }
}
