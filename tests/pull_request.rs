//! Pull-request mode: `--new-since` against a real git history, and the Markdown step summary.

mod common;

use std::path::Path;

use common::{bin, git, write};

/// `main` has an old unpinned image; the branch adds a privileged service, an edit to the
/// Dockerfile, and an untracked workflow.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, "Dockerfile", "FROM nginx\nUSER 101\n");
    write(
        root,
        "compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n",
    );
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    write(
        root,
        "compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n",
    );
    git(root, &["commit", "-q", "-am", "feature"]);
    // Uncommitted edit on an existing file, and a new file git does not know yet.
    write(
        root,
        "Dockerfile",
        "FROM nginx\nUSER 101\nFROM alpine:latest\n",
    );
    write(
        root,
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n",
    );
    dir
}

fn findings(dir: &Path, extra: &[&str]) -> (Vec<(String, String, u64)>, serde_json::Value) {
    let out = bin()
        .current_dir(dir)
        .args(["scan", "--format", "json", "--fail-on", "never"])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (list, json)
}

#[test]
fn new_since_keeps_only_findings_on_changed_lines() {
    let repo = repository();
    let (all, _) = findings(repo.path(), &[]);
    assert!(
        all.iter()
            .any(|(rule, path, line)| rule == "latest-tag" && path == "Dockerfile" && *line == 1),
        "the old finding exists without --new-since: {all:?}"
    );

    let (new, json) = findings(repo.path(), &["--new-since", "main"]);
    assert!(!new.is_empty());
    for (rule, path, line) in &new {
        let changed = match path.as_str() {
            "Dockerfile" => *line == 3,
            "compose.yaml" => *line == 4,
            ".github/workflows/ci.yml" => true,
            _ => false,
        };
        assert!(changed, "{rule} at {path}:{line} is not on a changed line");
    }
    assert!(
        new.iter()
            .any(|(r, p, _)| r == "privileged" && p == "compose.yaml")
    );
    assert!(new.iter().any(|(_, p, l)| p == "Dockerfile" && *l == 3));
    assert!(new.iter().any(|(_, p, _)| p == ".github/workflows/ci.yml"));
    assert_eq!(
        json["summary"]["outside_changes"].as_u64().unwrap() as usize,
        all.len() - new.len()
    );
}

#[test]
fn new_since_works_from_a_subfolder_and_rejects_unknown_refs() {
    let repo = repository();
    let sub = repo.path().join(".github");
    let (new, _) = findings(&sub, &["--new-since", "main"]);
    assert!(
        new.iter().all(|(_, p, _)| p.starts_with("workflows/")),
        "{new:?}"
    );
    assert!(!new.is_empty());

    let out = bin()
        .current_dir(repo.path())
        .args(["scan", "--new-since", "no-such-ref"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--new-since no-such-ref"), "{stderr}");
}

#[test]
fn summary_is_appended_markdown_with_links_and_no_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = "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";
    write(
        root,
        "Dockerfile",
        &format!("FROM nginx\nENV GITHUB_TOKEN={token}\nUSER 101\n"),
    );
    write(
        root,
        "compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n    command: echo 'a|b'\n",
    );
    let summary = root.join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let out = bin()
        .current_dir(root)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .args(["scan", "--quiet", "--summary"])
        .arg(&summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with(
            "earlier step\n### ❌ Portcullis failed: 2 findings at or above `error`\n"
        ),
        "{text}"
    );
    assert!(text.contains("| [`hardcoded-secret`]("), "{text}");
    assert!(text.contains(
        "[Dockerfile:2](https://github.com/acme/app/blob/0123456789abcdef0123456789abcdef01234567/Dockerfile#L2)"
    ));
    assert!(!text.contains("PortcullisFixtureTokenGhp"), "{text}");
    // Every table row has the same number of unescaped pipes as its header.
    for line in text.lines().filter(|l| l.starts_with("| ")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells == 4 || cells == 5, "{line}");
    }
}

/// `--new-since` asks the repository holding the scanned path, wherever the command runs; a
/// shallow clone, which lacks the base, gets the advice to fetch the history.
#[test]
fn new_since_uses_the_scanned_repository_and_explains_shallow_clones() {
    let repo = repository();
    let elsewhere = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(elsewhere.path())
        .args(["scan", "--new-since", "main", "--format", "json"])
        .arg(repo.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"privileged"), "{rules:?}");

    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git(
        clones.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "feature", &url, "shallow",
        ],
    );
    let out = bin()
        .current_dir(elsewhere.path())
        .args(["scan", "--new-since", "HEAD~1"])
        .arg(clones.path().join("shallow"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("this is a shallow clone: fetch the history, e.g. `fetch-depth: 0`"),
        "{stderr}"
    );
    assert!(!stderr.contains("unknown error"), "{stderr}");
}
