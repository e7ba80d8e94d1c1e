//! `scan --online` against a local fake of the GitHub API: fixes in SARIF, one lookup per
//! action and ref, rate limits and errors that degrade to notes, and the token kept out of
//! every output.

mod common;

use std::process::Output;

use common::{bin, write};
use serde_json::{Value, json};
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "ghs_fakeTokenForTheFakeServer0123456789";
const CHECKOUT: &str = "11bd71901bbe5b1630ceea73d27597364c9af683";

fn workflow(steps: &[&str]) -> String {
    let mut text =
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    steps:\n"
            .to_string();
    for step in steps {
        text.push_str(&format!("      - uses: {step}\n"));
    }
    text
}

async fn scan(dir: &std::path::Path, server: &MockServer, extra: &[&str]) -> Output {
    let mut cmd = bin();
    cmd.current_dir(dir)
        .env_clear()
        .env("GITHUB_API_URL", server.uri())
        .env("GITHUB_TOKEN", TOKEN)
        .args(["scan", "--online"])
        .args(extra);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn ok(server: &MockServer, route: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn not_found_otherwise(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})))
        .with_priority(u8::MAX)
        .mount(server)
        .await;
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).to_string()
}

/// A GitHub where `actions/checkout@v4` is a tag naming `CHECKOUT`, and nothing else exists.
async fn checkout_v4() -> MockServer {
    let server = MockServer::start().await;
    ok(
        &server,
        "/repos/actions/checkout/git/ref/tags/v4",
        json!({"ref": "refs/tags/v4"}),
    )
    .await;
    ok(
        &server,
        "/repos/actions/checkout/commits/v4",
        json!({"sha": CHECKOUT}),
    )
    .await;
    not_found_otherwise(&server).await;
    server
}

#[tokio::test]
async fn sarif_carries_the_pin_as_a_fix_and_stays_valid() {
    let server = checkout_v4().await;

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        &workflow(&["actions/checkout@v4", "\"actions/checkout@v4\" # checkout"]),
    );
    let out = scan(dir.path(), &server, &["--format", "sarif"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = common::sarif_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");

    let run = &sarif["runs"][0];
    let ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for online in [
        "impostor-commit",
        "ref-confusion",
        "known-vulnerable-action",
    ] {
        assert!(ids.contains(&online), "{online} is listed when online");
    }
    let results: Vec<&Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "unpinned-action")
        .collect();
    assert_eq!(results.len(), 2);
    // Unquoted, nothing after it: the ref becomes the commit and the ref a comment.
    assert_eq!(
        results[0]["fixes"],
        json!([{
            "description": {"text": format!("Pin `actions/checkout` to {CHECKOUT}, the commit `v4` names now")},
            "artifactChanges": [{
                "artifactLocation": {"uri": ".github/workflows/ci.yml", "uriBaseId": "%SRCROOT%"},
                "replacements": [
                    {"deletedRegion": {"startLine": 7, "startColumn": 32, "endLine": 7, "endColumn": 34},
                     "insertedContent": {"text": CHECKOUT}},
                    {"deletedRegion": {"startLine": 7, "startColumn": 34, "endLine": 7, "endColumn": 34},
                     "insertedContent": {"text": " # v4"}},
                ],
            }],
        }])
    );
    // Quoted, with a comment already: only the ref changes.
    let replacements = results[1]["fixes"][0]["artifactChanges"][0]["replacements"]
        .as_array()
        .unwrap();
    assert_eq!(replacements.len(), 1, "{replacements:?}");
    assert_eq!(
        replacements[0]["deletedRegion"],
        json!({"startLine": 8, "startColumn": 33, "endLine": 8, "endColumn": 35})
    );
    assert!(!text(&out.stdout).contains(TOKEN) && !text(&out.stderr).contains(TOKEN));
}

#[tokio::test]
async fn one_lookup_per_action_and_ref_whatever_the_number_of_uses() {
    let server = MockServer::start().await;
    for (route, body) in [
        (
            "/repos/acme/deploy/git/ref/heads/v1",
            json!({"ref": "refs/heads/v1"}),
        ),
        (
            "/repos/acme/deploy/git/ref/tags/v1",
            json!({"ref": "refs/tags/v1"}),
        ),
        ("/repos/acme/deploy/commits/v1", json!({"sha": CHECKOUT})),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/advisories"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    not_found_otherwise(&server).await;

    let dir = tempfile::tempdir().unwrap();
    for name in ["a", "b", "c"] {
        write(
            dir.path(),
            &format!(".github/workflows/{name}.yml"),
            &workflow(&["acme/deploy@v1", "acme/deploy/sub@v1"]),
        );
    }
    let out = scan(dir.path(), &server, &["--format", "json"]).await;
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let confused = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "ref-confusion")
        .count();
    assert_eq!(confused, 6, "{}", text(&out.stdout));
    // The `expect(1)`s are checked when the server is dropped.
    drop(server);
}

#[tokio::test]
async fn a_rate_limit_stops_the_lookups_and_becomes_a_note_not_a_failure() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "1900000000")
                .set_body_json(json!({"message": "API rate limit exceeded for installation."})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let steps: Vec<String> = (0..20).map(|i| format!("acme/a{i}@v1")).collect();
    let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
    write(dir.path(), ".github/workflows/ci.yml", &workflow(&steps));

    let out = scan(dir.path(), &server, &["--format", "sarif"]).await;
    // The offline findings (unpinned actions: warnings) are still reported; no error.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("rate limit"), "{stderr}");
    assert!(stderr.contains("lookups were not made"), "{stderr}");
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"].to_string();
    assert!(notes.contains("online checks incomplete"), "{notes}");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        20,
        "the offline findings stay"
    );
    // After the first refusal no more requests (one per scanning thread may be in flight).
    let requests = server.received_requests().await.unwrap().len();
    assert!(requests <= 4, "{requests} requests after the rate limit");
    assert!(!stderr.contains(TOKEN) && !text(&out.stdout).contains(TOKEN));
}

#[tokio::test]
async fn other_errors_name_the_repository_and_the_scan_goes_on() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"message": "Internal Server Error"})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        &workflow(&[&format!("acme/deploy@{CHECKOUT}")]),
    );
    let out = scan(dir.path(), &server, &[]).await;
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: online checks: acme/deploy: GitHub answered 500"),
        "{stderr}"
    );
    // In the Action's annotations too, not only in the log.
    let out = scan(dir.path(), &server, &["--format", "github"]).await;
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "::warning title=portcullis::online checks: acme/deploy: GitHub answered 500"
        ),
        "{stdout}"
    );
}

#[tokio::test]
async fn offline_scans_make_no_request_and_list_no_online_rule() {
    let server = MockServer::start().await;
    not_found_otherwise(&server).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        &workflow(&["acme/deploy@v1"]),
    );
    let mut cmd = bin();
    cmd.current_dir(dir.path())
        .env_clear()
        .env("GITHUB_API_URL", server.uri())
        .args(["scan", "--format", "sarif"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !sarif.to_string().contains("impostor-commit"),
        "online rules are not listed offline"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn human_output_names_the_fix() {
    let server = checkout_v4().await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        &workflow(&["actions/checkout@v4"]),
    );
    let out = scan(dir.path(), &server, &["--color", "never"]).await;
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "= fix: Pin `actions/checkout` to {CHECKOUT}, the commit `v4` names now"
        )),
        "{stdout}"
    );
}

#[tokio::test]
async fn online_sarif_pins_images_with_the_digest_their_registry_names() {
    let digest = "sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d";
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/v2/library/postgres/manifests/17"))
        .respond_with(ResponseTemplate::new(200).insert_header("docker-content-digest", digest))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/acme/private/manifests/1.0"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("www-authenticate", "Basic realm=\"x\""),
        )
        .mount(&server)
        .await;
    not_found_otherwise(&server).await;

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  a:\n    image: postgres:17\n  b:\n    image: \"postgres:17\" # same\n  c:\n    image: ghcr.io/acme/private:1.0\n",
    );
    let out = scan(
        dir.path(),
        &server,
        &["--format", "sarif", "--registry-mirror", &server.uri()],
    )
    .await;
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(common::sarif_errors(&sarif).is_empty());
    let fixes: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "unpinned-image")
        .map(|r| {
            let replacement = &r["fixes"][0]["artifactChanges"][0]["replacements"][0];
            format!(
                "{}:{} {}",
                replacement["deletedRegion"]["startLine"],
                replacement["deletedRegion"]["startColumn"],
                replacement["insertedContent"]["text"]
            )
        })
        .collect();
    assert_eq!(
        fixes,
        [
            format!("3:23 \"@{digest}\""),
            format!("5:24 \"@{digest}\""),
            "null:null null".to_string()
        ]
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("note: online checks: no digest for ghcr.io/acme/private:1.0"),
        "{stderr}"
    );
    drop(server);
}
