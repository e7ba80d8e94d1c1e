//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use portcullis::config::Config;
use portcullis::{Report, ScanOptions, scan};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Scan `dir` as its own project: paths relative to it, its own `portcullis.toml` if any.
/// With a `github-api.json` beside the files, the scan is online against a fake GitHub that
/// serves it (see `FakeGithub`).
pub fn scan_dir(dir: &Path) -> Report {
    let config = match dir.join("portcullis.toml") {
        p if p.is_file() => Config::load(&p).expect("fixture config is valid"),
        _ => Config::default(),
    };
    let fake = FakeGithub::from_file(&dir.join("github-api.json"));
    let online = fake.as_ref().map(|f| {
        std::sync::Arc::new(
            portcullis::online::Online::new(
                &f.uri(),
                Some("fake-token"),
                Some(&f.uri()),
                portcullis::registry::Allowed::default(),
            )
            .unwrap(),
        )
    });
    scan(&ScanOptions {
        roots: vec![dir.to_path_buf()],
        config,
        cwd: dir.to_path_buf(),
        only: None,
        online,
        extra_rules: Vec::new(),
        gitignore: true,
    })
}

/// A local fake of the GitHub API for fixtures. `github-api.json` maps a path (no query) to
/// the answer: `{"status": 200, "body": …}`; any other path answers 404.
pub struct FakeGithub {
    // Kept alive while the server is used.
    _runtime: tokio::runtime::Runtime,
    server: wiremock::MockServer,
}

impl FakeGithub {
    pub fn from_file(path: &Path) -> Option<FakeGithub> {
        let text = std::fs::read_to_string(path).ok()?;
        let routes: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&text).expect("github-api.json is a JSON object");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(async {
            let server = wiremock::MockServer::start().await;
            for (route, answer) in routes {
                let status = answer["status"].as_u64().unwrap_or(200) as u16;
                wiremock::Mock::given(wiremock::matchers::method("GET"))
                    .and(wiremock::matchers::path(route.as_str()))
                    .respond_with(
                        wiremock::ResponseTemplate::new(status)
                            .set_body_json(answer["body"].clone()),
                    )
                    .mount(&server)
                    .await;
            }
            wiremock::Mock::given(wiremock::matchers::any())
                .respond_with(
                    wiremock::ResponseTemplate::new(404)
                        .set_body_json(serde_json::json!({"message": "Not Found"})),
                )
                .with_priority(u8::MAX)
                .mount(&server)
                .await;
            server
        });
        Some(FakeGithub {
            _runtime: runtime,
            server,
        })
    }

    pub fn uri(&self) -> String {
        self.server.uri()
    }
}

/// One line per finding: `path:line:col-line:col level message`.
pub fn render_findings(report: &Report, rule: Option<&str>) -> String {
    let mut out = String::new();
    for f in &report.findings {
        if rule.is_some_and(|r| r != f.rule.id) {
            continue;
        }
        out.push_str(&format!(
            "{}:{}:{}-{}:{} {} {}\n",
            f.location.path,
            f.location.start.line,
            f.location.start.column,
            f.location.end.line,
            f.location.end.column,
            f.level.as_str(),
            f.message
        ));
        if let Some(fix) = &f.fix {
            let edits: Vec<String> = fix
                .replacements
                .iter()
                .map(|r| {
                    format!(
                        "{}:{}-{}:{} {:?}",
                        r.start.line, r.start.column, r.end.line, r.end.column, r.text
                    )
                })
                .collect();
            out.push_str(&format!(
                "  fix: {}: {}\n",
                fix.description,
                edits.join("; ")
            ));
        }
    }
    out
}

/// Write `text` to `dir/rel`, creating folders.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
}

/// What is wrong with `sarif` by the SARIF 2.1.0 schema (empty when valid).
pub fn sarif_errors(sarif: &serde_json::Value) -> Vec<String> {
    let mut schema: serde_json::Value =
        serde_json::from_str(include_str!("../data/sarif-schema-2.1.0.json")).unwrap();
    // GitHub's copy of the schema has `anyOf` inside `region.properties`, where a draft 2020-12
    // validator reads it as a property named "anyOf"; it belongs one level up.
    let region = &mut schema["definitions"]["region"];
    if let Some(any_of) = region["properties"]
        .as_object_mut()
        .and_then(|p| p.remove("anyOf"))
    {
        region["anyOf"] = any_of;
    }
    let validator = jsonschema::validator_for(&schema).unwrap();
    validator
        .iter_errors(sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

/// Run git in `dir` with a fixed identity and no signing; the test fails if git does.
pub fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}
