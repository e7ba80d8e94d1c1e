//! Organization-wide scanning, with GitHub Actions as the engine: `org plan` lists an
//! organization's repositories and splits them into matrix jobs, `org scan` checks the
//! repositories of one job (fetching only the files Portcullis checks), and `org report` merges
//! the per-repository results into one summary, page and JSON file.
//!
//! Each step is a separate process in a separate job; what passes between them is JSON: the
//! matrix, and one [`results::RepositoryResult`] file per repository.

pub mod command;
pub mod fetch;
pub mod plan;
pub mod results;
pub mod scan;

use std::time::Duration;

use octocrab::Octocrab;
use serde_json::Value;

use crate::github::{ApiError, get_json, post_json};

/// How many times one request is tried when GitHub asks to slow down or fails on its side.
const ATTEMPTS: u32 = 6;

/// The longest single wait for a rate limit to reset; past it the request fails (a primary
/// limit that resets in an hour is better reported than waited for in a matrix job).
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// GET `route` as JSON, waiting as GitHub asks when it limits the rate: `retry-after` when
/// given; for the primary limit, until `x-ratelimit-reset`; for a secondary limit without
/// either, one minute, doubling (GitHub's documented guidance). Server errors (5xx) are
/// retried twice after a short pause. Every other error is returned at once.
pub async fn get_patiently(client: &Octocrab, route: &str) -> Result<Value, ApiError> {
    patiently(client, route, None).await
}

/// POST `body` to `route` as [`get_patiently`] asks (GitHub's GraphQL endpoint).
pub async fn post_patiently(
    client: &Octocrab,
    route: &str,
    body: &Value,
) -> Result<Value, ApiError> {
    patiently(client, route, Some(body)).await
}

async fn patiently(
    client: &Octocrab,
    route: &str,
    body: Option<&Value>,
) -> Result<Value, ApiError> {
    let mut server_errors = 0;
    for attempt in 0..ATTEMPTS {
        let answer = match body {
            Some(body) => post_json(client, route, body).await,
            None => get_json(client, route).await,
        };
        let error = match answer {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let wait = match &error {
            e if e.is_rate_limit() => rate_limit_wait(e, attempt),
            ApiError::Status { status, .. } if *status >= 500 && server_errors < 2 => {
                server_errors += 1;
                Duration::from_millis(250 << server_errors)
            }
            _ => return Err(error),
        };
        if wait > MAX_WAIT || attempt + 1 == ATTEMPTS || crate::net::deadline_passed() {
            return Err(error);
        }
        crate::sink::note(format!(
            "GitHub asks to slow down; retrying in {} s",
            wait.as_secs_f64().ceil()
        ));
        // Waiting as GitHub asks does not use up the network budget: a large organization
        // meets the hourly limit, and its repositories are checked after the wait, not given up.
        crate::net::postpone_deadline(wait);
        tokio::time::sleep(wait).await;
    }
    unreachable!("the last attempt returns")
}

/// How long to wait before asking again after rate-limit error `error` (attempt `attempt`).
fn rate_limit_wait(error: &ApiError, attempt: u32) -> Duration {
    let ApiError::Status {
        rate_limited,
        reset,
        retry_after,
        ..
    } = error
    else {
        return Duration::ZERO;
    };
    if let Some(seconds) = retry_after {
        return Duration::from_secs(*seconds);
    }
    if *rate_limited && let Some(reset) = reset {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        return Duration::from_secs(reset.saturating_sub(now) + 1);
    }
    Duration::from_secs(60 << attempt.min(4))
}

/// Whether `text` is a repository's full name as GitHub spells them: `owner/name`, letters,
/// digits, `-`, `_` and `.`, and neither part `.` or `..`. Names go into URLs, file names and
/// shell-free matrix values, so nothing else is accepted.
pub fn is_repository_name(text: &str) -> bool {
    let Some((owner, name)) = text.split_once('/') else {
        return false;
    };
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 100
            && p != "."
            && p != ".."
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    part(owner) && part(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        for good in ["acme/app", "a-b/c.d_e", "x/.github"] {
            assert!(is_repository_name(good), "{good}");
        }
        for bad in [
            "",
            "acme",
            "acme/",
            "/app",
            "acme/app/x",
            "acme/..",
            "../app",
            "acme/a b",
            "acme/a;b",
            "acme/a\nb",
            "acme/$(x)",
        ] {
            assert!(!is_repository_name(bad), "{bad}");
        }
    }

    #[test]
    fn waits_follow_what_github_says() {
        let limited = |retry_after, reset, rate_limited| ApiError::Status {
            status: 403,
            message: "You have exceeded a secondary rate limit".into(),
            rate_limited,
            reset,
            retry_after,
        };
        assert_eq!(
            rate_limit_wait(&limited(Some(3), None, false), 0),
            Duration::from_secs(3)
        );
        assert_eq!(
            rate_limit_wait(&limited(None, None, false), 1),
            Duration::from_secs(120)
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let wait = rate_limit_wait(&limited(None, Some(now + 30), true), 0);
        assert!((30..=32).contains(&wait.as_secs()), "{wait:?}");
    }
}
