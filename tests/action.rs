//! The GitHub Action's entry point, run the way the runner runs the container: inputs in
//! `INPUT_*` variables, file commands in `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`.

mod common;

use std::path::Path;

use common::{bin, write};

const TOKEN: &str = "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";

#[test]
fn action_writes_annotations_sarif_summary_and_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "app/Dockerfile",
        &format!("FROM nginx\nENV GITHUB_TOKEN={TOKEN}\nUSER 101\n"),
    );
    write(root, "other/Dockerfile", "FROM nginx\n");
    let files = tempfile::tempdir().unwrap();
    let output = files.path().join("output");
    let summary = files.path().join("summary");
    let run_action = || {
        bin()
            .current_dir(root)
            .env_clear()
            .env("GITHUB_WORKSPACE", root)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("INPUT_PATH", "app")
            .env("INPUT_SARIF-FILE", "results/app.sarif")
            .env("INPUT_CATEGORY", "app")
            .env("INPUT_FAIL-ON", "error")
            .arg("action")
            .output()
            .unwrap()
    };
    let out = run_action();
    // The results folder does not exist: that is the user's to create, and a clear error
    // before any scan, with the outputs set and the summary saying what to fix.
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "input `sarif-file`: `results/app.sarif`: the folder `results` does not exist"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing was scanned");
    let outputs = std::fs::read_to_string(&output).unwrap();
    assert!(
        outputs.contains("findings=\n") && outputs.ends_with("result=error\n"),
        "{outputs}"
    );
    let summary_text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary_text.starts_with("### ⚠️ Portcullis did not run: usage error")
            && summary_text.contains("the folder \\`results\\` does not exist"),
        "{summary_text}"
    );
    std::fs::remove_file(&output).unwrap();
    std::fs::remove_file(&summary).unwrap();

    std::fs::create_dir(root.join("results")).unwrap();
    let out = run_action();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("::error file=app/Dockerfile,line=2,"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("other/Dockerfile"),
        "only the input path is scanned"
    );

    let sarif_text = std::fs::read_to_string(root.join("results/app.sarif")).unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&sarif_text).unwrap();
    assert_eq!(sarif["runs"][0]["automationDetails"]["id"], "app/");
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());

    let outputs = std::fs::read_to_string(&output).unwrap();
    let value = |name: &str| {
        outputs
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no output {name} in {outputs}"))
            .to_string()
    };
    assert_eq!(value("sarif-file"), "results/app.sarif");
    assert_eq!(value("result"), "failed");
    // Notes are counted and in the SARIF, but not annotated (`min-level` defaults to warning).
    assert!(value("notes").parse::<usize>().unwrap() > 0, "{outputs}");
    assert!(!stdout.contains("::notice "), "{stdout}");
    let count = |name: &str| value(name).parse::<usize>().unwrap();
    assert_eq!(count("errors"), 1);
    assert_eq!(
        count("findings"),
        count("errors") + count("warnings") + count("notes")
    );
    assert_eq!(
        count("findings"),
        sarif["runs"][0]["results"].as_array().unwrap().len()
    );

    let summary_text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary_text
            .starts_with("### ❌ Portcullis failed: 1 finding at or above `error`\n\n**1 error, "),
        "{summary_text}"
    );

    for (what, text) in [
        ("annotations", stdout.as_str()),
        ("SARIF", sarif_text.as_str()),
        ("outputs", outputs.as_str()),
        ("summary", summary_text.as_str()),
    ] {
        assert!(
            !text.contains("PortcullisFixtureTokenGhp"),
            "{what} shows the token"
        );
    }
}

#[test]
fn action_rejects_bad_inputs_with_status_two() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env_clear()
        .env("INPUT_FAIL-ON", "critical")
        .arg("action")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("fail-on"));
}

/// The names under a top-level key of `action.yml` (`inputs:` or `outputs:`).
fn declared(action: &str, section: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in action.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            inside = line == format!("{section}:");
        } else if inside
            && let Some(name) = line.strip_prefix("  ")
            && !name.starts_with(' ')
            && let Some(name) = name.strip_suffix(':')
        {
            names.push(name.to_string());
        }
    }
    names
}

#[test]
fn action_yml_declares_exactly_what_the_entry_point_handles() {
    let action =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    assert_eq!(declared(&action, "inputs"), portcullis::action::INPUTS);
    assert_eq!(declared(&action, "outputs"), portcullis::action::OUTPUTS);
    assert!(action.contains("using: docker"));
}

#[tokio::test]
async fn action_uploads_the_sarif_when_asked() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/code-scanning/sarifs"))
        .and(header(
            "authorization",
            "Bearer ghs_PortcullisActionToken0001",
        ))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({"id": "7"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/code-scanning/sarifs/7"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"processing_status": "complete"})),
        )
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", "FROM nginx:1.27\nUSER 101\n");
    let mut cmd = bin();
    cmd.current_dir(dir.path())
        .env_clear()
        .env("INPUT_UPLOAD", "true")
        .env("INPUT_TOKEN", "ghs_PortcullisActionToken0001")
        .env("INPUT_FAIL-ON", "never")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_REF", "refs/pull/3/merge")
        .env("GITHUB_API_URL", server.uri())
        .arg("action");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("processed"), "{stderr}");
    assert!(!stderr.contains("PortcullisActionToken"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("PortcullisActionToken"));
    let requests = server.received_requests().await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["ref"], "refs/pull/3/merge");
}

/// Serve `text` as `path` at commit `sha` from the contents API, as GitHub does.
async fn mount_base_file(server: &wiremock::MockServer, path: &str, sha: &str, text: &str) {
    use base64::Engine;
    use wiremock::matchers::{method, query_param};
    use wiremock::{Mock, ResponseTemplate};
    Mock::given(method("GET"))
        .and(wiremock::matchers::path(format!(
            "/repos/acme/app/contents/{path}"
        )))
        .and(query_param("ref", sha))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "type": "file",
            "encoding": "base64",
            "content": base64::engine::general_purpose::STANDARD.encode(text),
        })))
        .expect(1..)
        .mount(server)
        .await;
}

#[tokio::test]
async fn only_new_reports_the_lines_a_pull_request_changes() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/pulls/3/files"))
        .and(query_param("page", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([
            {"filename": "Dockerfile", "status": "modified",
             "patch": "@@ -1,2 +1,3 @@\n FROM nginx\n USER 101\n+FROM alpine:latest"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let base = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/pulls/3"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"number": 3, "base": {"sha": base}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_base_file(&server, "Dockerfile", base, "FROM nginx\nUSER 101\n").await;

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM nginx\nUSER 101\nFROM alpine:latest\n",
    );
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  web:\n    image: nginx\n",
    );
    let run = |only_new: &str| {
        let mut cmd = bin();
        cmd.current_dir(dir.path())
            .env_clear()
            .env("INPUT_ONLY-NEW", only_new)
            .env("INPUT_TOKEN", "ghs_PortcullisActionToken0002")
            .env("INPUT_FAIL-ON", "never")
            .env("GITHUB_REPOSITORY", "acme/app")
            .env("GITHUB_REF", "refs/pull/3/merge")
            .env("GITHUB_API_URL", server.uri())
            .arg("action");
        cmd
    };
    let mut all = run("false");
    let all = tokio::task::spawn_blocking(move || all.output().unwrap())
        .await
        .unwrap();
    let mut new = run("true");
    let new = tokio::task::spawn_blocking(move || new.output().unwrap())
        .await
        .unwrap();
    assert_eq!(
        new.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    let all = String::from_utf8(all.stdout).unwrap();
    let new = String::from_utf8(new.stdout).unwrap();
    assert!(all.contains("file=Dockerfile,line=1,") && all.contains("file=compose.yaml"));
    assert!(new.contains("file=Dockerfile,line=3,"), "{new}");
    assert!(
        !new.contains("line=1,") && !new.contains("compose.yaml"),
        "{new}"
    );
}

#[tokio::test]
async fn only_new_in_a_merge_queue_reports_the_lines_the_entry_changes() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let base = "1111111111111111111111111111111111111111";
    let head = "2222222222222222222222222222222222222222";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/app/compare/{base}...{head}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "status": "ahead",
            "files": [{"filename": "Dockerfile", "status": "modified",
                       "patch": "@@ -1,2 +1,3 @@\n FROM nginx\n USER 101\n+FROM alpine:latest"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_base_file(&server, "Dockerfile", base, "FROM nginx\nUSER 101\n").await;

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM nginx\nUSER 101\nFROM alpine:latest\n",
    );
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        serde_json::json!({"merge_group": {"base_sha": base, "head_sha": head,
                                           "head_ref": "refs/heads/gh-readonly-queue/main/pr-3-x"}})
        .to_string(),
    )
    .unwrap();
    let mut cmd = bin();
    cmd.current_dir(dir.path())
        .env_clear()
        .env("INPUT_ONLY-NEW", "true")
        .env("INPUT_TOKEN", "ghs_PortcullisActionToken0003")
        .env("INPUT_FAIL-ON", "never")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_REF", "refs/heads/gh-readonly-queue/main/pr-3-x")
        .env("GITHUB_EVENT_NAME", "merge_group")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_API_URL", server.uri())
        .arg("action");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("file=Dockerfile,line=3,"), "{stdout}");
    assert!(!stdout.contains("line=1,"), "{stdout}");
}

#[tokio::test]
async fn only_new_reports_what_a_deleted_line_allows_and_fails_closed() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let base = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/pulls/4"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"base": {"sha": base}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/pulls/4/files"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([
            {"filename": "Dockerfile", "status": "modified"},
            {"filename": "deploy/compose.yaml", "status": "renamed", "previous_filename": "compose.yaml"}
        ])))
        .mount(&server)
        .await;
    mount_base_file(&server, "Dockerfile", base, "FROM alpine:3.20\nUSER 101\n").await;
    mount_base_file(
        &server,
        "compose.yaml",
        base,
        "services:\n  web:\n    image: nginx:1.27\n",
    )
    .await;

    let dir = tempfile::tempdir().unwrap();
    // The pull request deletes `USER 101` and moves the compose file.
    write(dir.path(), "Dockerfile", "FROM alpine:3.20\n");
    write(
        dir.path(),
        "deploy/compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n",
    );
    let run = |number: &str| {
        let mut cmd = bin();
        cmd.current_dir(dir.path())
            .env_clear()
            .env("INPUT_ONLY-NEW", "true")
            .env("INPUT_TOKEN", "ghs_PortcullisActionToken0004")
            .env("INPUT_FAIL-ON", "warning")
            .env("GITHUB_REPOSITORY", "acme/app")
            .env("GITHUB_REF", format!("refs/pull/{number}/merge"))
            .env("GITHUB_API_URL", server.uri())
            .arg("action");
        cmd
    };
    let mut cmd = run("4");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("portcullis root-user"), "{stdout}");
    // The Dockerfile's other findings were there before.
    assert_eq!(stdout.matches("file=Dockerfile,").count(), 1, "{stdout}");
    assert!(stdout.contains("file=deploy/compose.yaml"), "{stdout}");

    // Pull request 5 is unknown to GitHub: every finding is reported.
    let mut cmd = run("5");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("reporting every finding"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
}

fn project_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// What the Marketplace requires of `action.yml`, and what users need of it.
#[test]
fn action_yml_is_valid_for_the_marketplace() {
    use portcullis::parse::yaml;
    let text = project_file("action.yml");
    let action = yaml::parse(&text).unwrap().unwrap();
    let name = action.get("name").and_then(|n| n.as_str()).unwrap();
    assert!(!name.is_empty() && name.len() <= 100);
    let description = action.get("description").and_then(|d| d.as_str()).unwrap();
    // The Marketplace refuses 125 characters or more.
    assert!(
        !description.is_empty() && description.chars().count() < 125,
        "{} characters",
        description.chars().count()
    );
    assert!(action.get("author").and_then(|a| a.as_str()).is_some());
    let branding = action.get("branding").unwrap();
    let color = branding.get("color").and_then(|c| c.as_str()).unwrap();
    assert!(
        [
            "white",
            "black",
            "yellow",
            "blue",
            "green",
            "orange",
            "red",
            "purple",
            "gray-dark"
        ]
        .contains(&color),
        "{color}"
    );
    assert!(branding.get("icon").and_then(|i| i.as_str()).is_some());
    for section in ["inputs", "outputs"] {
        for entry in action.get(section).and_then(|s| s.as_map()).unwrap() {
            let key = entry.key_str().unwrap();
            let described = entry
                .value
                .get("description")
                .and_then(|d| d.as_str())
                .is_some_and(|d| !d.trim().is_empty());
            assert!(described, "{section}.{key} has no description");
        }
    }
    let runs = action.get("runs").unwrap();
    assert_eq!(runs.get("using").and_then(|u| u.as_str()), Some("docker"));
    // The development branch builds the Dockerfile; the release workflow replaces it with the
    // pushed image by digest.
    assert_eq!(
        runs.get("image").and_then(|i| i.as_str()),
        Some("Dockerfile")
    );
    let release = project_file(".github/workflows/release.yml");
    assert!(
        release.contains(r#"s|^  image: .*|  image: docker://$IMAGE@$DIGEST|"#),
        "the release pins the image by digest"
    );
}

/// The checks an Actions linter makes that Portcullis' own scan does not: every workflow of
/// the project is a mapping with triggers and jobs, every job runs somewhere and every step
/// either runs a command or uses an action pinned to a commit.
#[test]
fn the_project_workflows_are_well_formed() {
    use portcullis::parse::yaml;
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/workflows");
    let mut names: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert!(names.contains(&"image.yml".to_string()), "{names:?}");
    for name in names {
        let text = std::fs::read_to_string(folder.join(&name)).unwrap();
        let workflow = yaml::parse(&text).unwrap().unwrap();
        assert!(workflow.get("on").is_some(), "{name}: no triggers");
        assert!(
            workflow.get("permissions").is_some(),
            "{name}: no permissions"
        );
        let jobs = workflow.get("jobs").and_then(|j| j.as_map()).unwrap();
        assert!(!jobs.is_empty(), "{name}");
        for job in jobs {
            let id = job.key_str().unwrap();
            assert!(
                job.value.get("runs-on").is_some(),
                "{name}: {id} has no runs-on"
            );
            for step in job.value.get("steps").and_then(|s| s.as_seq()).unwrap() {
                let uses = step.get("uses").and_then(|u| u.as_str());
                let run = step.get("run").and_then(|r| r.as_str());
                assert!(
                    uses.is_some() != run.is_some(),
                    "{name}: {id}: a step needs `uses` or `run`"
                );
                if let Some(uses) = uses.filter(|u| !u.starts_with("./")) {
                    let sha = uses.rsplit_once('@').map_or("", |(_, r)| r);
                    assert!(
                        sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{name}: {id}: {uses} is not pinned"
                    );
                }
            }
        }
    }
}

/// Under `only-new`, the gate (annotations, summary, exit status) sees the findings the change
/// brings, while the uploaded SARIF holds every finding, each marked `new` or `unchanged`:
/// code scanning would otherwise close the alerts of the findings left out. A `push` compares
/// with the commit before it.
#[tokio::test]
async fn only_new_gates_on_new_findings_and_uploads_every_finding() {
    use base64::Engine;
    use std::io::Read;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let before = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let after = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/app/compare/{before}...{after}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "files": [{"filename": "Dockerfile", "status": "modified"}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let old = "FROM nginx:1.27\nUSER 101\nRUN curl -k https://example.com/\n";
    mount_base_file(&server, "Dockerfile", before, old).await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/app/code-scanning/sarifs"))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({"id": "9"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/app/code-scanning/sarifs/9"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"processing_status": "complete"})),
        )
        .mount(&server)
        .await;

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        &format!("{old}FROM alpine:latest\n"),
    );
    write(
        dir.path(),
        "event.json",
        &serde_json::json!({"before": before, "after": after}).to_string(),
    );
    let files = tempfile::tempdir().unwrap();
    let summary = files.path().join("summary");
    let mut cmd = bin();
    cmd.current_dir(dir.path())
        .env_clear()
        .env("GITHUB_WORKSPACE", dir.path())
        .env("GITHUB_EVENT_NAME", "push")
        .env("GITHUB_EVENT_PATH", dir.path().join("event.json"))
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("INPUT_ONLY-NEW", "true")
        // The commits of this push are not what this test is about.
        .env("INPUT_HISTORY", "false")
        .env("INPUT_UPLOAD", "true")
        .env("INPUT_TOKEN", "ghs_PortcullisActionToken0003")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_SHA", after)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_API_URL", server.uri())
        .arg("action");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The error on line 3 was there before: the push does not fail on it.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("file=Dockerfile,line=4,"), "{stdout}");
    assert!(!stdout.contains("line=3,"), "{stdout}");

    let requests = server.received_requests().await.unwrap();
    let upload = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&upload.body).unwrap();
    let gzipped = base64::engine::general_purpose::STANDARD
        .decode(body["sarif"].as_str().unwrap())
        .unwrap();
    let mut sarif = String::new();
    flate2::read::GzDecoder::new(&gzipped[..])
        .read_to_string(&mut sarif)
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let states: Vec<(String, u64, String)> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
                r["baselineState"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        states.contains(&("tls-verification-disabled".into(), 3, "unchanged".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("latest-tag".into(), 4, "new".into())),
        "{states:?}"
    );

    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.starts_with("### ✅ Portcullis passed: no new finding at or above `error`"),
        "{summary}"
    );
    assert!(summary.contains("new in this change"), "{summary}");
    assert!(
        summary.contains(
            "[code scanning](https://github.com/acme/app/security/code-scanning?query=is%3Aopen%20ref%3Arefs%2Fheads%2Fmain)"
        ),
        "{summary}"
    );
}

/// The image builds from the files the Dockerfile copies: every folder the source compiles in
/// (`include_str!`) is in the build context and copied.
#[test]
fn the_image_context_holds_every_compiled_in_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = project_file("Dockerfile");
    let dockerignore = project_file(".dockerignore");
    let mut pending = vec![root.join("src")];
    let mut folders = std::collections::BTreeSet::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for (at, _) in text.match_indices("include_str!(\"") {
                let rest = &text[at + "include_str!(\"".len()..];
                let included = &rest[..rest.find('"').unwrap()];
                let file = std::fs::canonicalize(path.parent().unwrap().join(included)).unwrap();
                let top = file
                    .strip_prefix(root)
                    .unwrap()
                    .components()
                    .next()
                    .unwrap();
                folders.insert(top.as_os_str().to_string_lossy().to_string());
            }
        }
    }
    assert!(folders.contains("data"), "{folders:?}");
    for folder in folders {
        assert!(
            dockerignore
                .lines()
                .any(|l| l.trim() == format!("!{folder}/")),
            "{folder}/ is not in the image's build context (.dockerignore)"
        );
        assert!(
            dockerfile.contains(&format!("COPY {folder} ./{folder}")),
            "the Dockerfile does not copy {folder}/"
        );
    }
}
