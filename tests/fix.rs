//! `portcullis fix --pin` against a local fake of GitHub's commits API.

mod common;

use std::process::Output;

use common::bin;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CHECKOUT: &str = "11bd71901bbe5b1630ceea73d27597364c9af683";
const WORKFLOW: &str = "on: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4 # the checkout\n      - uses: actions/checkout@v4\n      - uses: acme/missing@v1\n";

async fn fix(dir: &std::path::Path, server: &MockServer, extra: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.current_dir(dir)
        .env_clear()
        .env("GITHUB_API_URL", server.uri())
        .args(["fix", "--pin"])
        .args(extra);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn pins_each_distinct_action_once_and_keeps_the_ref_as_a_comment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/actions/checkout/commits/v4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sha": CHECKOUT})))
        // Two runs below, each asking once for the two uses of checkout@v4.
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/missing/commits/v1"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(json!({"message": "No commit found for SHA: v1"})),
        )
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(".github/workflows/ci.yml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, WORKFLOW).unwrap();

    let out = fix(dir.path(), &server, &["--dry-run"]).await;
    assert_eq!(out.status.code(), Some(1), "one ref could not be resolved");
    let diff = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        diff,
        format!(
            "--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n\
             @@ -6 +6 @@\n-      - uses: actions/checkout@v4 # the checkout\n+      - uses: actions/checkout@{CHECKOUT} # v4 - the checkout\n\
             @@ -7 +7 @@\n-      - uses: actions/checkout@v4\n+      - uses: actions/checkout@{CHECKOUT} # v4\n"
        )
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("acme/missing@v1") && stderr.contains("422"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        WORKFLOW,
        "dry run writes nothing"
    );

    let out = fix(dir.path(), &server, &[]).await;
    assert_eq!(out.status.code(), Some(1));
    let fixed = std::fs::read_to_string(&file).unwrap();
    assert!(fixed.contains(&format!(
        "actions/checkout@{CHECKOUT} # v4 - the checkout\n"
    )));
    assert!(
        fixed.contains("acme/missing@v1\n"),
        "unresolved refs stay as they were"
    );

    // The fixed file no longer has unpinned checkouts for the scanner.
    let scan = bin()
        .current_dir(dir.path())
        .args(["scan", "--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
    let unpinned: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "unpinned-action")
        .map(|f| f["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(unpinned, [8]);
}
