//! Organization-wide scanning end to end against a fake GitHub: 640 repositories over seven
//! pages (25 archived, 15 forks), a secondary rate limit in the middle of the listing, one
//! empty repository, two that fail (a tree GitHub cannot list, a file it cannot serve). The
//! plan, every matrix job's scan with uploads, and the merged report are checked.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;
use common::bin;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "ghs_PortcullisFakeOrgInstallationToken77";
const ACTIVE: usize = 600;
const ARCHIVED: usize = 25;
const FORKS: usize = 15;
/// Its tree cannot be listed (GitHub answers 500 every time).
const BROKEN_TREE: &str = "acme/svc-007";
/// One of its files cannot be fetched (404).
const MISSING_BLOB: &str = "acme/svc-013";
/// GraphQL gives its Dockerfile truncated: fetched again the REST way.
const TRUNCATED: &str = "acme/svc-005";
/// No branch yet (409).
const EMPTY: &str = "acme/svc-021";
/// GraphQL cannot say its default branch: the fetcher asks the REST way.
const HEAD_BY_REST: &str = "acme/svc-009";
/// GraphQL's hourly limit answers its first question (200, an error of type RATE_LIMITED).
const GRAPHQL_LIMITED: &str = "acme/svc-011";

fn sha(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

fn name(i: usize) -> String {
    format!("acme/svc-{i:03}")
}

/// The files of repository `i`: a Dockerfile and a workflow for all, a privileged compose
/// service for every third one, and files Portcullis never fetches.
fn files(i: usize) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("Dockerfile", format!("FROM node:{}\nRUN npm ci\n", 18 + i % 3)),
        (
            ".github/workflows/ci.yml",
            "on: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n".to_string(),
        ),
        ("README.md", "# svc\n".to_string()),
        ("src/main.rs", "fn main() {}\n".to_string()),
    ];
    if i.is_multiple_of(3) {
        out.push((
            "deploy/compose.yaml",
            "services:\n  web:\n    image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n    privileged: true\n".to_string(),
        ));
    }
    out
}

struct FakeGithub {
    blobs: HashMap<String, String>,
    /// The secondary rate limit was hit once.
    limited: AtomicBool,
    /// GraphQL's rate limit was hit once.
    graphql_limited: AtomicBool,
}

impl FakeGithub {
    fn new() -> FakeGithub {
        let mut blobs = HashMap::new();
        for i in 0..ACTIVE {
            for (_, text) in files(i) {
                blobs.insert(sha(&text), text);
            }
        }
        FakeGithub {
            blobs,
            limited: AtomicBool::new(false),
            graphql_limited: AtomicBool::new(false),
        }
    }

    fn listing(&self, page: usize) -> ResponseTemplate {
        if page == 3 && !self.limited.swap(true, Ordering::SeqCst) {
            return ResponseTemplate::new(403)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}));
        }
        let all: Vec<Value> = (0..ACTIVE + ARCHIVED + FORKS)
            .map(|i| {
                json!({
                    "full_name": name(i),
                    "archived": (ACTIVE..ACTIVE + ARCHIVED).contains(&i),
                    "fork": i >= ACTIVE + ARCHIVED,
                    "size": (i % 50) * 700,
                    "topics": ["service"],
                    "default_branch": "main",
                })
            })
            .collect();
        let items: Vec<Value> = all.into_iter().skip((page - 1) * 100).take(100).collect();
        ResponseTemplate::new(200).set_body_json(items)
    }
}

impl FakeGithub {
    /// The GraphQL query of the fetcher: `fN: object(oid: "…") { ... on Blob { … } }` aliases.
    /// A repository's `{defaultBranchRef}` answer; `None` where GraphQL cannot say (a missing
    /// repository, or one it fails on).
    fn head(repository: &str) -> Option<Value> {
        let i = repository
            .strip_prefix("acme/svc-")
            .and_then(|n| n.parse::<usize>().ok())?;
        if repository == HEAD_BY_REST {
            return None;
        }
        let head = if repository == EMPTY {
            Value::Null
        } else {
            json!({
                "name": if i.is_multiple_of(2) { "main" } else { "trunk" },
                "target": {"oid": sha(&format!("commit of {repository}"))},
            })
        };
        Some(json!({ "defaultBranchRef": head }))
    }

    /// GraphQL's answer when its rate limit is used up.
    fn graphql_rate_limited() -> ResponseTemplate {
        ResponseTemplate::new(200)
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("retry-after", "1")
            .set_body_json(
                json!({"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}),
            )
    }

    fn graphql(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let query = body["query"].as_str().unwrap();
        if query.contains("defaultBranchRef") && !body["variables"]["o0"].is_null() {
            // The heads of up to fifty repositories, `r0`, `r1`, … for `$o0/$n0`, `$o1/$n1`, ….
            let mut data = serde_json::Map::new();
            let mut errors = Vec::new();
            for i in 0.. {
                let (Some(owner), Some(name)) = (
                    body["variables"][format!("o{i}")].as_str(),
                    body["variables"][format!("n{i}")].as_str(),
                ) else {
                    break;
                };
                assert!(query.contains(&format!("r{i}: repository(owner: $o{i}, name: $n{i})")));
                let repository = format!("{owner}/{name}");
                if repository == GRAPHQL_LIMITED
                    && !self.graphql_limited.swap(true, Ordering::SeqCst)
                {
                    return FakeGithub::graphql_rate_limited();
                }
                let answer = FakeGithub::head(&repository).unwrap_or_else(|| {
                    errors.push(
                        json!({"path": [format!("r{i}")], "message": "Something went wrong"}),
                    );
                    Value::Null
                });
                data.insert(format!("r{i}"), answer);
            }
            return ResponseTemplate::new(200)
                .set_body_json(json!({"data": data, "errors": errors}));
        }
        let repository = format!(
            "{}/{}",
            body["variables"]["owner"].as_str().unwrap(),
            body["variables"]["name"].as_str().unwrap()
        );
        if query.contains("defaultBranchRef") {
            // One repository's head, asked alone.
            if repository == GRAPHQL_LIMITED && !self.graphql_limited.swap(true, Ordering::SeqCst) {
                return FakeGithub::graphql_rate_limited();
            }
            return ResponseTemplate::new(200).set_body_json(match FakeGithub::head(&repository) {
                Some(answer) => json!({"data": {"repository": answer}}),
                None if repository == HEAD_BY_REST => {
                    json!({"data": null, "errors": [{"message": "Something went wrong"}]})
                }
                None => json!({
                    "data": {"repository": null},
                    "errors": [{"type": "NOT_FOUND", "message": "Could not resolve to a Repository"}],
                }),
            });
        }
        let alias = regex::Regex::new(r#"(f\d+): object\(oid: "([0-9a-f]{40})"\)"#).unwrap();
        let mut answer = serde_json::Map::new();
        for found in alias.captures_iter(query) {
            let blob = match self.blobs.get(&found[2]) {
                Some(text) => json!({
                    "text": text,
                    "isBinary": false,
                    "isTruncated": repository == TRUNCATED && text.starts_with("FROM"),
                    "byteSize": text.len(),
                }),
                None => Value::Null,
            };
            answer.insert(found[1].to_string(), blob);
        }
        ResponseTemplate::new(200).set_body_json(json!({"data": {"repository": answer}}))
    }
}

impl Respond for FakeGithub {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let not_found = ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"}));
        if request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            != Some(format!("Bearer {TOKEN}").as_str())
        {
            return ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"}));
        }
        if path == "/graphql" && request.method.as_str() == "POST" {
            return self.graphql(request);
        }
        if path == "/orgs/acme/repos" {
            let page = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            return self.listing(page);
        }
        let Some(rest) = path.strip_prefix("/repos/acme/") else {
            return not_found;
        };
        let (repo, route) = rest.split_once('/').unwrap_or((rest, ""));
        let full = format!("acme/{repo}");
        let Some(i) = repo
            .strip_prefix("svc-")
            .and_then(|n| n.parse::<usize>().ok())
        else {
            return not_found;
        };
        let branch = if i.is_multiple_of(2) { "main" } else { "trunk" };
        let commit = sha(&format!("commit of {full}"));
        match (request.method.as_str(), route) {
            ("GET", "") => ResponseTemplate::new(200)
                .set_body_json(json!({"full_name": full, "default_branch": branch})),
            ("GET", r) if r == format!("git/ref/heads/{branch}") => {
                if full == EMPTY {
                    return ResponseTemplate::new(409)
                        .set_body_json(json!({"message": "Git Repository is empty."}));
                }
                ResponseTemplate::new(200)
                    .set_body_json(json!({"object": {"sha": commit, "type": "commit"}}))
            }
            ("GET", r) if r == format!("git/trees/{commit}") => {
                if full == BROKEN_TREE {
                    return ResponseTemplate::new(500)
                        .set_body_json(json!({"message": "Server Error"}));
                }
                assert_eq!(query.get("recursive").map(String::as_str), Some("1"));
                let tree: Vec<Value> = files(i)
                    .into_iter()
                    .map(|(path, text)| {
                        let blob = if full == MISSING_BLOB && path == "Dockerfile" {
                            sha("gone")
                        } else {
                            sha(&text)
                        };
                        json!({"path": path, "mode": "100644", "type": "blob", "sha": blob, "size": text.len()})
                    })
                    .chain([json!({"path": "deploy", "mode": "040000", "type": "tree", "sha": sha("t")})])
                    .collect();
                ResponseTemplate::new(200)
                    .set_body_json(json!({"sha": sha("t"), "tree": tree, "truncated": false}))
            }
            ("GET", r) if r.starts_with("git/blobs/") => {
                match self.blobs.get(&r["git/blobs/".len()..]) {
                    Some(text) => ResponseTemplate::new(200).set_body_json(json!({
                        "encoding": "base64",
                        "content": base64::engine::general_purpose::STANDARD.encode(text),
                    })),
                    None => not_found,
                }
            }
            ("POST", "code-scanning/sarifs") => ResponseTemplate::new(202)
                .set_body_json(json!({"id": format!("upload-{i:03}"), "url": "x"})),
            _ => not_found,
        }
    }
}

fn run(args: &[&str], server: &str, cwd: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = bin();
    cmd.current_dir(cwd)
        .env_clear()
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", server)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("FakeOrgInstallation"), "token printed: {all}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_scan_and_report_an_organization() {
    let server = MockServer::start().await;
    let fake = FakeGithub::new();
    Mock::given(wiremock::matchers::any())
        .respond_with(fake)
        .mount(&server)
        .await;
    let uri = server.uri();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().to_path_buf();
    std::fs::write(
        work.join("policy.toml"),
        "[rules.latest-tag]\nlevel = \"error\"\n",
    )
    .unwrap();

    // Plan: 600 repositories, archived ones and forks left out, ≤ 256 balanced jobs.
    let out = {
        let (uri, work) = (uri.clone(), work.clone());
        tokio::task::spawn_blocking(move || {
            run(
                &["org", "plan", "--org", "acme", "--output", "matrix.json"],
                &uri,
                &work,
                &[],
            )
        })
        .await
        .unwrap()
    };
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(
        log.contains(
            "640 repositories listed, 600 to scan in 60 jobs (left out: 25 archived, 15 forks"
        ),
        "{log}"
    );
    assert!(
        log.contains("slow down"),
        "the secondary rate limit was waited out: {log}"
    );
    let matrix: Value =
        serde_json::from_slice(&std::fs::read(work.join("matrix.json")).unwrap()).unwrap();
    let jobs = matrix["include"].as_array().unwrap();
    assert_eq!(jobs.len(), 60);
    let mut planned: Vec<String> = Vec::new();
    for job in jobs {
        let names: Vec<&str> = job["repositories"].as_str().unwrap().split(' ').collect();
        assert_eq!(names.len(), 10, "balanced: {job}");
        planned.extend(names.iter().map(|s| s.to_string()));
    }
    planned.sort();
    let expected: Vec<String> = (0..ACTIVE).map(name).collect();
    assert_eq!(
        planned, expected,
        "every active repository once, no archived one, no fork"
    );

    // Scan: each matrix entry as its own job; a failing repository never stops the others.
    let mut failing_jobs = 0;
    for job in jobs {
        let repositories = job["repositories"].as_str().unwrap().to_string();
        let (uri, work) = (uri.clone(), work.clone());
        let out = tokio::task::spawn_blocking(move || {
            run(
                &[
                    "org",
                    "scan",
                    "--results",
                    "results",
                    "--policy",
                    "policy.toml",
                    "--upload",
                ],
                &uri,
                &work,
                &[("PORTCULLIS_REPOSITORIES", &repositories)],
            )
        })
        .await
        .unwrap();
        let names = job["repositories"].as_str().unwrap();
        let fails = names.contains(BROKEN_TREE) || names.contains(MISSING_BLOB);
        failing_jobs += usize::from(fails);
        assert_eq!(
            out.status.code(),
            Some(if fails { 1 } else { 0 }),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(failing_jobs >= 1);

    // Results: one per repository; the two failures recorded as not checked.
    let result = |repo: &str| -> Value {
        let path = work.join("results").join(format!("{repo}.json"));
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
    };
    let broken = result(BROKEN_TREE);
    assert_eq!(broken["status"], "not-checked");
    assert!(
        broken["reason"]
            .as_str()
            .unwrap()
            .contains("tree: GitHub answered 500"),
        "{broken}"
    );
    let missing = result(MISSING_BLOB);
    assert_eq!(missing["status"], "not-checked");
    assert!(
        missing["reason"].as_str().unwrap().contains("Dockerfile"),
        "{missing}"
    );
    let empty = result(EMPTY);
    assert_eq!(
        (empty["status"].as_str(), empty["files"].as_u64()),
        (Some("checked"), Some(0))
    );
    let third = result("acme/svc-003");
    assert_eq!(third["status"], "checked");
    assert_eq!(third["branch"], "trunk");
    assert_eq!(third["commit"], sha("commit of acme/svc-003"));
    assert_eq!(
        third["files"], 3,
        "Dockerfile, workflow and compose file; never README or sources"
    );
    let rules: Vec<&str> = third["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"privileged") && rules.contains(&"unpinned-action"),
        "{rules:?}"
    );
    let privileged = third["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "privileged")
        .unwrap();
    assert_eq!(
        (privileged["path"].as_str(), privileged["line"].as_u64()),
        (Some("deploy/compose.yaml"), Some(4))
    );
    assert_eq!(third["upload"], "accepted upload-003");

    // Uploads: one per checked, non-empty repository, to its own repository and commit.
    let requests = server.received_requests().await.unwrap();
    let mut uploads: BTreeMap<String, Value> = BTreeMap::new();
    let mut fetched_paths = 0;
    let mut queried_files = 0;
    let mut queries = 0;
    let mut head_queries = 0;
    let mut heads_by_rest = Vec::new();
    for request in &requests {
        let path = request.url.path();
        if path.starts_with("/repos/")
            && (path.matches('/').count() == 3 || path.contains("/git/ref/"))
        {
            heads_by_rest.push(path.to_string());
        }
        if path == "/graphql" {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            if body["query"].as_str().unwrap().contains("defaultBranchRef") {
                head_queries += 1;
                continue;
            }
            queries += 1;
            queried_files += body["query"]
                .as_str()
                .unwrap()
                .matches(": object(oid:")
                .count();
        } else if request.method.as_str() == "POST" {
            let repo = path
                .strip_prefix("/repos/")
                .and_then(|p| p.strip_suffix("/code-scanning/sarifs"))
                .unwrap()
                .to_string();
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            assert!(
                uploads.insert(repo, body).is_none(),
                "one upload per repository"
            );
        }
        if path.contains("/git/blobs/") {
            fetched_paths += 1;
        }
    }
    assert_eq!(
        uploads.len(),
        ACTIVE - 3,
        "every checked repository but the empty one"
    );
    for (repo, body) in &uploads {
        assert_eq!(
            body["commit_sha"].as_str().unwrap(),
            sha(&format!("commit of {repo}"))
        );
        let i: usize = repo["acme/svc-".len()..].parse().unwrap();
        let branch = if i.is_multiple_of(2) { "main" } else { "trunk" };
        assert_eq!(body["ref"], format!("refs/heads/{branch}"));
    }
    let sarif = {
        use std::io::Read;
        let compressed = base64::engine::general_purpose::STANDARD
            .decode(uploads["acme/svc-003"]["sarif"].as_str().unwrap())
            .unwrap();
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(&compressed[..])
            .read_to_end(&mut text)
            .unwrap();
        serde_json::from_slice::<Value>(&text).unwrap()
    };
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        "portcullis/org/"
    );
    let only_checked_files = (0..ACTIVE).map(|i| if i.is_multiple_of(3) { 3 } else { 2 }).sum::<usize>()
        - 2 // the broken tree's files are never listed
        - 3; // the empty repository has none
    assert_eq!(
        queried_files, only_checked_files,
        "only checked files are fetched"
    );
    assert_eq!(queries, ACTIVE - 2, "one query per repository with files");
    assert_eq!(
        head_queries,
        ACTIVE / 10 + 2,
        "one query for the heads of each job's repositories, the one asked again after GraphQL's limit, and one alone for the repository the shared query could not answer"
    );
    let limited = result(GRAPHQL_LIMITED);
    assert_eq!(limited["status"], "checked", "{limited}");
    assert_eq!(
        heads_by_rest,
        [
            format!("/repos/{HEAD_BY_REST}"),
            format!("/repos/{HEAD_BY_REST}/git/ref/heads/trunk")
        ],
        "the REST way only where GraphQL could not say"
    );
    assert_eq!(
        fetched_paths, 2,
        "the REST way only for what GraphQL could not give exactly"
    );
    let truncated = result(TRUNCATED);
    assert_eq!(
        (truncated["status"].as_str(), truncated["files"].as_u64()),
        (Some("checked"), Some(2))
    );

    // Report: merged, with the plan so a missing result would show, and a previous report.
    let previous =
        json!({"version": 1, "compared": false, "repositories": [result("acme/svc-003")]});
    std::fs::write(work.join("previous.json"), previous.to_string()).unwrap();
    let out = {
        let (uri, work) = (uri.clone(), work.clone());
        tokio::task::spawn_blocking(move || {
            run(
                &[
                    "org",
                    "report",
                    "results",
                    "--plan",
                    "matrix.json",
                    "--previous",
                    "previous.json",
                    "--markdown",
                    "summary.md",
                    "--html",
                    "report.html",
                    "--json",
                    "merged.json",
                ],
                &uri,
                &work,
                &[("GITHUB_SERVER_URL", "https://github.example")],
            )
        })
        .await
        .unwrap()
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged: Value =
        serde_json::from_slice(&std::fs::read(work.join("merged.json")).unwrap()).unwrap();
    let repositories = merged["repositories"].as_array().unwrap();
    assert_eq!(repositories.len(), ACTIVE);
    let checked = repositories
        .iter()
        .filter(|r| r["status"] == "checked")
        .count();
    assert_eq!(checked, ACTIVE - 2);
    let findings: usize = repositories
        .iter()
        .map(|r| r["findings"].as_array().unwrap().len())
        .sum();
    let privileged = repositories
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap())
        .filter(|f| f["rule"] == "privileged")
        .count();
    assert_eq!(
        privileged,
        (0..ACTIVE).filter(|i| i % 3 == 0).count() - 1,
        "all but the empty one's"
    );
    let new = repositories
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap())
        .filter(|f| f["new"] == true)
        .count();
    let old = third["findings"].as_array().unwrap().len();
    assert_eq!(
        new,
        findings - old,
        "only svc-003's findings were known before"
    );
    let summary = std::fs::read_to_string(work.join("summary.md")).unwrap();
    assert!(
        summary.contains(&format!(
            "**{} of {} repositories checked",
            ACTIVE - 2,
            ACTIVE
        )),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("**{new} new** since the previous report")),
        "{summary}"
    );
    assert!(
        summary.contains("| acme/svc-007 | the repository | tree: GitHub answered 500"),
        "{summary}"
    );
    let page = std::fs::read_to_string(work.join("report.html")).unwrap();
    assert!(page.contains("\"server\":\"https://github.example\""));
    assert!(page.contains(&sha("commit of acme/svc-003")));
}

#[test]
fn a_repository_left_without_result_is_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results/acme");
    std::fs::create_dir_all(&results).unwrap();
    let result = json!({
        "version": 1, "repository": "acme/api", "status": "checked", "branch": "main",
        "commit": "0123456789abcdef0123456789abcdef01234567", "files": 1, "not_fetched": [],
        "findings": [], "notifications": [], "timing": {"fetch_ms": 1, "scan_ms": 1, "requests": 3, "bytes": 10}
    });
    std::fs::write(results.join("api.json"), result.to_string()).unwrap();
    std::fs::write(
        dir.path().join("matrix.json"),
        json!({"include": [{"job": "1/1", "repositories": "acme/api acme/web"}]}).to_string(),
    )
    .unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env_clear()
        .args(["org", "report", "results", "--plan", "matrix.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("**1 of 2 repositories checked"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "| acme/web | the repository | no result: its scan job failed or did not run |"
        ),
        "{summary}"
    );

    // A file in the results that is not a result fails the report rather than drop a repository.
    std::fs::write(results.join("junk.json"), "{}").unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env_clear()
        .args(["org", "report", "results"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn org_commands_need_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env_clear()
        .args(["org", "plan", "--org", "acme"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GITHUB_TOKEN"));
}
