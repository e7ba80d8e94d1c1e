//! The GitHub API client the network commands share: one way to connect, one way to explain
//! GitHub's errors. Requests carry the token; no message is ever built from a request.

use std::time::Duration;

use octocrab::Octocrab;
use serde_json::Value;

/// A client for `api_url` authenticated with `token`; build it inside `block_on`.
pub fn client(api_url: &str, token: &str) -> Result<Octocrab, String> {
    client_maybe_anonymous(api_url, Some(token))
}

/// A token as given (an environment variable, an input): surrounding whitespace (the newline
/// of `echo … > file`) is dropped; empty means none; anything else that is not visible ASCII
/// is refused, since it cannot go into a header and would only reach the server garbled.
pub fn token(raw: Option<String>) -> Result<Option<String>, String> {
    let Some(raw) = raw else { return Ok(None) };
    let token = raw.trim();
    if token.is_empty() {
        return Ok(None);
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "the token holds a space, a control character or a character that is not ASCII: check how it is set"
                .to_string(),
        );
    }
    Ok(Some(token.to_string()))
}

/// A client with `token` when there is one; anonymous otherwise (60 requests an hour).
pub fn client_maybe_anonymous(api_url: &str, token: Option<&str>) -> Result<Octocrab, String> {
    let token = self::token(token.map(str::to_string))?;
    let token = token.as_deref();
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

/// GitHub's comparison lists at most 300 files; beyond that the change is not fully known.
const MAX_COMPARED_FILES: usize = 300;

/// One entry of GitHub's list of changed files.
fn changed_file(file: &Value) -> Option<crate::changes::ChangedFile> {
    Some(crate::changes::ChangedFile {
        path: file["filename"].as_str()?.to_string(),
        status: file["status"].as_str()?.to_string(),
        previous_path: file["previous_filename"].as_str().map(str::to_string),
    })
}

/// Which commits a change is made of, for reading what each added.
pub enum Commits<'a> {
    /// The commits of pull request `number`.
    PullRequest(u64),
    /// The commits after `base` up to `head`.
    Range { base: &'a str, head: &'a str },
}

/// GitHub lists at most 250 commits of a pull request or a comparison.
const MAX_COMMITS: usize = 250;

/// The lines every non-merge commit of a change added, oldest first, from each commit's
/// patches (GitHub gives none for binary files or very large diffs: those add nothing here).
pub fn added_lines(
    api_url: &str,
    token: &str,
    repository: &str,
    commits: Commits,
) -> Result<Vec<crate::history::AddedLines>, String> {
    block_on(async {
        let client = client(api_url, token)?;
        let mut list: Vec<Value> = Vec::new();
        match commits {
            Commits::PullRequest(number) => {
                for page in 1..=3 {
                    let route = format!(
                        "/repos/{repository}/pulls/{number}/commits?per_page=100&page={page}"
                    );
                    let answer = get_json(&client, &route)
                        .await
                        .map_err(|e| describe(e, "pull request commits"))?;
                    let items = answer.as_array().cloned().unwrap_or_default();
                    let full = items.len() == 100;
                    list.extend(items);
                    if !full {
                        break;
                    }
                }
            }
            Commits::Range { base, head } => {
                if !is_commit(base) || !is_commit(head) {
                    return Err("the change names no base and head commits".to_string());
                }
                let answer = get_json(
                    &client,
                    &format!("/repos/{repository}/compare/{base}...{head}"),
                )
                .await
                .map_err(|e| describe(e, "comparison"))?;
                list = answer["commits"].as_array().cloned().unwrap_or_default();
            }
        }
        if list.len() >= MAX_COMMITS {
            crate::sink::warning(format!(
                "history: GitHub lists only the first {MAX_COMMITS} commits of the change; later ones were not read"
            ));
        }
        let mut log = String::new();
        for commit in list {
            let Some(sha) = commit["sha"].as_str().filter(|s| is_commit(s)) else {
                continue;
            };
            if commit["parents"].as_array().is_some_and(|p| p.len() > 1) {
                continue;
            }
            let detail = get_json(&client, &format!("/repos/{repository}/commits/{sha}"))
                .await
                .map_err(|e| describe(e, "commit"))?;
            log.push_str(&format!("{}{sha}\n", crate::history::COMMIT_MARK));
            for file in detail["files"].as_array().into_iter().flatten() {
                let (Some(name), Some(patch)) = (file["filename"].as_str(), file["patch"].as_str())
                else {
                    continue;
                };
                log.push_str(&format!(
                    "diff --git a/{name} b/{name}\n+++ b/{name}\n{patch}\n"
                ));
            }
        }
        Ok(crate::history::parse_log(&log))
    })?
}

/// The files pull request `number` changes, and the commit its base branch is at.
pub fn pull_request_files(
    api_url: &str,
    token: &str,
    repository: &str,
    number: u64,
) -> Result<(Vec<crate::changes::ChangedFile>, String), String> {
    block_on(async {
        // Built inside the runtime: the client spawns its connection tasks on it.
        let client = client(api_url, token)?;
        let pull = get_json(&client, &format!("/repos/{repository}/pulls/{number}"))
            .await
            .map_err(|e| describe(e, "pull request"))?;
        let base = pull["base"]["sha"]
            .as_str()
            .filter(|sha| is_commit(sha))
            .ok_or("pull request: GitHub gave no base commit")?
            .to_string();
        let mut files = Vec::new();
        for page in 1..=MAX_PAGES {
            let route =
                format!("/repos/{repository}/pulls/{number}/files?per_page=100&page={page}");
            let list = get_json(&client, &route)
                .await
                .map_err(|e| describe(e, "pull request files"))?;
            let list = list.as_array().cloned().unwrap_or_default();
            let count = list.len();
            files.extend(list.iter().filter_map(changed_file));
            if count < 100 {
                break;
            }
            if page == MAX_PAGES {
                return Err(format!(
                    "the pull request changes more than {} files, more than GitHub lists",
                    MAX_PAGES * 100
                ));
            }
        }
        Ok((files, base))
    })?
}

/// The files changed between `base` and `head` (a merge-queue entry, a push).
pub fn compared_files(
    api_url: &str,
    token: &str,
    repository: &str,
    base: &str,
    head: &str,
) -> Result<Vec<crate::changes::ChangedFile>, String> {
    block_on(async {
        let client = client(api_url, token)?;
        let route = format!("/repos/{repository}/compare/{base}...{head}");
        let comparison = get_json(&client, &route)
            .await
            .map_err(|e| describe(e, "comparison of the change with its base"))?;
        let list = comparison["files"].as_array().cloned().unwrap_or_default();
        if list.len() >= MAX_COMPARED_FILES {
            return Err(format!(
                "the change touches {MAX_COMPARED_FILES} files or more, more than GitHub lists"
            ));
        }
        Ok(list.iter().filter_map(changed_file).collect())
    })?
}

/// Whether `text` is a full commit id (what may go into a URL as a ref).
pub fn is_commit(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The text of each of `paths` at commit `sha` (`None`: no such file there), from the
/// contents API. Files GitHub will not inline (over 1 MB) are an error: the caller then
/// compares with nothing rather than with a wrong base.
pub fn files_at(
    api_url: &str,
    token: &str,
    repository: &str,
    sha: &str,
    paths: &[&str],
) -> Result<std::collections::HashMap<String, Option<Vec<u8>>>, String> {
    use base64::Engine;
    if !is_commit(sha) {
        return Err(format!("`{sha}` is not a commit id"));
    }
    block_on(async {
        let client = client(api_url, token)?;
        let mut out = std::collections::HashMap::new();
        for path in paths {
            let route = format!(
                "/repos/{repository}/contents/{}?ref={sha}",
                encode_path(path)
            );
            let answer = get_json(&client, &route).await;
            let text = match answer {
                Ok(file) => {
                    if file["type"].as_str() != Some("file")
                        || file["encoding"].as_str() != Some("base64")
                    {
                        return Err(format!(
                            "{path} at the base: GitHub did not give its text (over 1 MB, or not a file)"
                        ));
                    }
                    let encoded: String = file["content"]
                        .as_str()
                        .unwrap_or_default()
                        .split_whitespace()
                        .collect();
                    Some(
                        base64::engine::general_purpose::STANDARD
                            .decode(encoded)
                            .map_err(|_| format!("{path} at the base: content is not base64"))?,
                    )
                }
                Err(e) if e.status() == Some(404) => None,
                Err(e) => return Err(describe(e, &format!("{path} at the base"))),
            };
            out.insert(path.to_string(), text);
        }
        Ok(out)
    })?
}

/// Why GitHub gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// GitHub answered with an error status.
    Status {
        status: u16,
        /// GitHub's `message`, on one line and shortened.
        message: String,
        /// The rate limit is exhausted (`x-ratelimit-remaining: 0`).
        rate_limited: bool,
        /// When it resets (unix time), if GitHub said.
        reset: Option<u64>,
        /// Seconds to wait before asking again (`retry-after`), if GitHub said.
        retry_after: Option<u64>,
    },
    /// No answer (see `net::Failure`), or an answer that is not JSON.
    Failed(String),
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            ApiError::Failed(_) => None,
        }
    }

    pub fn is_rate_limit(&self) -> bool {
        match self {
            ApiError::Status {
                status,
                rate_limited,
                message,
                ..
            } => {
                *status == 429
                    || (*status == 403
                        && (*rate_limited || message.to_lowercase().contains("rate limit")))
            }
            ApiError::Failed(_) => false,
        }
    }
}

/// Characters of a server's error message kept in Portcullis' own messages.
const MAX_SERVER_MESSAGE_CHARS: usize = 300;

/// GET `route` (under the client's API URL) as JSON.
pub async fn get_json(client: &Octocrab, route: &str) -> Result<Value, ApiError> {
    call(client, http::Method::GET, route, None).await
}

/// POST `body` to `route` as JSON; the answer as JSON.
pub async fn post_json(client: &Octocrab, route: &str, body: &Value) -> Result<Value, ApiError> {
    call(client, http::Method::POST, route, Some(body)).await
}

async fn call(
    client: &Octocrab,
    method: http::Method,
    route: &str,
    body: Option<&Value>,
) -> Result<Value, ApiError> {
    let request = crate::net::request(client, method, route, body)
        .map_err(|e| ApiError::Failed(e.to_string()))?;
    let answer = crate::net::send(client, request)
        .await
        .map_err(|e| ApiError::Failed(e.to_string()))?;
    if !answer.is_success() {
        let message = serde_json::from_slice::<Value>(&answer.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| {
                http::StatusCode::from_u16(answer.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("no reason given")
                    .to_string()
            });
        let message: String = first_line(&message)
            .chars()
            .take(MAX_SERVER_MESSAGE_CHARS)
            .collect();
        let rate_limited = answer.header("x-ratelimit-remaining") == Some("0");
        return Err(status_error(&answer, answer.status, message, rate_limited));
    }
    let value: Value = serde_json::from_slice(&answer.body)
        .map_err(|_| ApiError::Failed("GitHub's answer is not JSON".to_string()))?;
    // GraphQL's hourly limit answers 200 with an error of type RATE_LIMITED: the same wait
    // applies as for REST's 403.
    let rate_limited = value["errors"]
        .as_array()
        .is_some_and(|errors| errors.iter().any(|e| e["type"] == "RATE_LIMITED"));
    if rate_limited {
        let message = "API rate limit exceeded (GraphQL)".to_string();
        return Err(status_error(&answer, 403, message, true));
    }
    Ok(value)
}

/// An error answer as [`ApiError::Status`], with the waits GitHub's headers ask for.
fn status_error(
    answer: &crate::net::Answer,
    status: u16,
    message: String,
    rate_limited: bool,
) -> ApiError {
    let seconds = |name| answer.header(name).and_then(|v| v.trim().parse().ok());
    ApiError::Status {
        status,
        message,
        rate_limited,
        reset: seconds("x-ratelimit-reset"),
        retry_after: seconds("retry-after"),
    }
}

/// A GitHub error as a user can act on it.
pub fn describe(error: ApiError, what: &str) -> String {
    match error {
        ApiError::Status {
            status,
            message,
            rate_limited,
            reset,
            ..
        } => {
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
            let reset = match (rate_limited || status == 429, reset) {
                (true, Some(reset)) => format!(" (the limit resets at unix time {reset})"),
                _ => String::new(),
            };
            format!("{what}: GitHub answered {status}: {message}: {hint}{reset}")
        }
        ApiError::Failed(reason) => format!("{what}: {reason}"),
    }
}

use crate::net::first_line;
