//! The GitHub API client the network commands share: one way to connect, one way to explain
//! GitHub's errors. Requests carry the token; no message is ever built from a request.

use std::time::Duration;

use octocrab::Octocrab;
use serde_json::Value;

/// A client for `api_url` authenticated with `token`; build it inside `block_on`.
pub fn client(api_url: &str, token: &str) -> Result<Octocrab, String> {
    client_maybe_anonymous(api_url, Some(token))
}

/// A client with `token` when there is one; anonymous otherwise (60 requests an hour).
pub fn client_maybe_anonymous(api_url: &str, token: Option<&str>) -> Result<Octocrab, String> {
    let mut builder = Octocrab::builder()
        .base_uri(api_url)
        .map_err(|e| format!("invalid API URL `{api_url}`: {e}"))?
        .set_connect_timeout(Some(CONNECT_TIMEOUT))
        .set_read_timeout(Some(READ_TIMEOUT));
    if let Some(token) = token {
        builder = builder.personal_token(token.to_string());
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up the GitHub client: {e}"))
}

/// An anonymous client for absolute URLs (container registries), with the same timeouts.
pub fn plain_client() -> Result<Octocrab, String> {
    Octocrab::builder()
        .set_connect_timeout(Some(CONNECT_TIMEOUT))
        .set_read_timeout(Some(READ_TIMEOUT))
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {e}"))
}

/// A ref or name in a URL path: slashes stay, the rest is percent-encoded.
pub fn encode_path(text: &str) -> String {
    percent_encode(text, true)
}

/// A query parameter's value, percent-encoded.
pub fn encode_query(text: &str) -> String {
    percent_encode(text, false)
}

fn percent_encode(text: &str, keep_slash: bool) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b'/' if keep_slash => "/".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Run `future` on a single-threaded runtime: the network commands make a few requests in order.
pub fn block_on<T>(future: impl std::future::Future<Output = T>) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
    Ok(runtime.block_on(future))
}

/// GitHub lists at most 3,000 files of a pull request, 100 a page.
const MAX_PAGES: u32 = 30;

/// The files of pull request `number`: `(path, status, patch)`.
pub fn pull_request_files(
    api_url: &str,
    token: &str,
    repository: &str,
    number: u64,
) -> Result<Vec<(String, String, Option<String>)>, String> {
    block_on(async {
        // Built inside the runtime: the client spawns its connection tasks on it.
        let client = client(api_url, token)?;
        let mut files = Vec::new();
        for page in 1..=MAX_PAGES {
            let route =
                format!("/repos/{repository}/pulls/{number}/files?per_page=100&page={page}");
            let list: Vec<Value> = client
                .get(&route, None::<&()>)
                .await
                .map_err(|e| describe(e, "pull request files"))?;
            let count = list.len();
            for file in list {
                let (Some(path), Some(status)) =
                    (file["filename"].as_str(), file["status"].as_str())
                else {
                    continue;
                };
                let patch = file["patch"].as_str().map(str::to_string);
                files.push((path.to_string(), status.to_string(), patch));
            }
            if count < 100 {
                break;
            }
        }
        Ok(files)
    })?
}

/// GitHub's comparison lists at most 300 files; beyond that the change is not fully known.
const MAX_COMPARED_FILES: usize = 300;

/// The files changed between `base` and `head` (a merge-queue entry): `(path, status, patch)`.
pub fn compared_files(
    api_url: &str,
    token: &str,
    repository: &str,
    base: &str,
    head: &str,
) -> Result<Vec<(String, String, Option<String>)>, String> {
    block_on(async {
        let client = client(api_url, token)?;
        let route = format!("/repos/{repository}/compare/{base}...{head}");
        let comparison: Value = client
            .get(&route, None::<&()>)
            .await
            .map_err(|e| describe(e, "comparison of the merge-queue entry"))?;
        let list = comparison["files"].as_array().cloned().unwrap_or_default();
        if list.len() >= MAX_COMPARED_FILES {
            return Err(format!(
                "the merge-queue entry changes {MAX_COMPARED_FILES} files or more, more than GitHub lists"
            ));
        }
        Ok(list
            .iter()
            .filter_map(|file| {
                Some((
                    file["filename"].as_str()?.to_string(),
                    file["status"].as_str()?.to_string(),
                    file["patch"].as_str().map(str::to_string),
                ))
            })
            .collect())
    })?
}

/// A GitHub error as a user can act on it.
pub fn describe(error: octocrab::Error, what: &str) -> String {
    match error {
        octocrab::Error::GitHub { source, .. } => {
            let status = source.status_code.as_u16();
            let rate_limited = source
                .headers
                .as_ref()
                .and_then(|h| h.get("x-ratelimit-remaining"))
                .is_some_and(|v| v == "0");
            let hint = match status {
                401 => "the token is missing, expired or invalid",
                403 if rate_limited => "the API rate limit is exhausted; retry after it resets",
                403 => {
                    "the token may not write security events (workflow permission `security-events: write`), or code scanning is not enabled for the repository"
                }
                404 => "no such repository, or the token cannot see it",
                413 => "the SARIF is too large for GitHub",
                422 => "GitHub rejected the request (commit, ref or SARIF)",
                429 => "too many requests; retry later",
                _ => "unexpected answer",
            };
            let reset = match (rate_limited || status == 429, source.rate_limit_reset) {
                (true, Some(reset)) => format!(" (the limit resets at unix time {reset})"),
                _ => String::new(),
            };
            format!(
                "{what}: GitHub answered {status}: {}: {hint}{reset}",
                source.message
            )
        }
        other => format!(
            "{what}: cannot reach GitHub: {}",
            first_line(&other.to_string())
        ),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}
