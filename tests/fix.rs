//! `portcullis fix --pin` against a local fake of GitHub's commits API.

mod common;

use std::process::Output;

use common::bin;
use serde_json::json;
use wiremock::matchers::{header, header_exists, method, path, query_param};
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

/// The files of `dir` that `diff` names, after `git apply` of it to a copy: a `--dry-run` diff
/// must apply as it is.
fn apply(dir: &std::path::Path, diff: &str) -> std::collections::BTreeMap<String, String> {
    let copy = tempfile::tempdir().unwrap();
    let names: Vec<String> = diff
        .lines()
        .filter_map(|l| l.strip_prefix("+++ b/"))
        .map(str::to_string)
        .collect();
    for name in &names {
        common::write(
            copy.path(),
            name,
            &std::fs::read_to_string(dir.join(name)).unwrap(),
        );
    }
    std::fs::write(copy.path().join("fix.diff"), diff).unwrap();
    let out = std::process::Command::new("git")
        .args(["apply", "--verbose", "fix.diff"])
        .current_dir(copy.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git apply refuses the diff: {}\n{diff}",
        String::from_utf8_lossy(&out.stderr)
    );
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(copy.path().join(&name)).unwrap();
            (name, text)
        })
        .collect()
}

/// `path:line` of the findings of `rules` in a scan of `dir`.
fn findings_of(dir: &std::path::Path, rules: &[&str]) -> Vec<String> {
    let scan = bin()
        .current_dir(dir)
        .args(["scan", "--format", "json", "--fail-on", "never"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&scan.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| rules.iter().any(|r| f["rule"] == *r))
        .map(|f| format!("{}:{}", f["path"].as_str().unwrap(), f["start"]["line"]))
        .collect()
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
    // Both edits in one hunk, with three lines of context.
    assert!(
        diff.starts_with("--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n@@ -3,6 +3,6 @@\n   t:\n"),
        "{diff}"
    );
    assert!(diff.contains(&format!(
        "-      - uses: actions/checkout@v4 # the checkout\n+      - uses: actions/checkout@{CHECKOUT} # v4 - the checkout\n\
         -      - uses: actions/checkout@v4\n+      - uses: actions/checkout@{CHECKOUT} # v4\n"
    )));
    let patched = apply(dir.path(), &diff);
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
    assert_eq!(
        patched[".github/workflows/ci.yml"], fixed,
        "the diff is the fix"
    );
    assert!(fixed.contains(&format!(
        "actions/checkout@{CHECKOUT} # v4 - the checkout\n"
    )));
    assert!(
        fixed.contains("acme/missing@v1\n"),
        "unresolved refs stay as they were"
    );

    // The fixed file no longer has unpinned checkouts for the scanner.
    assert_eq!(
        findings_of(dir.path(), &["unpinned-action"]),
        [".github/workflows/ci.yml:8"]
    );
}

const ALPINE: &str = "sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d";
const PULL_TOKEN: &str = "registry-pull-token-never-printed";

/// A registry that wants a pull token for `library/alpine` (Docker Hub's flow) and serves
/// `acme/app` without a digest header (so the manifest is hashed).
async fn fake_registry() -> (MockServer, String) {
    let server = MockServer::start().await;
    let challenge = format!(
        "Bearer realm=\"{}/token\",service=\"registry.test\",scope=\"repository:library/alpine:pull\"",
        server.uri()
    );
    Mock::given(method("HEAD"))
        .and(path("/v2/library/alpine/manifests/3.20"))
        .and(header(
            "authorization",
            format!("Bearer {PULL_TOKEN}").as_str(),
        ))
        .and(header_exists("accept"))
        .respond_with(ResponseTemplate::new(200).insert_header("docker-content-digest", ALPINE))
        .with_priority(1)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/library/alpine/manifests/3.20"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("www-authenticate", challenge.as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(query_param("service", "registry.test"))
        .and(query_param("scope", "repository:library/alpine:pull"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": PULL_TOKEN})))
        .expect(2)
        .mount(&server)
        .await;
    let manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
    Mock::given(method("HEAD"))
        .and(path("/v2/acme/app/manifests/1.0"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/acme/app/manifests/1.0"))
        .respond_with(ResponseTemplate::new(200).set_body_string(manifest))
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/library/nginx/manifests/0.0-missing"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    use sha2::Digest;
    let app = format!("sha256:{:x}", sha2::Sha256::digest(manifest.as_bytes()));
    (server, app)
}

#[tokio::test]
async fn pins_images_to_their_digest_through_the_registry_api() {
    let (registry, app) = fake_registry().await;
    let github = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/actions/checkout/commits/v4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sha": CHECKOUT})))
        .mount(&github)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let dockerfile = "ARG BASE=alpine:3.20\nFROM alpine:3.20 AS build\nCOPY --from=ghcr.io/acme/app:1.0 /app /app\nFROM ${BASE}\nFROM nginx\nFROM nginx:0.0-missing\n";
    let compose = "services:\n  web:\n    image: \"alpine:3.20\"   # base\n  app:\n    image: ghcr.io/acme/app:1.0\n";
    let workflow = "on: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    container: alpine:3.20\n    steps:\n      - uses: docker://ghcr.io/acme/app:1.0\n      - uses: actions/checkout@v4\n";
    common::write(dir.path(), "Dockerfile", dockerfile);
    common::write(dir.path(), "compose.yaml", compose);
    common::write(dir.path(), ".github/workflows/ci.yml", workflow);

    let run = |extra: &'static [&'static str]| {
        let mut cmd = bin();
        cmd.current_dir(dir.path())
            .env_clear()
            .env("GITHUB_API_URL", github.uri())
            .args(["fix", "--pin", "--registry-mirror", &registry.uri()])
            .args(extra);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let out = run(&["--dry-run"]).await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "nginx:0.0-missing does not resolve"
    );
    let diff = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    for change in [
        format!("-    container: alpine:3.20\n+    container: alpine:3.20@{ALPINE}\n"),
        format!(
            "-      - uses: docker://ghcr.io/acme/app:1.0\n+      - uses: docker://ghcr.io/acme/app:1.0@{app}\n"
        ),
        format!(
            "-      - uses: actions/checkout@v4\n+      - uses: actions/checkout@{CHECKOUT} # v4\n"
        ),
        format!("-FROM alpine:3.20 AS build\n+FROM alpine:3.20@{ALPINE} AS build\n"),
        format!(
            "-COPY --from=ghcr.io/acme/app:1.0 /app /app\n+COPY --from=ghcr.io/acme/app:1.0@{app} /app /app\n"
        ),
        format!(
            "-    image: \"alpine:3.20\"   # base\n+    image: \"alpine:3.20@{ALPINE}\"   # base\n"
        ),
        format!("-    image: ghcr.io/acme/app:1.0\n+    image: ghcr.io/acme/app:1.0@{app}\n"),
    ] {
        assert!(diff.contains(&change), "{change} not in\n{diff}");
    }
    let patched = apply(dir.path(), &diff);
    assert!(
        stderr.contains("warning: not pinned: nginx:0.0-missing: 404"),
        "{stderr}"
    );
    assert!(
        stderr.contains("note: not pinned: Dockerfile:4: `alpine:3.20` is written with a variable"),
        "{stderr}"
    );
    assert!(
        stderr.contains("note: not pinned: Dockerfile:5: `nginx` names no version"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 action and 6 images pinned in 3 files"),
        "{stderr}"
    );
    assert!(!stderr.contains(PULL_TOKEN) && !diff.contains(PULL_TOKEN));

    let out = run(&[]).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    for (name, text) in &patched {
        assert_eq!(
            &std::fs::read_to_string(dir.path().join(name)).unwrap(),
            text,
            "the diff is the fix of {name}"
        );
    }
    let fixed = std::fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    assert!(fixed.contains(&format!("image: \"alpine:3.20@{ALPINE}\"   # base\n")));
    // Once pinned, the scanner has no unpinned image left but the ones it was told about.
    assert_eq!(
        findings_of(dir.path(), &["unpinned-image", "latest-tag"]),
        ["Dockerfile:4", "Dockerfile:5", "Dockerfile:6"]
    );
    // Each distinct image asked once per run (the `expect`s are checked on drop).
    drop(registry);
}
