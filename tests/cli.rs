//! End to end: the binary on small repositories, every output format, exit codes, SARIF
//! validity, and secrets never printed.

mod common;

use std::path::Path;
use std::process::Output;

use common::{bin, write};

const TOKEN: &str = "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";
const AWS_KEY: &str = "AKIAPORTCULLISFIXTUR";

/// A small repository with one finding of each level and two secrets.
fn sample_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "Dockerfile",
        "FROM nginx\nENV GITHUB_TOKEN=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\nUSER 101\nHEALTHCHECK CMD curl -f http://localhost/\n",
    );
    write(
        root,
        "deploy/compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n    environment:\n      AWS_ACCESS_KEY_ID: AKIAPORTCULLISFIXTUR\n    user: \"101\"\n    read_only: true\n    cap_drop: [ALL]\n    security_opt: [\"no-new-privileges:true\"]\n    mem_limit: 256m\n    cpus: \"0.5\"\n    pids_limit: 100\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n",
    );
    write(
        root,
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    permissions: {contents: read}\n    steps:\n      - uses: actions/checkout@v4\n        with: {persist-credentials: false}\n",
    );
    write(root, "README.md", "not scanned\n");
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn assert_no_secret(text: &str, what: &str) {
    assert!(!text.contains(TOKEN), "{what} shows the GitHub token");
    assert!(
        !text.contains("PortcullisFixtureTokenGhp"),
        "{what} shows part of the GitHub token"
    );
    assert!(!text.contains(AWS_KEY), "{what} shows the AWS key");
    assert!(
        !text.contains("PORTCULLISFIXTUR"),
        "{what} shows part of the AWS key"
    );
}

#[test]
fn human_output_and_exit_codes() {
    let repo = sample_repo();
    let out = run(repo.path(), &["scan"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error[privileged]: Service `web` runs privileged"),
        "{text}"
    );
    assert!(text.contains(" --> deploy/compose.yaml:4:5"), "{text}");
    assert!(text.contains("warning[latest-tag]"), "{text}");
    assert!(text.contains("^^^^^"), "{text}");
    assert!(text.contains("= help:"), "{text}");
    assert!(
        text.contains("Found 6 findings: 3 errors, 2 warnings, 1 note (3 files scanned, --verbose shows notes in full)."),
        "{text}"
    );
    // A note is one line; `--verbose` shows it in full.
    let note = text.lines().find(|l| l.starts_with("note[")).unwrap();
    let after = text.split(note).nth(1).unwrap();
    assert!(
        !after.starts_with("\n --> ") && !after.starts_with("\n  |"),
        "{text}"
    );
    assert!(
        note.contains(": Dockerfile:") || note.contains(": deploy/"),
        "{note}"
    );
    let verbose = stdout(&run(repo.path(), &["scan", "--verbose"]));
    assert!(
        verbose.contains("Found 6 findings: 3 errors, 2 warnings, 1 note (3 files scanned)."),
        "{verbose}"
    );
    assert!(verbose.len() > text.len());
    // `--min-level` hides what is below it from the output, not from the exit status.
    let out = run(
        repo.path(),
        &["scan", "--min-level", "error", "--fail-on", "note"],
    );
    let shown = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !shown.contains("warning[") && !shown.contains("note["),
        "{shown}"
    );
    assert!(shown.contains("3 below --min-level not shown"), "{shown}");
    let sarif = run(
        repo.path(),
        &["scan", "--min-level", "error", "--format", "sarif"],
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&sarif)).unwrap();
    assert_eq!(
        doc["runs"][0]["results"].as_array().unwrap().len(),
        6,
        "SARIF keeps everything"
    );
    assert!(text.contains("ghp_…[redacted]"), "{text}");
    assert!(!text.contains("\x1b["), "no colour when not a terminal");
    assert_no_secret(&text, "human output");
    assert_no_secret(&String::from_utf8_lossy(&out.stderr), "stderr");

    // Explicit paths, --quiet, and fail-on thresholds.
    let out = run(
        repo.path(),
        &["scan", "Dockerfile", "--quiet", "--fail-on", "never"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(!stdout(&out).contains("Found"));
    let out = run(repo.path(), &["scan", ".github", "--fail-on", "warning"]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(repo.path(), &["scan", ".github"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a warning does not fail the default threshold"
    );
    assert!(stdout(&out).contains(".github/workflows/ci.yml:7:32"));
}

#[test]
fn clean_repository_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d\nUSER 10001\nHEALTHCHECK CMD [\"/app\", \"health\"]\n",
    );
    let out = run(dir.path(), &["scan", "--fail-on", "note"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("No findings (1 file scanned)."));
}

#[test]
fn sarif_is_valid_and_complete() {
    let repo = sample_repo();
    let out = run(
        repo.path(),
        &["scan", "--format", "sarif", "--category", "containers"],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert_no_secret(&text, "SARIF");
    let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();

    let errors = common::sarif_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator does reject what is wrong.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        serde_json::json!(0);
    broken["version"] = serde_json::json!("2.0");
    assert!(common::sarif_errors(&broken).len() >= 2);

    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "Portcullis");
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let rules = driver["rules"].as_array().unwrap();
    // Every rule but the online ones, which run only with `--online`.
    assert_eq!(
        rules.len(),
        portcullis::rules::ALL.iter().filter(|r| !r.online).count()
    );
    for rule in rules {
        for key in ["shortDescription", "fullDescription"] {
            let text = rule[key]["text"].as_str().unwrap();
            assert!(
                !text.is_empty() && text.chars().count() <= 1024,
                "{key} of {}",
                rule["id"]
            );
        }
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("## What it does")
        );
        assert!(rule["defaultConfiguration"]["level"].is_string());
        assert!(rule["properties"]["tags"].as_array().unwrap().len() <= 10);
        let security = rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "security");
        if security {
            let score: f64 = rule["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(score > 0.0 && score <= 10.0);
        }
    }
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["automationDetails"]["id"], "containers/");
    assert!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("file:///")
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    for result in results {
        let id = result["ruleId"].as_str().unwrap();
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id, "ruleIndex points at the rule");
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.starts_with("./") && !uri.starts_with('/') && !uri.contains('\\'),
            "{uri}"
        );
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &location["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().unwrap() >= 1);
        }
        assert!(result["partialFingerprints"]["primaryLocationLineHash"].is_string());
        assert!(result["partialFingerprints"]["portcullis/v1"].is_string());
    }
    let privileged = results
        .iter()
        .find(|r| r["ruleId"] == "privileged")
        .unwrap();
    let region = &privileged["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (
            region["startLine"].as_u64(),
            region["startColumn"].as_u64(),
            region["endColumn"].as_u64()
        ),
        (Some(4), Some(5), Some(21))
    );
    assert_eq!(
        privileged["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/compose.yaml"
    );
}

#[test]
fn json_output_has_the_documented_shape() {
    let repo = sample_repo();
    let out = run(repo.path(), &["scan", "--format", "json"]);
    let text = stdout(&out);
    assert_no_secret(&text, "JSON");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["summary"]["findings"], 6);
    assert_eq!(doc["summary"]["errors"], 3);
    let first = &doc["findings"][0];
    for key in [
        "rule",
        "level",
        "path",
        "start",
        "end",
        "message",
        "help",
        "fingerprint",
        "related",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    assert_eq!(first["start"]["line"].as_u64().map(|l| l >= 1), Some(true));
}

#[test]
fn github_annotations_are_escaped_and_redacted() {
    let repo = sample_repo();
    let out = run(repo.path(), &["scan", "--format", "github"]);
    let text = stdout(&out);
    assert_no_secret(&text, "annotations");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6);
    let privileged = lines.iter().find(|l| l.contains("privileged")).unwrap();
    assert!(
        privileged.starts_with("::error file=deploy/compose.yaml,line=4,col=5,endLine=4,endColumn=21,title=portcullis privileged%3A container runs privileged::"),
        "{privileged}"
    );
    assert!(lines.iter().any(|l| l.starts_with("::notice ")));
    assert!(lines.iter().all(|l| !l.contains('\n')));
    assert!(
        privileged.contains("%0Ahelp%3A") || privileged.contains("%0Ahelp:"),
        "{privileged}"
    );
}

#[test]
fn output_file_and_baseline_round_trip() {
    let repo = sample_repo();
    let out = run(
        repo.path(),
        &[
            "scan",
            "--write-baseline",
            "baseline.json",
            "--output",
            "report.sarif",
            "--format",
            "sarif",
        ],
    );
    // Recording the findings accepts them: exit 0, and a line says where they went.
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("portcullis: 6 findings recorded as accepted in baseline.json"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let baseline = std::fs::read_to_string(repo.path().join("baseline.json")).unwrap();
    assert_no_secret(&baseline, "baseline");
    assert_no_secret(
        &std::fs::read_to_string(repo.path().join("report.sarif")).unwrap(),
        "SARIF file",
    );

    // Everything known: clean.
    let out = run(repo.path(), &["scan", "--baseline", "baseline.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("6 in the baseline"));

    // Lines moved, one new finding: only the new one is reported.
    write(
        repo.path(),
        "Dockerfile",
        "# a new comment shifts every line\n\nFROM nginx\nENV GITHUB_TOKEN=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\nUSER 101\nHEALTHCHECK CMD curl -f http://localhost/\nFROM nginx AS other\n",
    );
    let out = run(
        repo.path(),
        &["scan", "--baseline", "baseline.json", "--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    // The new final stage is untagged and runs as root without a health check.
    let new: Vec<_> = findings
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        new,
        [
            ("missing-healthcheck", 7),
            ("root-user", 7),
            ("latest-tag", 7)
        ],
        "{findings:#?}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "a new warning does not fail the default threshold"
    );
}

#[test]
fn config_is_discovered_and_applied() {
    let repo = sample_repo();
    write(
        repo.path(),
        "portcullis.toml",
        "fail-on = \"never\"\nexclude = [\"deploy\"]\n\n[rules.latest-tag]\nlevel = \"error\"\n\n[rules.hardcoded-secret]\nenabled = false\n",
    );
    let out = run(repo.path(), &["scan", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["unpinned-action", "latest-tag"]);
    assert_eq!(doc["findings"][1]["level"], "error");
    // The command line wins over the file.
    let out = run(repo.path(), &["scan", "--fail-on", "error"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn usage_and_config_errors_exit_two() {
    let repo = sample_repo();
    write(
        repo.path(),
        "bad.toml",
        "[rules.latest-tag]\nlevel = \"loud\"\n",
    );
    let out = run(repo.path(), &["scan", "--config", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:2:") && err.contains("rules.latest-tag.level"),
        "{err}"
    );

    assert_eq!(
        run(repo.path(), &["scan", "--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(repo.path(), &["scan", "no/such/dir"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(repo.path(), &["scan", "--config", "missing.toml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(repo.path(), &["explain", "no-such-rule"]).status.code(),
        Some(2)
    );
    assert_eq!(run(repo.path(), &["frobnicate"]).status.code(), Some(2));
    write(repo.path(), "baseline.json", "{not json");
    assert_eq!(
        run(repo.path(), &["scan", "--baseline", "baseline.json"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn rules_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["rules"]);
    assert_eq!(out.status.code(), Some(0));
    let table = stdout(&out);
    for rule in portcullis::rules::ALL {
        assert!(table.contains(rule.id));
    }
    let out = run(dir.path(), &["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        rules.as_array().unwrap().len(),
        portcullis::rules::ALL.len()
    );
    let out = run(dir.path(), &["explain", "unpinned-action"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("unpinned-action — "));
    assert!(text.contains("## Why is this bad?") && text.contains("## Options"));
    let out = run(
        dir.path(),
        &["rules", "--format", "md", "--output-dir", "docs"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(dir.path().join("docs/README.md").is_file());
    assert!(dir.path().join("docs/latest-tag.md").is_file());
}

#[test]
fn hostile_files_get_a_parse_error_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "good/Dockerfile", "FROM nginx\n");
    write(root, "broken/compose.yaml", "services: [\n");
    std::fs::write(root.join("binary.Dockerfile"), b"FROM x\0\x01\x02").unwrap();
    std::fs::write(
        root.join("latin1.Dockerfile"),
        b"FROM alpine\nLABEL a=\xe9\n",
    )
    .unwrap();
    write(root, "empty/Dockerfile", "");
    write(root, "empty/compose.yaml", "");
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    write(root, "bomb/docker-compose.yml", &bomb);
    write(
        root,
        "deep/compose.yml",
        &("a:\n".to_string() + &"[".repeat(5000) + &"]".repeat(5000)),
    );
    write(
        root,
        "crlf/compose.yaml",
        "\u{feff}services:\r\n  web:\r\n    image: nginx:latest\r\n",
    );
    std::fs::create_dir_all(root.join(".github/workflows/dir.yml")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root, root.join("loop")).unwrap();
        std::os::unix::fs::symlink("/etc", root.join("outside")).unwrap();
        let fifo = root.join("fifo.Dockerfile");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        unsafe extern "C" {
            fn mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
        }
        assert_eq!(unsafe { mkfifo(c.as_ptr(), 0o644) }, 0);
        use std::os::unix::fs::PermissionsExt;
        write(root, "locked/Dockerfile", "FROM nginx\n");
        let locked = root.join("locked/Dockerfile");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    // Expressions and shell that nest far deeper than any real file.
    let deep_expr = format!(
        "{}github.event.issue.title{}",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    let deep_shell = format!("{}curl x | sh{}", "$(".repeat(20_000), ")".repeat(20_000));
    write(
        root,
        "deep/.github/workflows/deep.yml",
        &format!(
            "on: issues\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo ${{{{ {deep_expr} }}}} {deep_shell}\n"
        ),
    );
    // 60 MB: over the default size limit, refused without being read.
    let huge = format!(
        "FROM alpine:3.20\n{}",
        "RUN echo filling-a-huge-dockerfile-line\n".repeat(1_500_000)
    );
    write(root, "huge/Dockerfile", &huge);
    write(root, "big/portcullis.toml", "max-file-size = 64\n");
    write(
        root,
        "big/Dockerfile",
        &format!("FROM alpine:3.20\n{}\n", "# padding ".repeat(20)),
    );

    let out = run(root, &["scan", "--format", "json", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let findings = doc["findings"].as_array().unwrap();
    let messages: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}:{} {}",
                f["rule"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["start"]["line"],
                f["start"]["column"],
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    let has = |needle: &str| messages.iter().any(|m| m.contains(needle));
    // NUL and undecodable bytes no longer hide a Dockerfile: it is checked whole.
    assert!(has("latest-tag binary.Dockerfile:1:6"), "{messages:#?}");
    assert!(has("latest-tag latin1.Dockerfile:1:6"), "{messages:#?}");
    assert!(!has("parse-error latin1.Dockerfile"), "{messages:#?}");
    let notes = doc["notifications"].to_string();
    assert!(
        notes.contains("latin1.Dockerfile:2: bytes that are not UTF-8"),
        "{notes}"
    );
    assert!(has("parse-error bomb/docker-compose.yml"), "{messages:#?}");
    assert!(has("parse-error deep/compose.yml"), "{messages:#?}");
    assert!(has("parse-error broken/compose.yaml"), "{messages:#?}");
    assert!(has("parse-error empty/Dockerfile"), "{messages:#?}");
    assert!(
        has("parse-error huge/Dockerfile:1:1 file is 57.2 MiB, over the 10.0 MiB size limit"),
        "{messages:#?}"
    );
    assert!(has("latest-tag good/Dockerfile:1:6"), "{messages:#?}");
    // An unreadable file is a parse error; root reads it anyway, and then it is scanned.
    #[cfg(unix)]
    {
        let readable = std::fs::read(root.join("locked/Dockerfile")).is_ok();
        if readable {
            assert!(has("latest-tag locked/Dockerfile:1:6"), "{messages:#?}");
        } else {
            assert!(
                has("parse-error locked/Dockerfile:1:1 cannot read"),
                "{messages:#?}"
            );
        }
    }
    // BOM and CRLF: positions are still those an editor shows.
    assert!(has("latest-tag crlf/compose.yaml:3:18"), "{messages:#?}");
    assert!(
        !messages
            .iter()
            .any(|m| m.contains("outside/") || m.contains("loop/")),
        "{messages:#?}"
    );
    #[cfg(unix)]
    assert!(
        has("parse-error fifo.Dockerfile:1:1 not a regular file"),
        "{messages:#?}"
    );

    // The size limit of a configuration at the root applies.
    let out = run(
        &root.join("big"),
        &["scan", "--format", "json", "--fail-on", "never"],
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        doc["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("size limit"),
        "{doc:#?}"
    );
}

#[test]
fn a_secret_quoted_by_a_parse_error_is_masked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        &format!("FROM alpine:3.20\n{TOKEN}\n"),
    );
    write(
        dir.path(),
        "compose.yaml",
        &format!("services: [\n  {TOKEN}\n"),
    );
    for format in ["human", "json", "sarif", "github"] {
        let out = run(dir.path(), &["scan", "--format", format]);
        let text = stdout(&out);
        assert!(
            text.contains("parse-error") || text.contains("ParseError") || format == "human",
            "{text}"
        );
        assert_no_secret(&text, format);
        assert_no_secret(&String::from_utf8_lossy(&out.stderr), "stderr");
    }
}

#[test]
fn secrets_scope_all_reads_every_text_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "docs/setup.md",
        &format!("Use this token: {TOKEN}\n"),
    );
    write(
        dir.path(),
        "package-lock.json",
        &format!("{{\"token\": \"{TOKEN}\"}}\n"),
    );
    write(
        dir.path(),
        "dist/app.min.js",
        &format!("var t=\"{TOKEN}\";\n"),
    );
    std::fs::write(dir.path().join("logo.png"), b"\x89PNG\r\n\x1a\n\0\0").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"caf\xe9 latin-1\n").unwrap();

    let out = run(dir.path(), &["scan", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        doc["summary"]["findings"], 0,
        "config scope reads no markdown"
    );

    let out = run(
        dir.path(),
        &["scan", "--format", "json", "--secrets-scope", "all"],
    );
    assert_no_secret(&stdout(&out), "JSON in all scope");
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        found,
        ["hardcoded-secret docs/setup.md"],
        "lock, minified, binary and non-UTF-8 files are skipped quietly"
    );

    write(dir.path(), "portcullis.toml", "secrets-scope = \"all\"\n");
    let out = run(dir.path(), &["scan", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["summary"]["findings"], 1);
    write(
        dir.path(),
        "portcullis.toml",
        "secrets-scope = \"everything\"\n",
    );
    assert_eq!(run(dir.path(), &["scan"]).status.code(), Some(2));
}

#[test]
fn config_secrets_are_never_shown_and_weak_defaults_are() {
    let dir = tempfile::tempdir().unwrap();
    // Not a value the rule docs (which SARIF embeds) use as an example.
    let literal = "Jq5-Wm8-Zt3x-Lp6v";
    write(
        dir.path(),
        "compose.yaml",
        &format!(
            "services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: {literal}\n      DATABASE_URL: postgres://app:{literal}@db/app\n      ADMIN_PASSWORD: Passw0rd\n"
        ),
    );
    write(
        dir.path(),
        "Dockerfile",
        &format!("FROM alpine:3.20\nRUN echo 'deploy:{literal}' | chpasswd\n"),
    );
    for format in ["human", "json", "sarif", "github"] {
        let out = run(
            dir.path(),
            &["scan", "--format", format, "--write-baseline", "b.json"],
        );
        let text = stdout(&out);
        assert!(
            text.contains("secret-in-config") || text.contains("SecretInConfig"),
            "{format}: {text}"
        );
        assert!(!text.contains(literal), "{format} shows the literal");
        // Weak defaults are public, not secret: shown as written, never masked.
        if format == "human" {
            assert!(text.contains("ADMIN_PASSWORD: Passw0rd"), "{text}");
        }
        assert!(!text.contains("Passw…[redacted]"), "{format}: {text}");
        let baseline = std::fs::read_to_string(dir.path().join("b.json")).unwrap();
        assert!(!baseline.contains(literal));
    }
}

#[test]
fn sarif_keeps_the_most_severe_results_within_githubs_limit() {
    let dir = tempfile::tempdir().unwrap();
    // 4,200 services with six findings each (warnings and notes), then a secret (an error)
    // last in the file.
    let mut text = String::from("services:\n");
    for i in 0..4_200 {
        text.push_str(&format!("  s{i}: {{image: nginx}}\n"));
    }
    text.push_str(&format!(
        "  last:\n    environment:\n      GITHUB_TOKEN: {TOKEN}\n"
    ));
    write(dir.path(), "compose.yaml", &text);
    let out = run(
        dir.path(),
        &["scan", "--format", "sarif", "--fail-on", "never"],
    );
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("results left out"), "{stderr}");
    assert_no_secret(&stdout(&out), "SARIF over the results limit");
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 25_000);
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "hardcoded-secret" && r["level"] == "error"),
        "the error is kept"
    );
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes.iter().any(|n| {
        n["message"]["text"]
            .as_str()
            .unwrap()
            .contains("results left out")
    }));
}

/// A reader that goes away (`portcullis rules --format json | head -1`) ends the command
/// quietly: no panic, no error message, the status it would have had.
#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let repo = sample_repo();
    for (args, status) in [
        (vec!["rules", "--format", "json"], 0),
        (vec!["rules", "--format", "md"], 0),
        (vec!["rules"], 0),
        (vec!["explain", "privileged"], 0),
        (vec!["scan", "--format", "json"], 1),
        (vec!["scan", "--format", "sarif"], 1),
        (vec!["scan", "--format", "github"], 1),
        (vec!["scan"], 1),
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        // No one will ever read: every write fails with a broken pipe.
        drop(reader);
        let out = bin()
            .current_dir(repo.path())
            .env_remove("GITHUB_ACTIONS")
            .args(&args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("error"),
            "{args:?}: {stderr}"
        );
    }
}

fn findings_of(dir: &Path, args: &[&str]) -> Vec<(String, String, u64)> {
    let out = bin()
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"]
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
        .collect()
}

/// Files named one by one (a pre-commit hook) are checked with the context a scan of their
/// folder gives them: the `.env` a compose file interpolates, the `.dockerignore` of a
/// Dockerfile's build context — when a folder scan would use them.
#[test]
fn files_named_alone_keep_the_context_of_their_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "svc/compose.yaml",
        "services:\n  web:\n    image: nginx:${TAG}\n",
    );
    write(root, "svc/.env", "TAG=latest\n");
    write(root, "svc/Dockerfile", "FROM alpine:3.20\nCOPY . /app\n");
    write(root, "svc/.dockerignore", "node_modules\n");
    write(root, "Dockerfile", "FROM alpine:3.20\nCOPY . /app\n");
    write(root, ".env", "API_TOKEN=x\n");
    let folder = findings_of(root, &["svc"]);
    let named = findings_of(root, &["svc/compose.yaml", "svc/Dockerfile"]);
    assert_eq!(folder, named);
    assert!(
        named.contains(&("latest-tag".into(), "svc/compose.yaml".into(), 3)),
        "{named:?}"
    );
    assert!(
        named
            .iter()
            .any(|f| f.0 == "build-context-leak" && f.1 == "svc/Dockerfile"),
        "{named:?}"
    );
    // A Dockerfile named by its bare name has its folder as its build context.
    let bare = findings_of(root, &["Dockerfile"]);
    assert!(
        bare.iter()
            .any(|f| f.0 == "build-context-leak" && f.1 == "Dockerfile"),
        "{bare:?}"
    );

    // In a git work tree an ignored, untracked `.env` is not used, as in a folder scan.
    common::git(root, &["init", "-q"]);
    write(root, ".gitignore", ".env\n");
    let folder = findings_of(root, &["svc"]);
    let named = findings_of(root, &["svc/compose.yaml", "svc/Dockerfile"]);
    assert_eq!(folder, named);
    assert!(!named.iter().any(|f| f.0 == "latest-tag"), "{named:?}");
}

/// `${{ … }}` in a workflow's container settings is a GitHub expression, not a compose
/// variable: nothing is "not checked" for it, and the rules still read the value.
#[test]
fn workflow_expressions_are_not_compose_variables() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    container:\n      image: node:22@sha256:0000000000000000000000000000000000000000000000000000000000000000\n      volumes:\n        - ${{ github.workspace }}:/w\n        - /var/run/docker.sock:/var/run/docker.sock\n    steps:\n      - run: echo hi\n",
    );
    let out = bin()
        .current_dir(dir.path())
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["notifications"], serde_json::json!([]), "{doc}");
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["docker-socket-mount"], "{doc}");
}

/// Related locations name their files the way findings do, wherever the command runs.
#[test]
fn related_locations_are_paths_like_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "svc/compose.yaml",
        "services:\n  app:\n    build: .\n    env_file: app.env\n",
    );
    write(root, "svc/Dockerfile", "FROM alpine:3.20\nRUN true\n");
    write(root, "svc/app.env", "A_TOKEN=Zx9fKq2LmP7wQ\n");
    let elsewhere = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(elsewhere.path())
        .args(["scan", "--format", "json"])
        .arg(root.join("svc"))
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut seen = 0;
    for f in doc["findings"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let folder = &path[..path.rfind('/').unwrap()];
        for r in f["related"].as_array().unwrap() {
            let related = r["path"].as_str().unwrap();
            assert!(related.starts_with(folder), "{related} beside {path}");
            seen += 1;
        }
    }
    assert!(seen > 0, "{doc}");
}
