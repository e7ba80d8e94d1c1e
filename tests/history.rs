//! `scan --history RANGE` on real git histories: a token added then removed, renames, binary
//! files and merge commits; the secret never printed.

mod common;

use common::{bin, git, write};
use serde_json::Value;

/// A GitHub token whose checksum holds (hardcoded-secret verifies it).
const TOKEN: &str = "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";
const OTHER: &str = "glpat-Zx9Kq2Lm4Np6Rt8Vw1Yb";

fn commit(dir: &std::path::Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
}

fn rev(dir: &std::path::Path, what: &str) -> String {
    let out = std::process::Command::new("git")
        .args(["rev-parse", what])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn scan(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = bin()
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--min-level",
            "note",
        ])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code(), json, format!("{stdout}{stderr}"))
}

fn secret_findings(report: &Value) -> Vec<(String, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "hardcoded-secret")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_token_added_then_removed_is_found_in_history_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "README.md", "# app\n");
    commit(root, "start");
    let base = rev(root, "HEAD");

    // Added, then removed in the next commit.
    write(
        root,
        "src/settings.py",
        &format!("DEBUG = False\nTOKEN = \"{TOKEN}\"\n"),
    );
    commit(root, "add settings");
    let added_in = rev(root, "HEAD");
    write(
        root,
        "src/settings.py",
        "DEBUG = False\nTOKEN = os.environ[\"TOKEN\"]\n",
    );
    commit(root, "use the environment");
    // Renamed without change: adds nothing. A binary file with the token inside: skipped.
    git(root, &["mv", "README.md", "docs.md"]);
    std::fs::write(
        root.join("blob.bin"),
        [b"\0\0".as_slice(), OTHER.as_bytes()].concat(),
    )
    .unwrap();
    commit(root, "rename, binary");
    // A branch that adds another token, merged back with a merge commit.
    git(root, &["checkout", "-q", "-b", "side"]);
    write(
        root,
        "deploy/notes.txt",
        &format!("line one\ntoken {OTHER}\n"),
    );
    commit(root, "side work");
    git(root, &["checkout", "-q", "main"]);
    write(root, "CHANGELOG.md", "- things\n");
    commit(root, "main work");
    git(
        root,
        &["merge", "-q", "--no-ff", "-m", "merge side", "side"],
    );

    // Without --history: the work tree alone (the GitLab token is in a text file outside the
    // default scope; the GitHub token is gone).
    let (code, report, _) = scan(root, &[]);
    assert_eq!(code, Some(0));
    assert!(secret_findings(&report).is_empty());

    let range = format!("{base}..HEAD");
    let (code, report, printed) = scan(root, &["--history", &range]);
    assert_eq!(code, Some(0), "{printed}");
    let found = secret_findings(&report);
    assert_eq!(found.len(), 2, "{found:#?}");
    let (path, line, message) = &found[1];
    assert_eq!((path.as_str(), *line), ("src/settings.py", 2));
    assert!(message.contains(&added_in[..12]), "{message}");
    assert!(message.contains("found only in history"), "{message}");
    // The merged branch's commit is read (merge commits themselves add nothing new).
    let (path, line, message) = &found[0];
    assert_eq!((path.as_str(), *line), ("deploy/notes.txt", 2));
    assert!(message.contains("added in commit"), "{message}");
    assert!(
        !message.contains("only in history"),
        "still in the file: {message}"
    );
    for secret in [TOKEN, OTHER] {
        assert!(!printed.contains(secret), "a secret was printed");
    }
    // Human output and SARIF mask them too.
    for format in ["human", "sarif", "github"] {
        let out = bin()
            .current_dir(root)
            .env_remove("GITHUB_ACTIONS")
            .args([
                "scan",
                ".",
                "--format",
                format,
                "--fail-on",
                "never",
                "--history",
                &range,
            ])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains("settings.py"), "{format}: {all}");
        for secret in [TOKEN, OTHER] {
            assert!(!all.contains(secret), "{format} printed a secret");
        }
    }
}

#[test]
fn a_finding_the_work_tree_already_has_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "README.md", "# app\n");
    commit(root, "start");
    write(root, ".env", &format!("GITHUB_TOKEN={TOKEN}\n"));
    commit(root, "env");
    let (_, plain, _) = scan(root, &[]);
    let (_, with_history, _) = scan(root, &["--history", "HEAD~1..HEAD"]);
    assert_eq!(secret_findings(&plain).len(), 1);
    assert_eq!(secret_findings(&with_history), secret_findings(&plain));
}

#[test]
fn a_range_git_cannot_read_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "README.md", "# app\n");
    commit(root, "start");
    for range in ["no-such-ref..HEAD", "--output=/tmp/x"] {
        let (code, _, printed) = scan(root, &["--history", range]);
        assert_eq!(code, Some(2), "{range}: {printed}");
        assert!(printed.contains("--history"), "{printed}");
    }
    let outside = tempfile::tempdir().unwrap();
    let (code, _, printed) = scan(outside.path(), &["--history", "HEAD~1..HEAD"]);
    assert_eq!(code, Some(2), "{printed}");
}

/// The Action reads a pull request's commits and their patches from GitHub (its image has no
/// git): a token one commit added and the next removed is reported, the secret never printed.
#[tokio::test]
async fn the_action_reads_the_commits_of_a_pull_request_from_github() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    let first = "1111111111111111111111111111111111111111";
    let second = "2222222222222222222222222222222222222222";
    let merge = "3333333333333333333333333333333333333333";
    let json = |v: serde_json::Value| ResponseTemplate::new(200).set_body_json(v);
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/pulls/9/commits"))
        .respond_with(json(serde_json::json!([
            {"sha": first, "parents": [{"sha": "0000000000000000000000000000000000000001"}]},
            {"sha": second, "parents": [{"sha": first}]},
            {"sha": merge, "parents": [{"sha": second}, {"sha": "0000000000000000000000000000000000000002"}]}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/app/commits/{first}")))
        .respond_with(json(serde_json::json!({"sha": first, "files": [
            {"filename": "config/app.yml", "status": "added",
             "patch": format!("@@ -0,0 +1,2 @@\n+name: app\n+token: {TOKEN}")},
            {"filename": "logo.png", "status": "added"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/app/commits/{second}")))
        .respond_with(json(serde_json::json!({"sha": second, "files": [
            {"filename": "config/app.yml", "status": "modified",
             "patch": "@@ -2 +2 @@\n-token: [redacted in this test]\n+token: ${APP_TOKEN}"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    // The merge commit is never asked for.
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/app/commits/{merge}")))
        .respond_with(json(serde_json::json!({})))
        .expect(0)
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "config/app.yml",
        "name: app\ntoken: ${APP_TOKEN}\n",
    );
    let event = dir.path().join("event.json");
    std::fs::write(&event, r#"{"pull_request": {"number": 9}}"#).unwrap();
    let sarif = dir.path().join("portcullis.sarif");
    let mut cmd = bin();
    cmd.current_dir(dir.path())
        .env_clear()
        .env("GITHUB_WORKSPACE", dir.path())
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_API_URL", server.uri())
        .env("INPUT_TOKEN", "ghs_PortcullisActionToken0009")
        .env("INPUT_FAIL-ON", "error")
        .env("INPUT_SUMMARY", "false")
        .arg("action");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{printed}");
    assert!(printed.contains("config/app.yml"), "{printed}");
    assert!(printed.contains("found only in history"), "{printed}");
    assert!(printed.contains(&first[..12]), "{printed}");
    assert!(!printed.contains(TOKEN), "the token was printed");
    let sarif = std::fs::read_to_string(&sarif).unwrap();
    assert!(!sarif.contains(TOKEN), "the token is in the SARIF file");
    assert!(sarif.contains("found only in history"));
}
