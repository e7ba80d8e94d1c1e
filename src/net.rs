//! Every request Portcullis makes (GitHub's API, container registries) goes through [`send`]:
//! one deadline per request and one for the whole command, a cap on the size of every answer,
//! and errors that say what failed without quoting the request (which may carry a token).
//!
//! A server that answers slowly, drips bytes, or sends more than Portcullis will ever need
//! cannot keep a command running or fill the memory: past the request timeout, the command
//! deadline or [`MAX_ANSWER_BYTES`], the request fails with a plain reason.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use octocrab::Octocrab;

/// The largest answer read, in bytes. GitHub's largest answers Portcullis asks for (a page of
/// a pull request's files, a file's contents up to 1 MB in base64, an advisories list) are far
/// below it; a registry manifest is a few kilobytes.
pub const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Time limits of the network work of one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// One request, from sending it to the last byte of the answer.
    pub request: Duration,
    /// Every request of the command together, counted from `configure`.
    pub command: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            request: Duration::from_secs(30),
            command: Duration::from_secs(300),
        }
    }
}

struct Budget {
    request: Duration,
    deadline: Instant,
}

fn budget() -> &'static RwLock<Option<Budget>> {
    static BUDGET: RwLock<Option<Budget>> = RwLock::new(None);
    &BUDGET
}

/// Start the command's clock with `limits` (the defaults apply until this is called).
pub fn configure(limits: Limits) {
    let mut budget = budget().write().unwrap_or_else(|e| e.into_inner());
    *budget = Some(Budget {
        request: limits.request,
        deadline: Instant::now() + limits.command,
    });
}

/// Move the command's deadline `by` later: time spent waiting because the server said when to
/// ask again (a rate limit) is not time its requests took.
pub fn postpone_deadline(by: Duration) {
    let mut budget = budget().write().unwrap_or_else(|e| e.into_inner());
    if let Some(budget) = budget.as_mut() {
        budget.deadline += by;
    }
}

/// How long the next request may take: the request timeout, or what is left of the command's
/// budget when that is less (then `true`). `None` once the command's deadline has passed.
fn next_timeout() -> Option<(Duration, bool)> {
    let mut budget = budget().write().unwrap_or_else(|e| e.into_inner());
    let budget = budget.get_or_insert_with(|| {
        let limits = Limits::default();
        Budget {
            request: limits.request,
            deadline: Instant::now() + limits.command,
        }
    });
    let left = budget.deadline.checked_duration_since(Instant::now())?;
    (!left.is_zero()).then(|| (left.min(budget.request), left < budget.request))
}

/// Whether the command's network time is used up (later requests fail at once).
pub fn deadline_passed() -> bool {
    next_timeout().is_none()
}

/// A whole answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why a request has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No answer within the request timeout.
    TimedOut(Duration),
    /// The command's network time is used up: the request was not sent, or not answered
    /// before the deadline.
    DeadlinePassed,
    /// The answer is larger than `MAX_ANSWER_BYTES`; it was not read.
    TooLarge,
    /// The server could not be reached or the connection broke (first line of the reason).
    Unreachable(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::TimedOut(limit) => {
                write!(f, "no complete answer within {} s", limit.as_secs())
            }
            Failure::DeadlinePassed => {
                f.write_str("the command's time for network requests is used up (raise --timeout)")
            }
            Failure::TooLarge => write!(
                f,
                "the answer is larger than {} MiB; not read",
                MAX_ANSWER_BYTES / (1024 * 1024)
            ),
            Failure::Unreachable(reason) => write!(f, "cannot reach the server: {reason}"),
        }
    }
}

/// Send `request` with `client` (its base URL, token and headers apply) and read the whole
/// answer, within the time and size limits.
pub async fn send(
    client: &Octocrab,
    request: http::Request<octocrab::OctoBody>,
) -> Result<Answer, Failure> {
    let (limit, command_deadline) = next_timeout().ok_or(Failure::DeadlinePassed)?;
    let exchange = async {
        let response = client
            .execute(request)
            .await
            .map_err(|e| Failure::Unreachable(first_line(&e.to_string()).to_string()))?;
        let (parts, mut body) = response.into_parts();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_ANSWER_BYTES as u64) {
            return Err(Failure::TooLarge);
        }
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame =
                frame.map_err(|e| Failure::Unreachable(first_line(&e.to_string()).to_string()))?;
            if let Some(data) = frame.data_ref() {
                if bytes.len() + data.len() > MAX_ANSWER_BYTES {
                    return Err(Failure::TooLarge);
                }
                bytes.extend_from_slice(data);
            }
        }
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: bytes,
        })
    };
    tokio::time::timeout(limit, exchange).await.map_err(|_| {
        if command_deadline {
            Failure::DeadlinePassed
        } else {
            Failure::TimedOut(limit)
        }
    })?
}

/// A request to `uri` (a route under the client's base URL, or an absolute URL) with a JSON
/// `body` when there is one.
pub fn request(
    client: &Octocrab,
    method: http::Method,
    uri: &str,
    body: Option<&serde_json::Value>,
) -> Result<http::Request<octocrab::OctoBody>, Failure> {
    let builder = http::Request::builder().method(method).uri(uri);
    client
        .build_request(builder, body)
        .map_err(|_| Failure::Unreachable("not a valid URL".to_string()))
}

/// The first line of `text`: library errors can span lines, a message must not.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_budget_bounds_each_request() {
        configure(Limits {
            request: Duration::from_secs(30),
            command: Duration::from_secs(2),
        });
        let (first, command_deadline) = next_timeout().unwrap();
        assert!(
            first <= Duration::from_secs(2) && command_deadline,
            "{first:?}"
        );
        configure(Limits {
            request: Duration::from_secs(5),
            command: Duration::ZERO,
        });
        assert_eq!(next_timeout(), None);
        configure(Limits::default());
        assert_eq!(next_timeout(), Some((Duration::from_secs(30), false)));
    }
}
