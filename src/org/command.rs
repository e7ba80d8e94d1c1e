//! The `org` commands: read their arguments, run the step, say what happened, choose the exit
//! status (0 done, 1 a repository not checked or an upload failed, 2 usage or listing error).

use std::path::Path;

use crate::cli::{OrgCommand, OrgPlanArgs, OrgReportArgs, OrgScanArgs};
use crate::config::Config;
use crate::net::Limits;
use crate::sink::Output;

const EXIT_DONE: u8 = 0;
const EXIT_INCOMPLETE: u8 = 1;
const EXIT_USAGE: u8 = 2;

pub fn run(command: OrgCommand, limits: Limits) -> u8 {
    match command {
        OrgCommand::Plan(args) => plan(args),
        OrgCommand::Scan(args) => scan(args, limits),
        OrgCommand::Report(args) => report(args),
    }
}

/// The token every org command needs, from GITHUB_TOKEN.
fn token() -> Result<String, u8> {
    match crate::github::token(std::env::var("GITHUB_TOKEN").ok()) {
        Ok(Some(token)) => Ok(token),
        Ok(None) => {
            crate::sink::error(
                "GITHUB_TOKEN is not set: the organization's repositories are read through the API (a GitHub App installation token is best)",
            );
            Err(EXIT_USAGE)
        }
        Err(e) => {
            crate::sink::error(format!("GITHUB_TOKEN: {e}"));
            Err(EXIT_USAGE)
        }
    }
}

fn write_text(path: Option<&Path>, text: &str) -> std::io::Result<()> {
    let mut out = match path {
        Some(path) => Output::create(path)?,
        None => Output::stdout(),
    };
    std::io::Write::write_all(&mut out, text.as_bytes())?;
    out.finish()
}

fn plan(args: OrgPlanArgs) -> u8 {
    let token = match token() {
        Ok(token) => token,
        Err(code) => return code,
    };
    let listed = match super::plan::list(&args.api_url, &token, &args.org) {
        Ok(listed) => listed,
        Err(e) => {
            crate::sink::error(e);
            return EXIT_USAGE;
        }
    };
    let selection = super::plan::Selection {
        include: args.include,
        exclude: args.exclude,
        topics: args.topic,
        archived: args.include_archived,
        forks: args.include_forks,
    };
    let plan = match super::plan::plan(
        listed,
        &selection,
        usize::from(args.max_jobs),
        usize::from(args.min_per_job),
    ) {
        Ok(plan) => plan,
        Err(e) => {
            crate::sink::error(e);
            return EXIT_USAGE;
        }
    };
    let skipped = &plan.skipped;
    crate::sink::info(format!(
        "{}: {} repositories listed, {} to scan in {} jobs (left out: {} archived, {} forks, {} disabled, {} by name, {} by topic)",
        args.org,
        plan.listed,
        plan.repositories(),
        plan.jobs.len(),
        skipped.archived,
        skipped.forks,
        skipped.disabled,
        skipped.by_name,
        skipped.by_topic
    ));
    let matrix = format!("{}\n", plan.matrix());
    match write_text(args.output.as_deref(), &matrix) {
        Ok(()) => EXIT_DONE,
        Err(e) => {
            crate::sink::error(format!("cannot write the matrix: {e}"));
            EXIT_USAGE
        }
    }
}

fn scan(args: OrgScanArgs, limits: Limits) -> u8 {
    let token = match token() {
        Ok(token) => token,
        Err(code) => return code,
    };
    let repositories: Vec<String> = args
        .repositories
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if let Some(bad) = repositories.iter().find(|r| !super::is_repository_name(r)) {
        crate::sink::error(format!("`{bad}` is not a repository name (owner/name)"));
        return EXIT_USAGE;
    }
    let policy = match &args.policy {
        Some(path) if !path.is_file() => {
            crate::sink::error(format!("{}: policy file not found", path.display()));
            return EXIT_USAGE;
        }
        Some(path) => match Config::load(path) {
            Ok(policy) => Some(policy),
            Err(e) => {
                crate::sink::error(format!("invalid policy: {e}"));
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    if let Err(e) = std::fs::create_dir_all(&args.results) {
        crate::sink::error(format!("{}: cannot create: {e}", args.results.display()));
        return EXIT_USAGE;
    }
    let work = std::env::temp_dir().join(format!("portcullis-org-{}", std::process::id()));
    let job = super::scan::Job {
        repositories,
        api_url: args.api_url,
        token,
        policy,
        results: args.results,
        upload: args.upload,
        work: work.clone(),
        limits,
    };
    let done = super::scan::run(&job);
    let _ = std::fs::remove_dir_all(&work);
    crate::sink::info(format!(
        "{} repositories checked, {} not checked, {} findings{}",
        done.checked,
        done.not_checked,
        done.findings,
        if done.upload_failures > 0 {
            format!(", {} uploads failed", done.upload_failures)
        } else {
            String::new()
        }
    ));
    if done.not_checked > 0 || done.upload_failures > 0 {
        EXIT_INCOMPLETE
    } else {
        EXIT_DONE
    }
}

/// The repositories a matrix names.
fn planned(matrix: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read(matrix).map_err(|e| format!("{}: {e}", matrix.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| format!("{}: not a matrix: {e}", matrix.display()))?;
    let jobs = value["include"]
        .as_array()
        .ok_or_else(|| format!("{}: not a matrix (no `include` list)", matrix.display()))?;
    let mut out = Vec::new();
    for job in jobs {
        let names = job["repositories"]
            .as_str()
            .ok_or_else(|| format!("{}: a job has no `repositories`", matrix.display()))?;
        out.extend(names.split_whitespace().map(str::to_string));
    }
    Ok(out)
}

fn report(args: OrgReportArgs) -> u8 {
    let mut merged = match super::results::Merged::read(&args.results) {
        Ok(merged) => merged,
        Err(e) => {
            crate::sink::error(e);
            return EXIT_USAGE;
        }
    };
    if let Some(matrix) = &args.plan {
        match planned(matrix) {
            Ok(expected) => merged.expect(&expected),
            Err(e) => {
                crate::sink::error(e);
                return EXIT_USAGE;
            }
        }
    }
    if let Some(previous) = &args.previous {
        let read = std::fs::read(previous)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                serde_json::from_slice::<super::results::Merged>(&text).map_err(|e| e.to_string())
            });
        match read {
            Ok(previous) => merged.compare(&previous),
            Err(e) => {
                crate::sink::error(format!(
                    "{}: not a previous report: {e}",
                    previous.display()
                ));
                return EXIT_USAGE;
            }
        }
    }
    if !(args.server_url.starts_with("https://") || args.server_url.starts_with("http://")) {
        crate::sink::error(format!(
            "--server-url {}: not a web address",
            args.server_url
        ));
        return EXIT_USAGE;
    }
    use crate::report::org;
    let mut wrote_any = false;
    let mut outcome = Ok(());
    if let Some(path) = &args.markdown {
        wrote_any = true;
        outcome = outcome.and(Output::append(path).and_then(|mut out| {
            org::markdown(&merged, args.page_url.as_deref(), &mut out)?;
            out.finish()
        }));
    }
    if let Some(path) = &args.html {
        wrote_any = true;
        outcome = outcome.and(Output::create(path).and_then(|mut out| {
            org::html(&merged, &args.server_url, &mut out)?;
            out.finish()
        }));
    }
    if let Some(path) = &args.json {
        wrote_any = true;
        outcome = outcome.and(Output::create(path).and_then(|mut out| {
            org::json(&merged, &mut out)?;
            out.finish()
        }));
    }
    if !wrote_any {
        let mut out = Output::stdout();
        outcome =
            org::markdown(&merged, args.page_url.as_deref(), &mut out).and_then(|_| out.finish());
    }
    if let Err(e) = outcome {
        crate::sink::error(format!("cannot write the report: {e}"));
        return EXIT_USAGE;
    }
    let missing = merged.repositories.len() - merged.checked();
    crate::sink::info(format!(
        "{} repositories, {} checked, {} not checked, {} findings",
        merged.repositories.len(),
        merged.checked(),
        missing,
        merged.findings().count()
    ));
    EXIT_DONE
}
