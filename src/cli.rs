//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::FailOn;
use crate::report::Format;

#[derive(Parser, Debug)]
#[command(
    name = "portcullis",
    version,
    about = "Security gate for Dockerfiles, compose files and GitHub Actions workflows",
    long_about = "Portcullis finds committed secrets, unpinned images and actions, and missing \
                  hardening in Dockerfiles, compose files and GitHub Actions workflows, and reports \
                  them for terminals and GitHub code scanning (SARIF).\n\n\
                  Exit status: 0 = nothing at or above --fail-on, 1 = findings, 2 = usage or configuration error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Seconds all network requests of the command may take together (`--online`, `fix
    /// --pin`, `upload` — which adds its --wait-timeout —, the Action's base lookup).
    #[arg(
        long,
        global = true,
        default_value_t = 300,
        value_name = "SECONDS",
        env = "PORTCULLIS_TIMEOUT"
    )]
    pub timeout: u64,
    /// Seconds one network request may take, from sending it to the last byte of the answer.
    #[arg(
        long,
        global = true,
        default_value_t = 30,
        value_name = "SECONDS",
        env = "PORTCULLIS_REQUEST_TIMEOUT"
    )]
    pub request_timeout: u64,
}

// One command is parsed per run: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan files and folders (default: the current folder).
    Scan(ScanArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Run as the GitHub Action: read the `INPUT_*` variables the runner sets, write annotations,
    /// SARIF, the step summary and the step outputs.
    #[command(hide = true)]
    Action,
    /// Upload a SARIF file to GitHub code scanning and wait until GitHub has processed it.
    /// The token is read from GITHUB_TOKEN. Exit status 1 when GitHub refuses or fails it.
    Upload(UploadArgs),
    /// Rewrite files to fix findings. `--pin`: pin actions to the commit their tag or branch
    /// names now, keeping the ref as a comment (GitHub API, token from GITHUB_TOKEN, optional),
    /// and images to the digest their tag names now (the image's registry, anonymously).
    /// Exit status 1 when some ref or tag could not be resolved.
    Fix(FixArgs),
    /// Scan a whole organization with GitHub Actions as the engine: `plan` splits its
    /// repositories into matrix jobs, `scan` checks one job's repositories, `report` merges
    /// their results. Token from GITHUB_TOKEN.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Show a rule's documentation.
    Explain {
        /// A rule id, e.g. `latest-tag`.
        rule: String,
    },
}

#[derive(clap::Args, Debug)]
pub struct ScanArgs {
    /// Files or folders to scan.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest level that makes the exit status 1 [default: error, or `fail-on` from the config].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Configuration file [default: portcullis.toml, .portcullis.toml or .github/portcullis.toml
    /// at the scan root or above it, up to the repository root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// An organization policy (same format as portcullis.toml), read before the repository's
    /// configuration, which may then only tighten it: stricter levels and thresholds, more
    /// rules, narrower allow lists; never excludes, config ignores or disabled rules.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Report only findings whose fingerprint is not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the fingerprints of the current findings to FILE (a baseline for later scans); they
    /// are accepted, so the exit status is 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Print findings only: no summary.
    #[arg(long, short)]
    pub quiet: bool,
    /// Show notes in full (snippet, help) in human output; by default each is one line.
    #[arg(long, short)]
    pub verbose: bool,
    /// The lowest level shown in human, JSON and annotation output and in the summary's
    /// tables (SARIF keeps every finding; `--fail-on` still sees every finding).
    #[arg(long, value_name = "LEVEL", default_value = "note", value_parser = level)]
    pub min_level: crate::finding::Level,
    /// Report only new findings: those absent from a scan of the merge base of REF and HEAD
    /// (matched by fingerprint, so a deleted protective line counts). For pull requests:
    /// `--new-since origin/main`.
    #[arg(long, value_name = "REF")]
    pub new_since: Option<String>,
    /// Also run the secret rules over every line the commits of RANGE added (`git log RANGE`,
    /// e.g. `origin/main..HEAD`), including lines a later commit removed: a token added and
    /// then deleted is still in the history. Merge commits and binary files are skipped.
    #[arg(long, value_name = "RANGE")]
    pub history: Option<String>,
    /// The lines a change's commits added, already read (the Action reads them from GitHub),
    /// with the work tree they belong to: used instead of `--history`.
    #[arg(skip)]
    pub history_added: Option<(PathBuf, Vec<crate::history::AddedLines>)>,
    /// Also write SARIF to FILE, whatever `--format` is (e.g. annotations on standard output and
    /// SARIF for code scanning from one run).
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// The base to compare with: only findings absent from its scan are reported (set by
    /// the Action; `--new-since` makes one from git).
    #[arg(skip)]
    pub base: Option<std::sync::Arc<crate::changes::BaseTree>>,
    /// Append a Markdown summary (counts per rule, top findings) to FILE, e.g. `$GITHUB_STEP_SUMMARY`.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// SARIF category (`runs[].automationDetails.id`), to keep several scans of one repository apart.
    #[arg(long, value_name = "NAME")]
    pub category: Option<String>,
    /// Which files `hardcoded-secret` reads: the configuration files Portcullis checks, or every
    /// text file the walk finds (binary, lock and minified files skipped) [default: config].
    #[arg(long, value_enum)]
    pub secrets_scope: Option<SecretsScope>,
    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Also run the rules that ask the GitHub API (impostor-commit, ref-confusion,
    /// known-vulnerable-action), and add pin fixes to SARIF: the commit an action's ref names
    /// (GitHub) and the digest an image's tag names (its registry, anonymously). Token from
    /// GITHUB_TOKEN (without one GitHub allows 60 requests an hour).
    #[arg(long)]
    pub online: bool,
    /// GitHub API endpoint for `--online` (GitHub Enterprise Server: `https://HOST/api/v3`).
    #[arg(
        long,
        env = "GITHUB_API_URL",
        default_value = "https://api.github.com",
        hide_env_values = true
    )]
    pub api_url: String,
    /// With `--online`: ask this registry mirror for image digests instead of each image's
    /// registry.
    #[arg(long, value_name = "URL")]
    pub registry_mirror: Option<String>,
    /// The token for `--online` when it does not come from GITHUB_TOKEN (the Action's `token`).
    #[arg(skip)]
    pub token: Option<String>,
    /// Where every finding can be read after the run uploads them (the Action's `upload`), for
    /// the step summary.
    #[arg(skip)]
    pub results_uri: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct FixArgs {
    /// Files or folders whose Dockerfiles, compose files, workflows and action metadata to fix.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Pin `uses:` refs to full commit SHAs and image tags to their digests.
    #[arg(long, required = true)]
    pub pin: bool,
    /// Print a unified diff instead of writing the files.
    #[arg(long)]
    pub dry_run: bool,
    /// GitHub API endpoint.
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    pub api_url: String,
    /// Send every registry request to this URL instead of the image's registry (a pull-through
    /// mirror that speaks the same API).
    #[arg(long, value_name = "URL")]
    pub registry_mirror: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct UploadArgs {
    /// The SARIF file, e.g. from `scan --format sarif --output FILE`.
    #[arg(default_value = "portcullis.sarif")]
    pub sarif: PathBuf,
    /// Repository, `owner/name`.
    #[arg(long, env = "GITHUB_REPOSITORY", value_name = "OWNER/NAME")]
    pub repository: String,
    /// Commit the results describe.
    #[arg(long, env = "GITHUB_SHA", value_name = "SHA")]
    pub commit: String,
    /// Git ref the results describe, e.g. `refs/heads/main` or `refs/pull/7/merge`.
    #[arg(long = "ref", env = "GITHUB_REF", value_name = "REF")]
    pub git_ref: String,
    /// GitHub API endpoint (GitHub Enterprise Server: `https://HOST/api/v3`).
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    pub api_url: String,
    /// Return once GitHub has accepted the file, without waiting for processing.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for processing, in seconds.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub wait_timeout: u64,
    /// Milliseconds between two processing-status requests.
    #[arg(long, default_value_t = 5000, hide = true)]
    pub poll_interval_ms: u64,
}

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// List the organization's repositories and print a job matrix for `strategy.matrix`:
    /// `{"include": [{"job": "1/12", "repositories": "org/a org/b"}, …]}`, at most 256 jobs of
    /// balanced size. Archived repositories and forks are left out unless asked for.
    Plan(OrgPlanArgs),
    /// Check repositories (one matrix job's): fetch the files Portcullis checks through the
    /// API, scan them under the policy, write one JSON result per repository. Exit status 1
    /// when a repository could not be checked or an upload failed (the others still are).
    Scan(OrgScanArgs),
    /// Merge per-repository results into a Markdown summary, an HTML page and a JSON file.
    Report(OrgReportArgs),
}

#[derive(clap::Args, Debug)]
pub struct OrgPlanArgs {
    /// The organization.
    #[arg(long, value_name = "NAME")]
    pub org: String,
    /// Keep only repositories whose name (without the organization) matches a glob
    /// (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out repositories whose name matches a glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Keep only repositories with this topic (repeatable: any of them).
    #[arg(long, value_name = "TOPIC")]
    pub topic: Vec<String>,
    /// Also scan archived repositories.
    #[arg(long)]
    pub include_archived: bool,
    /// Also scan forks.
    #[arg(long)]
    pub include_forks: bool,
    /// The most jobs (GitHub runs at most 256 from one matrix).
    #[arg(long, default_value_t = 256, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub max_jobs: u16,
    /// The fewest repositories a job gets (each job costs a runner's start-up), unless there
    /// are fewer.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub min_per_job: u16,
    /// Write the matrix to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// GitHub API endpoint (GitHub Enterprise Server: `https://HOST/api/v3`).
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    pub api_url: String,
}

#[derive(clap::Args, Debug)]
pub struct OrgScanArgs {
    /// The repositories, `owner/name`, separated by spaces, commas or lines (a matrix entry's
    /// `repositories`).
    #[arg(long, env = "PORTCULLIS_REPOSITORIES", value_name = "LIST")]
    pub repositories: String,
    /// The folder results are written to, one `<owner>/<name>.json` per repository.
    #[arg(long, default_value = "portcullis-results", value_name = "DIR")]
    pub results: PathBuf,
    /// The organization policy (same format as portcullis.toml); each repository's own
    /// configuration may only tighten it.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Upload each repository's SARIF to its own code scanning (category `portcullis/org`,
    /// its default branch and commit); needs `security-events: write` on every repository.
    #[arg(long)]
    pub upload: bool,
    /// GitHub API endpoint (GitHub Enterprise Server: `https://HOST/api/v3`).
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    pub api_url: String,
}

#[derive(clap::Args, Debug)]
pub struct OrgReportArgs {
    /// The folder of per-repository results (any depth: downloaded artifacts may nest).
    #[arg(default_value = "portcullis-results")]
    pub results: PathBuf,
    /// The plan's matrix (`org plan` output): a repository it names with no result is reported
    /// as not checked.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// A previous merged JSON report: findings absent from it are marked new.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// Append the Markdown summary to FILE (e.g. `$GITHUB_STEP_SUMMARY`).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Write the self-contained HTML page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the merged results as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Where the summary says the HTML page can be read (e.g. the run's artifacts page).
    #[arg(long, value_name = "URL")]
    pub page_url: Option<String>,
    /// GitHub's web address, for links to files at the scanned commit.
    #[arg(
        long,
        env = "GITHUB_SERVER_URL",
        default_value = "https://github.com",
        hide_env_values = true
    )]
    pub server_url: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SecretsScope {
    Config,
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args, Debug)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
    /// With `--format md`: write `<id>.md` for each rule and a `README.md` index into DIR.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Md,
}

/// `error`, `warning` or `note`.
fn level(text: &str) -> Result<crate::finding::Level, String> {
    crate::finding::Level::parse(text).ok_or_else(|| "expected error, warning or note".to_string())
}
