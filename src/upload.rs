//! `portcullis upload`: send a SARIF file to GitHub code scanning, then wait for GitHub to
//! process it and report what it says.
//!
//! The API takes the SARIF gzip-compressed and base64-encoded, with the commit and ref it
//! describes (from the Actions environment unless given). The token comes from the environment
//! only and is never printed: every message here is built from GitHub's answer, not the request.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::github;

/// GitHub rejects an upload whose compressed SARIF exceeds this.
pub const MAX_COMPRESSED_BYTES: usize = 10 * 1024 * 1024;

/// Where and what to upload.
#[derive(Debug, Clone)]
pub struct Upload {
    /// `owner/name`.
    pub repository: String,
    pub commit_sha: String,
    /// `refs/heads/<branch>` or `refs/pull/<n>/merge`.
    pub git_ref: String,
    pub api_url: String,
    pub token: String,
    /// Wait for processing: how often to ask and how many times at most.
    pub wait: Option<(Duration, u32)>,
}

/// What GitHub made of the upload.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted; not waited for.
    Accepted { id: String },
    /// Processed.
    Complete { id: String },
    /// Still processing after the last poll.
    Pending { id: String },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Accepted { id } => write!(f, "SARIF accepted by GitHub (upload {id})"),
            Outcome::Complete { id } => {
                write!(f, "SARIF processed by GitHub code scanning (upload {id})")
            }
            Outcome::Pending { id } => write!(
                f,
                "GitHub is still processing the SARIF (upload {id}); results appear when it finishes"
            ),
        }
    }
}

/// gzip, then base64: the encoding the code-scanning API requires.
pub fn encode(sarif: &[u8]) -> Result<String, String> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(sarif)
        .and_then(|_| gz.finish())
        .map_err(|e| format!("cannot compress the SARIF: {e}"))
        .and_then(|compressed| {
            if compressed.len() > MAX_COMPRESSED_BYTES {
                Err(format!(
                    "the SARIF is {} MB compressed; GitHub accepts at most 10 MB (scan fewer paths, or raise --fail-on and filter with a baseline)",
                    compressed.len() / (1024 * 1024)
                ))
            } else {
                Ok(base64::engine::general_purpose::STANDARD.encode(compressed))
            }
        })
}

/// Upload `path` and, if asked, wait for GitHub to process it.
pub fn upload_file(path: &Path, upload: &Upload) -> Result<Outcome, String> {
    let sarif = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice::<Value>(&sarif)
        .map_err(|e| format!("{}: not a SARIF file: {e}", path.display()))?;
    let encoded = encode(&sarif)?;
    github::block_on(send(encoded, upload))?
}

async fn send(encoded: String, upload: &Upload) -> Result<Outcome, String> {
    let client = github::client(&upload.api_url, &upload.token)?;
    let route = format!("/repos/{}/code-scanning/sarifs", upload.repository);
    let body = json!({
        "commit_sha": upload.commit_sha,
        "ref": upload.git_ref,
        "sarif": encoded,
        "tool_name": "Portcullis",
    });
    let receipt = github::post_json(&client, &route, &body)
        .await
        .map_err(|e| github::describe(e, "upload"))?;
    let id = receipt["id"]
        .as_str()
        .ok_or("GitHub accepted the upload but sent no id")?;
    // The id goes into the next URL: it must be an id, not a path or a query.
    if !is_upload_id(id) {
        return Err("GitHub accepted the upload but its id is not one (letters, digits and `-`, at most 100)".to_string());
    }
    let id = id.to_string();
    let Some((interval, attempts)) = upload.wait else {
        return Ok(Outcome::Accepted { id });
    };
    let status_route = format!("{route}/{id}");
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(interval).await;
        }
        let status = match github::get_json(&client, &status_route).await {
            Ok(status) => status,
            // Right after the upload the id may not be visible yet.
            Err(e) if e.status() == Some(404) => continue,
            Err(e) => return Err(github::describe(e, "processing status")),
        };
        match status["processing_status"].as_str() {
            Some("complete") => return Ok(Outcome::Complete { id }),
            Some("failed") => {
                let errors: Vec<&str> = status["errors"]
                    .as_array()
                    .map(|list| list.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                return Err(format!(
                    "GitHub could not process the SARIF (upload {id}): {}",
                    if errors.is_empty() {
                        "no reason given".to_string()
                    } else {
                        errors.join("; ")
                    }
                ));
            }
            _ => {}
        }
    }
    Ok(Outcome::Pending { id })
}

/// Whether `text` can be an upload id (GitHub's are UUIDs) and go into a URL as it is.
fn is_upload_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 100
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn upload_ids() {
        assert!(is_upload_id("6c5a2f0e-4b1e-11ef-9a9b-0242ac120002"));
        for bad in [
            "",
            "../../../user",
            "a?b",
            "a/b",
            "a%2Fb",
            "a\nb",
            &"a".repeat(101),
        ] {
            assert!(!is_upload_id(bad), "{bad}");
        }
    }

    #[test]
    fn encoding_round_trips() {
        let sarif = br#"{"version":"2.1.0","runs":[]}"#;
        let encoded = encode(sarif).unwrap();
        let compressed = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut text)
            .unwrap();
        assert_eq!(text, sarif);
    }
}
