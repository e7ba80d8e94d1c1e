//! `portcullis upload` against a local fake of GitHub's code-scanning API: success with polling,
//! processing failures, refusals and rate limits. The token is never printed.

mod common;

use std::io::Read;
use std::process::Output;

use base64::Engine;
use common::bin;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghs_PortcullisFakeInstallationToken0042";
const SARIF: &str = r#"{"version":"2.1.0","runs":[]}"#;
const UPLOADS: &str = "/repos/acme/app/code-scanning/sarifs";

async fn upload(server: &MockServer, extra: &[&str], token: Option<&str>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("portcullis.sarif"), SARIF).unwrap();
    let mut cmd = bin();
    cmd.current_dir(dir.path())
        .env_clear()
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_API_URL", server.uri())
        .args(["upload", "--poll-interval-ms", "10", "--wait-timeout", "2"])
        .args(extra);
    if let Some(token) = token {
        cmd.env("GITHUB_TOKEN", token);
    }
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    drop(dir);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !all.contains("PortcullisFakeInstallation"),
        "token printed: {all}"
    );
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn uploads_then_polls_until_processed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(UPLOADS))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"id": "47", "url": "x"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{UPLOADS}/47")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"processing_status": "pending"})),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{UPLOADS}/47")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"processing_status": "complete", "analyses_url": "x", "errors": null}),
        ))
        .mount(&server)
        .await;

    let out = upload(&server, &[], Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("processed"), "{}", stderr(&out));

    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.method.as_str() == "GET")
            .count(),
        3
    );
    let post = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        body["commit_sha"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(body["ref"], "refs/heads/main");
    assert_eq!(body["tool_name"], "Portcullis");
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(body["sarif"].as_str().unwrap())
        .unwrap();
    let mut sarif = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut sarif)
        .unwrap();
    assert_eq!(sarif, SARIF);
}

#[tokio::test]
async fn no_wait_returns_after_the_upload() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(UPLOADS))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"id": "48"})))
        .expect(1)
        .mount(&server)
        .await;
    let out = upload(&server, &["--no-wait"], Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("accepted"));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn processing_failure_is_reported_with_githubs_reasons() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(UPLOADS))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({"id": "49"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{UPLOADS}/49")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "processing_status": "failed",
            "errors": ["locationFromSarifResult: expected artifact location"]
        })))
        .mount(&server)
        .await;
    let out = upload(&server, &[], Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("expected artifact location"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn refusals_and_rate_limits_say_what_to_do() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(UPLOADS))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let out = upload(&server, &[], Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("403") && text.contains("security-events: write"),
        "{text}"
    );

    Mock::given(method("POST"))
        .and(path(UPLOADS))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "1900000000")
                .set_body_json(json!({"message": "API rate limit exceeded"})),
        )
        .mount(&server)
        .await;
    let out = upload(&server, &[], Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains("rate limit") && text.contains("1900000000"),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_token_or_repository_is_a_usage_error() {
    let server = MockServer::start().await;
    let out = upload(&server, &[], None).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("GITHUB_TOKEN"));
    let out = upload(&server, &["--repository", "acme"], Some(TOKEN)).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(server.received_requests().await.unwrap().is_empty());
}
