//! `org scan`: check the repositories of one matrix job, one after the other, asking for the
//! branch heads of fifty at a time in one query. For each: fetch
//! the files Portcullis checks, scan them under the organization's policy (the repository's
//! own configuration may only tighten it), write a compact result, and optionally upload the
//! SARIF to that repository's code scanning. A repository that fails is recorded as not
//! checked and the next one goes on.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::fetch::{HEADS_PER_QUERY, Head, Wanted, fetch, heads};
use super::results::{NotFetched, OrgFinding, RepositoryResult, Status, Timing, VERSION};
use crate::config::Config;
use crate::report::{self, RenderContext};
use crate::scan::{ScanOptions, scan};
use crate::sink::Output;

/// The SARIF category of organization scans: it keeps their alerts apart from a repository's
/// own Portcullis runs in the Security tab.
pub const CATEGORY: &str = "portcullis/org";

/// One job's work.
pub struct Job {
    pub repositories: Vec<String>,
    pub api_url: String,
    pub token: String,
    /// The organization policy; the default configuration when there is none.
    pub policy: Option<Config>,
    /// Where `<owner>/<name>.json` results are written.
    pub results: PathBuf,
    /// Upload each repository's SARIF to its code scanning (category `portcullis/org`).
    pub upload: bool,
    /// A folder for the fetched files (emptied after each repository).
    pub work: PathBuf,
    /// Network limits, applied to each repository afresh: `--timeout` bounds one
    /// repository's requests, so a slow one cannot use up the time of those after it.
    pub limits: crate::net::Limits,
}

/// What the job did, for its exit status.
#[derive(Debug, Default)]
pub struct Done {
    pub checked: usize,
    pub not_checked: usize,
    pub upload_failures: usize,
    pub findings: usize,
}

pub fn run(job: &Job) -> Done {
    let mut done = Done::default();
    for chunk in job.repositories.chunks(HEADS_PER_QUERY) {
        // The heads of the next repositories in one query, asked for just before they are
        // checked (minutes later, a branch may have moved on; seconds later, it rarely has).
        crate::net::configure(job.limits);
        let asked: Vec<String> = chunk
            .iter()
            .filter(|r| super::is_repository_name(r))
            .cloned()
            .collect();
        let known = if asked.is_empty() {
            Default::default()
        } else {
            crate::github::block_on(async {
                let client = crate::github::client(&job.api_url, &job.token)?;
                Ok::<_, String>(
                    heads(&client, &super::fetch::graphql_url(&job.api_url), &asked).await,
                )
            })
            .and_then(|inner| inner)
            .unwrap_or_default()
        };
        for (i, repository) in chunk.iter().enumerate() {
            let mut result = check_one(job, repository, known.get(repository).cloned());
            if i == 0 && !asked.is_empty() {
                // The shared query, counted once.
                result.timing.requests += 1;
            }
            record(&mut done, job, repository, &result);
        }
    }
    done
}

/// Count a repository's result, say how it went, and write it.
fn record(done: &mut Done, job: &Job, repository: &str, result: &RepositoryResult) {
    match result.status {
        Status::Checked => done.checked += 1,
        Status::NotChecked => done.not_checked += 1,
    }
    if result
        .upload
        .as_deref()
        .is_some_and(|u| !u.starts_with("accepted"))
    {
        done.upload_failures += 1;
    }
    done.findings += result.findings.len();
    match &result.reason {
        Some(reason) => crate::sink::warning(format!("{repository}: not checked: {reason}")),
        None => crate::sink::info(format!(
            "{repository}: {} files, {} findings",
            result.files,
            result.findings.len()
        )),
    }
    if let Err(e) = write_result(&job.results, result) {
        crate::sink::error(format!("{repository}: cannot write its result: {e}"));
        done.not_checked += 1;
    }
}

fn check_one(job: &Job, repository: &str, known: Option<Head>) -> RepositoryResult {
    crate::net::configure(job.limits);
    if !super::is_repository_name(repository) {
        return RepositoryResult::not_checked(repository, "not a repository name".into());
    }
    let work = job.work.join(repository.replace('/', "__"));
    let _ = std::fs::remove_dir_all(&work);
    if let Err(e) = std::fs::create_dir_all(&work) {
        return RepositoryResult::not_checked(
            repository,
            format!("cannot create a work folder: {e}"),
        );
    }
    let result = check_in(job, repository, &work, known);
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn check_in(job: &Job, repository: &str, work: &Path, known: Option<Head>) -> RepositoryResult {
    let base = job.policy.clone().unwrap_or_default();
    let wanted = Wanted {
        graphql: super::fetch::graphql_url(&job.api_url),
        max_file_size: base.max_file_size,
        all_text: base.secrets_scope_all,
    };
    let files = work.join("files");
    let started = Instant::now();
    let fetched = crate::github::block_on(async {
        let client = crate::github::client(&job.api_url, &job.token)?;
        std::fs::create_dir_all(&files).map_err(|e| format!("cannot create a work folder: {e}"))?;
        fetch(&client, repository, &files, wanted, known).await
    })
    .and_then(|inner| inner);
    let fetched = match fetched {
        Ok(fetched) => fetched,
        Err(reason) => return RepositoryResult::not_checked(repository, reason),
    };
    let fetch_ms = started.elapsed().as_millis() as u64;

    let started = Instant::now();
    let (config, mut notifications) = configuration(job.policy.as_ref(), &files);
    let options = ScanOptions {
        roots: vec![files.clone()],
        config,
        cwd: files.clone(),
        only: None,
        online: None,
        extra_rules: Vec::new(),
        gitignore: false,
    };
    let report = if fetched.commit.is_empty() {
        crate::finding::Report::default()
    } else {
        scan(&options)
    };
    crate::sink::learn_secrets(&report.redactor);
    notifications.extend(report.notifications.iter().map(|n| n.message.clone()));
    let scan_ms = started.elapsed().as_millis() as u64;

    let mut result = RepositoryResult {
        version: VERSION,
        repository: repository.to_string(),
        status: Status::Checked,
        reason: None,
        branch: fetched.branch.clone(),
        commit: fetched.commit.clone(),
        files: fetched.files,
        not_fetched: fetched
            .not_fetched
            .iter()
            .map(|(path, reason)| NotFetched {
                path: path.clone(),
                reason: reason.clone(),
            })
            .collect(),
        findings: report
            .findings
            .iter()
            .map(|f| OrgFinding {
                rule: f.rule.id.to_string(),
                level: f.level.as_str().to_string(),
                path: f.location.path.clone(),
                line: f.location.start.line,
                column: f.location.start.column,
                message: f.message.clone(),
                fingerprint: f.fingerprint.clone(),
                new: false,
            })
            .collect(),
        notifications,
        upload: None,
        timing: Timing {
            fetch_ms,
            scan_ms,
            requests: fetched.requests,
            bytes: fetched.bytes,
        },
    };
    if job.upload && !fetched.commit.is_empty() {
        result.upload = Some(
            match upload(job, repository, &options, &report, &fetched, work) {
                Ok(id) => format!("accepted {id}"),
                Err(e) => {
                    crate::sink::error(format!("{repository}: upload: {e}"));
                    format!("failed: {e}")
                }
            },
        );
    }
    result
}

/// The policy, tightened by the repository's own configuration when it has one at its root;
/// a configuration that does not parse leaves the policy alone and says so.
fn configuration(policy: Option<&Config>, files: &Path) -> (Config, Vec<String>) {
    let found = crate::config::FILE_NAMES
        .iter()
        .map(|name| files.join(name))
        .find(|path| path.is_file());
    let mut notes = Vec::new();
    let own = match found {
        Some(path) => match Config::load(&path) {
            Ok(mut config) => {
                // Its findings point at the repository's path, not the work folder.
                config.source = path
                    .strip_prefix(files)
                    .ok()
                    .map(Path::to_path_buf)
                    .or(config.source);
                config
            }
            Err(e) => {
                let shown = path
                    .strip_prefix(files)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                notes.push(format!(
                    "{shown}: invalid configuration ({}); scanned with the organization policy alone",
                    e.message
                ));
                Config::default()
            }
        },
        None => Config::default(),
    };
    match policy {
        Some(policy) => {
            let (config, refused) = own.under_policy(policy);
            notes.extend(refused.into_iter().map(|r| format!("policy: {r}")));
            (config, notes)
        }
        None => (own, notes),
    }
}

fn upload(
    job: &Job,
    repository: &str,
    options: &ScanOptions,
    report: &crate::finding::Report,
    fetched: &super::fetch::Fetched,
    work: &Path,
) -> Result<String, String> {
    let enabled: Vec<&'static crate::descriptor::RuleDescriptor> = crate::rules::ALL
        .iter()
        .filter(|r| options.rule_active(r))
        .map(|r| &r.descriptor)
        .collect();
    let level_of = |r: &crate::descriptor::RuleDescriptor| options.config.level(r);
    let cx = RenderContext {
        rules: &enabled,
        level_of: &level_of,
        color: false,
        quiet: true,
        verbose: false,
        min_level: crate::finding::Level::Note,
        root_uri: None,
        category: Some(CATEGORY.to_string()),
        blob_uri: None,
        threshold: None,
        results_uri: None,
    };
    let sarif = work.join("results.sarif");
    Output::create(&sarif)
        .and_then(|mut out| {
            report::sarif::render(report, &cx, &mut out)?;
            out.finish()
        })
        .map_err(|e| format!("cannot write SARIF: {e}"))?;
    let outcome = crate::upload::upload_file(
        &sarif,
        &crate::upload::Upload {
            repository: repository.to_string(),
            commit_sha: fetched.commit.clone(),
            git_ref: format!("refs/heads/{}", fetched.branch),
            api_url: job.api_url.clone(),
            token: job.token.clone(),
            wait: None,
        },
    )?;
    match outcome {
        crate::upload::Outcome::Accepted { id }
        | crate::upload::Outcome::Complete { id }
        | crate::upload::Outcome::Pending { id } => Ok(id),
    }
}

fn write_result(folder: &Path, result: &RepositoryResult) -> std::io::Result<()> {
    let path = super::results::result_path(folder, &result.repository);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let text = serde_json::to_string(result).map_err(std::io::Error::other)?;
    let mut out = Output::create(&path)?;
    std::io::Write::write_all(&mut out, text.as_bytes())?;
    std::io::Write::write_all(&mut out, b"\n")?;
    out.finish()
}
