//! The gate fails closed: no ignore file, link, byte, size, YAML layout, failing rule or
//! deletion lets a change through unchecked. Each test builds its own small repository and
//! runs the binary as a user (or an attacker) would.

mod common;

use std::path::Path;
use std::process::{Command, Output};

/// A GitHub token whose checksum verifies (made up for these tests).
const TOKEN: &str = "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";

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .current_dir(dir)
        .args(args)
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap()
}

/// `rule path:line` for every finding of a JSON scan, and the exit status.
fn findings(dir: &Path, extra: &[&str]) -> (Vec<String>, Option<i32>, serde_json::Value) {
    let mut args = vec!["scan", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(dir, &args);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let list = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["start"]["line"]
            )
        })
        .collect();
    (list, out.status.code(), doc)
}

fn has(list: &[String], needle: &str) -> bool {
    list.iter().any(|f| f == needle)
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .is_ok_and(|o| o.status.success())
}

const WORKFLOW: &str = "on: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    permissions: write-all\n    steps:\n      - run: echo hi\n";

/// Case 1: An ignore file added by a pull request does not hide tracked files; `.ignore` is not
/// read; untracked ignored files stay out.
#[test]
fn tracked_files_are_scanned_whatever_ignore_files_say() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    if !git(root, &["init", "-q"]) {
        return; // no git here: nothing to track
    }
    write(root, ".github/workflows/ci.yml", WORKFLOW);
    write(
        root,
        "Dockerfile",
        "FROM alpine:3.20\nRUN curl -k https://example.com/i.sh | sh\n",
    );
    write(
        root,
        "deploy/compose.yaml",
        "services:\n  a:\n    image: nginx:1.27\n    privileged: true\n",
    );
    assert!(git(root, &["add", "-A"]));
    assert!(git(root, &["commit", "-qm", "init"]));
    write(root, ".github/.gitignore", "*.yml\n");
    write(root, ".gitignore", "Dockerfile\ndeploy/\nscratch/\n");
    write(root, ".ignore", "*\n");
    // Untracked and ignored: still kept out.
    write(root, "scratch/Dockerfile", "FROM alpine\n");
    let (list, code, _) = findings(root, &[]);
    assert_eq!(code, Some(1), "{list:#?}");
    assert!(
        has(&list, "excessive-permissions .github/workflows/ci.yml:6"),
        "{list:#?}"
    );
    assert!(
        has(&list, "tls-verification-disabled Dockerfile:2"),
        "{list:#?}"
    );
    assert!(has(&list, "privileged deploy/compose.yaml:4"), "{list:#?}");
    assert!(!list.iter().any(|f| f.contains("scratch/")), "{list:#?}");
}

/// Case 2: Links: a link to a file inside the root is checked at the real file, once; a link that
/// leaves the root or dangles is a file that could not be checked.
#[cfg(unix)]
#[test]
fn links_inside_the_root_are_followed_and_others_fail_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "infra/build.conf",
        "FROM alpine:3.20\nRUN curl -k https://example.com/i.sh | sh\n",
    );
    write(
        root,
        "infra/stack.conf",
        "services:\n  a:\n    image: nginx:1.27\n    privileged: true\n",
    );
    std::os::unix::fs::symlink("infra/build.conf", root.join("Dockerfile")).unwrap();
    std::os::unix::fs::symlink("infra/stack.conf", root.join("compose.yaml")).unwrap();
    let (list, code, _) = findings(root, &[]);
    assert_eq!(code, Some(1));
    assert!(
        has(&list, "tls-verification-disabled infra/build.conf:2"),
        "{list:#?}"
    );
    assert!(has(&list, "privileged infra/stack.conf:4"), "{list:#?}");
    assert_eq!(
        list.iter().filter(|f| f.starts_with("privileged ")).count(),
        1,
        "{list:#?}"
    );

    write(outside.path(), "Dockerfile", "FROM alpine:3.20\n");
    let clean = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("Dockerfile"),
        clean.path().join("Dockerfile"),
    )
    .unwrap();
    std::os::unix::fs::symlink("missing.yml", clean.path().join("docker-compose.yml")).unwrap();
    let (list, code, _) = findings(clean.path(), &[]);
    assert_eq!(code, Some(1), "{list:#?}");
    assert!(has(&list, "parse-error Dockerfile:1"), "{list:#?}");
    assert!(has(&list, "parse-error docker-compose.yml:1"), "{list:#?}");
}

/// A link checked out as a file (git with `core.symlinks=false`) holds its target's path: it is
/// checked through the target, once, like the link it stands for.
#[test]
fn links_written_as_files_are_read_through_their_target() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "docker/Dockerfile",
        "FROM alpine:3.20\nRUN curl -k https://example.com | sh\n",
    );
    write(root, "Dockerfile", "docker/Dockerfile");
    write(root, "other/Dockerfile", "../missing/Dockerfile");
    let (list, _, _) = findings(root, &[]);
    assert_eq!(
        list.iter()
            .filter(|f| f.starts_with("tls-verification-disabled"))
            .collect::<Vec<_>>(),
        ["tls-verification-disabled docker/Dockerfile:2"],
        "{list:#?}"
    );
    assert!(
        !list.iter().any(|f| f.ends_with(" Dockerfile:1")),
        "{list:#?}"
    );
    // A path to nothing is still a Dockerfile that cannot be built.
    assert!(has(&list, "parse-error other/Dockerfile:1"), "{list:#?}");
}

/// Case 3: An undecodable byte or a NUL does not drop the file, and a file past the size limit is
/// still scanned for secrets, in bounded chunks, at its real lines.
#[test]
fn bad_bytes_and_size_keep_every_rule_that_can_run() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut text = b"FROM alpine:3.20\n# caf\xe9 \x00 notes\n".to_vec();
    text.extend_from_slice(b"RUN curl -k https://example.com/i.sh | sh\n");
    text.extend_from_slice(format!("ENV GH_TOKEN={TOKEN}\n").as_bytes());
    write(root, "Dockerfile", &text);
    let (list, code, doc) = findings(root, &[]);
    assert_eq!(code, Some(1));
    assert!(
        has(&list, "tls-verification-disabled Dockerfile:3"),
        "{list:#?}"
    );
    assert!(has(&list, "hardcoded-secret Dockerfile:4"), "{list:#?}");
    assert!(
        !list.iter().any(|f| f.starts_with("parse-error")),
        "{list:#?}"
    );
    assert!(!doc.to_string().contains(TOKEN));

    // 12 MiB with a token near the end and one across the first chunk boundary region.
    let big = tempfile::tempdir().unwrap();
    let mut text = String::from("FROM alpine:3.20\n");
    let filler = "RUN echo filling-a-large-dockerfile-with-harmless-lines\n";
    let lines = 12 * 1024 * 1024 / filler.len();
    for i in 0..lines {
        if i == lines - 5 {
            text.push_str(&format!("ENV GH_TOKEN={TOKEN}\n"));
        }
        text.push_str(filler);
    }
    write(big.path(), "Dockerfile", &text);
    let (list, code, doc) = findings(big.path(), &[]);
    assert_eq!(code, Some(1));
    let token_line = lines - 5 + 2;
    assert!(
        has(&list, &format!("hardcoded-secret Dockerfile:{token_line}")),
        "{list:#?}"
    );
    assert!(has(&list, "parse-error Dockerfile:1"), "{list:#?}");
    assert!(doc.to_string().contains("only the secret scan ran"));
    assert_eq!(list.len(), 2, "{list:#?}");
}

/// Case 4 and 5: YAML that Compose accepts is read: a long anchored list used hundreds of times,
/// and flow collections closed at the key's indentation.
#[test]
fn yaml_that_compose_accepts_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let items: Vec<String> = (0..1000).map(|i| format!("v{i}")).collect();
    let mut text = format!(
        "x-list: &l [{}]\nservices:\n  a:\n    image: nginx:1.27\n    privileged: true\n",
        items.join(",")
    );
    text.push_str("x-uses:\n");
    for i in 0..260 {
        text.push_str(&format!("  u{i}: *l\n"));
    }
    write(root, "a/compose.yaml", &text);
    write(
        root,
        "b/compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    command: [\n      \"npm\", \"start\"\n    ]\n    environment: {\n    A: b\n    }\n    privileged: true\n",
    );
    let (list, code, _) = findings(root, &[]);
    assert_eq!(code, Some(1));
    assert!(has(&list, "privileged a/compose.yaml:5"), "{list:#?}");
    assert!(has(&list, "privileged b/compose.yaml:10"), "{list:#?}");
    assert!(
        !list.iter().any(|f| f.starts_with("parse-error")),
        "{list:#?}"
    );
}

/// Case 6: Inputs that made rules panic are checked, and their text never reaches stderr.
#[test]
fn inputs_that_crashed_rules_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "a/Dockerfile",
        format!("FROM alpine:3.20\nRUN npm install éclair || true\nENV T={TOKEN}\n"),
    );
    write(
        root,
        "b/Dockerfile",
        "WORKDIR ${X}\nFROM alpine:3.20\nRUN curl -k https://example.com | sh\n",
    );
    let out = run(root, &["scan", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains(TOKEN),
        "{stderr}"
    );
    let (list, code, _) = findings(root, &[]);
    assert_eq!(code, Some(1));
    assert!(has(&list, "unpinned-package a/Dockerfile:2"), "{list:#?}");
    assert!(has(&list, "hardcoded-secret a/Dockerfile:3"), "{list:#?}");
    assert!(
        has(&list, "tls-verification-disabled b/Dockerfile:3"),
        "{list:#?}"
    );
}

/// A rule that fails is contained: the file's other findings stay, and the failure is an
/// error finding naming the rule, quoting nothing of the file.
#[test]
fn a_failing_rule_is_contained_and_loud() {
    use portcullis::parse::Document;
    use portcullis::rules::{Context, Rule};
    fn explode(_: &Document, cx: &mut Context) {
        let text = &cx.file.text;
        panic!("cannot handle {text}");
    }
    static EXPLODING: Rule = Rule {
        descriptor: portcullis::descriptor::RuleDescriptor {
            id: "exploding-rule",
            summary: "test rule that always fails",
            docs: "",
            level: portcullis::Level::Warning,
            kinds: &[portcullis::source::FileKind::Dockerfile],
            tags: &[],
            security_severity: None,
            options: &[],
            online: false,
            source: file!(),
        },
        check: Some(explode),
    };
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        format!("FROM alpine:3.20\nENV T={TOKEN}\nRUN curl -k https://example.com | sh\n"),
    );
    let report = portcullis::scan(&portcullis::ScanOptions {
        roots: vec![dir.path().to_path_buf()],
        config: portcullis::config::Config::default(),
        cwd: dir.path().to_path_buf(),
        only: None,
        online: None,
        extra_rules: vec![&EXPLODING],
        gitignore: true,
    });
    let failure = report
        .findings
        .iter()
        .find(|f| f.rule.id == "parse-error")
        .expect("the failure is reported");
    assert_eq!(failure.level, portcullis::Level::Error);
    assert!(
        failure.message.contains("exploding-rule"),
        "{}",
        failure.message
    );
    assert!(!failure.message.contains("ENV"), "{}", failure.message);
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.id).collect();
    assert!(rules.contains(&"hardcoded-secret"), "{rules:?}");
    assert!(rules.contains(&"tls-verification-disabled"), "{rules:?}");
}

/// Case 7: `--new-since`: a deleted protective line makes the finding it allowed new; an old
/// finding whose line moved stays old.
#[test]
fn new_since_reports_what_a_deletion_allows() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    if !git(root, &["init", "-q", "-b", "main"]) {
        return;
    }
    write(
        root,
        "Dockerfile",
        "FROM alpine:3.20\nRUN curl -k https://example.com/i.sh | sh\nUSER app\n",
    );
    write(
        root,
        ".github/workflows/ci.yml",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n        with:\n          persist-credentials: false\n",
    );
    assert!(git(root, &["add", "-A"]));
    assert!(git(root, &["commit", "-qm", "base"]));
    assert!(git(root, &["checkout", "-qb", "change"]));
    // The old finding moves down a line; USER and persist-credentials are deleted.
    write(
        root,
        "Dockerfile",
        "FROM alpine:3.20\n# a comment\nRUN curl -k https://example.com/i.sh | sh\n",
    );
    write(
        root,
        ".github/workflows/ci.yml",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n",
    );
    assert!(git(root, &["commit", "-qam", "change"]));
    let (list, code, _) = findings(root, &["--new-since", "main", "--fail-on", "warning"]);
    assert_eq!(code, Some(1), "{list:#?}");
    assert!(has(&list, "root-user Dockerfile:1"), "{list:#?}");
    assert!(
        has(&list, "persisted-credentials .github/workflows/ci.yml:7"),
        "{list:#?}"
    );
    assert!(
        !list
            .iter()
            .any(|f| f.starts_with("tls-verification-disabled")),
        "{list:#?}"
    );
    // No change, nothing new.
    let (list, code, _) = findings(root, &["--new-since", "HEAD"]);
    assert_eq!((list.len(), code), (0, Some(0)), "{list:#?}");
}

/// Case 8: A file that could not be checked fails the gate at the default threshold; templates are
/// listed as not checked instead.
#[test]
fn unchecked_files_fail_the_gate_and_templates_are_noted() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "compose.yaml", "services:\n  web: [\n");
    let out = run(dir.path(), &["scan"]);
    assert_eq!(out.status.code(), Some(1));

    let templates = tempfile::tempdir().unwrap();
    write(
        templates.path(),
        "Dockerfile.template",
        "FROM {{ base_image }}\n{% if dev %}\nRUN echo dev\n{% endif %}\n",
    );
    write(
        templates.path(),
        "docker-compose.yml",
        "services:\n{% for s in services %}\n  {{ s }}:\n    image: x\n{% endfor %}\n",
    );
    let (list, code, doc) = findings(templates.path(), &[]);
    assert_eq!((code, list.len()), (Some(0), 0), "{list:#?}");
    let notes = doc["notifications"].to_string();
    assert!(notes.contains("docker-compose.yml: a template"), "{notes}");

    // Template markers inside a valid file do not switch its checks off.
    let valid = tempfile::tempdir().unwrap();
    write(
        valid.path(),
        "compose.yaml",
        "services:\n  web:\n    image: nginx:1.27\n    command: |\n      {{ not a template }}\n    privileged: true\n",
    );
    write(
        valid.path(),
        "Dockerfile",
        "FROM alpine:3.20\nRUN echo \\\n{{ x }}\nRUN <<EOF\nFROM {{ y }}\nEOF\nRUN curl -k https://example.com | sh\n",
    );
    let (list, code, _) = findings(valid.path(), &[]);
    assert_eq!(code, Some(1), "{list:#?}");
    assert!(has(&list, "privileged compose.yaml:6"), "{list:#?}");
    assert!(
        has(&list, "tls-verification-disabled Dockerfile:7"),
        "{list:#?}"
    );
}

/// References from compose files are read only inside the root, only from regular files.
#[cfg(unix)]
#[test]
fn referenced_files_stay_inside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  a:\n    build:\n      context: .\n      dockerfile: /dev/zero\n    env_file: /dev/zero\n    extends:\n      file: /dev/zero\n      service: b\n",
    );
    let started = std::time::Instant::now();
    let out = run(
        dir.path(),
        &["scan", "--format", "json", "--fail-on", "never"],
    );
    assert_eq!(out.status.code(), Some(0));
    // Reading /dev/zero would not end: finishing at all is the proof.
    assert!(started.elapsed().as_secs() < 60);
}

/// Interpolated booleans are judged like literal ones.
#[test]
fn interpolated_booleans_are_resolved() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  a:\n    image: nginx:1.27\n    privileged: ${PRIV:-true}\n  b:\n    image: nginx:1.27\n    privileged: ${OFF:-false}\n    mem_limit: ${MEM:-0}\n    cpus: ${CPUS:-1.5}\n    pids_limit: 100\n",
    );
    let (list, _, doc) = findings(dir.path(), &[]);
    assert!(has(&list, "privileged compose.yaml:4"), "{list:#?}");
    assert!(!has(&list, "privileged compose.yaml:7"), "{list:#?}");
    let limits: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "missing-resource-limits" && f["start"]["line"] == 5)
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    // `${MEM:-0}` is no memory limit; `${CPUS:-1.5}` is a CPU limit.
    assert_eq!(limits, ["Service `b` has no memory limit"], "{list:#?}");
}

/// A pull request cannot weaken an organization policy through the repository's own
/// configuration: disabling, lowering, excluding, ignoring and loosening are not applied,
/// tightening is.
#[test]
fn a_repository_configuration_only_tightens_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "portcullis.toml",
        "fail-on = \"never\"\nexclude = [\"deploy/**\"]\n[rules.privileged]\nenabled = false\n[rules.root-user]\nlevel = \"note\"\n[rules.latest-tag]\nlevel = \"error\"\n[rules.unpinned-action]\nallow = [\"evil/*\"]\n[[ignore]]\npath = \"**\"\nrules = [\"tls-verification-disabled\"]\n",
    );
    write(
        root,
        "deploy/compose.yaml",
        "services:\n  a:\n    image: nginx:1.27\n    privileged: true\n",
    );
    write(
        root,
        "Dockerfile",
        "FROM alpine\nRUN curl -k https://example.com/x -o x\n",
    );
    write(
        root,
        ".github/workflows/ci.yml",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: evil/action@v1\n",
    );
    write(
        root,
        "policy/org.toml",
        "[rules.unpinned-action]\nlevel = \"error\"\n",
    );

    // Without the policy the repository's configuration hides everything.
    let (list, code, _) = findings(root, &[]);
    assert_eq!(code, Some(0), "{list:#?}");

    let (list, code, doc) = findings(root, &["--policy", "policy/org.toml"]);
    assert_eq!(code, Some(1), "{list:#?}");
    assert!(has(&list, "privileged deploy/compose.yaml:4"), "{list:#?}");
    assert!(
        has(&list, "tls-verification-disabled Dockerfile:2"),
        "{list:#?}"
    );
    assert!(
        has(&list, "unpinned-action .github/workflows/ci.yml:7"),
        "{list:#?}"
    );
    let level_of = |rule: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .map(|f| f["level"].as_str().unwrap().to_string())
    };
    // Lowering is refused, raising is kept.
    assert_eq!(level_of("root-user").as_deref(), Some("warning"));
    assert_eq!(level_of("latest-tag").as_deref(), Some("error"));
    let notes = doc["notifications"].to_string();
    assert!(
        notes.contains("policy:") && notes.contains("rules.privileged.enabled"),
        "{notes}"
    );

    let out = run(root, &["scan", "--policy", "missing.toml"]);
    assert_eq!(out.status.code(), Some(2));
}

/// The step summary shows reviewers the suppressions a change adds and its configuration
/// changes.
#[test]
fn the_summary_lists_suppressions_a_change_adds() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    if !git(root, &["init", "-q", "-b", "main"]) {
        return;
    }
    write(root, "portcullis.toml", "fail-on = \"error\"\n");
    write(
        root,
        "Dockerfile",
        "FROM alpine:3.20\nRUN curl -k https://example.com/x -o x\nUSER app\n",
    );
    assert!(git(root, &["add", "-A"]));
    assert!(git(root, &["commit", "-qm", "base"]));
    write(
        root,
        "portcullis.toml",
        "fail-on = \"error\"\n[rules.latest-tag]\nlevel = \"error\"\n",
    );
    write(
        root,
        "Dockerfile",
        "FROM alpine:3.20\n# portcullis: ignore[tls-verification-disabled] a mirror with a private CA\nRUN curl -k https://example.com/x -o x\nUSER app\n",
    );
    let summary = root.join("summary.md");
    let out = run(
        root,
        &[
            "scan",
            "--new-since",
            "main",
            "--summary",
            summary.to_str().unwrap(),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.contains("Suppressions this change adds"), "{text}");
    assert!(
        text.contains("`tls-verification-disabled` at Dockerfile:3 (ignore comment)"),
        "{text}"
    );
    assert!(
        text.contains("configuration changed: portcullis.toml"),
        "{text}"
    );
}

/// Two roots outside the working folder with files of the same name are both checked, and
/// SARIF never points outside `%SRCROOT%` with a relative path.
#[test]
fn roots_outside_the_working_folder_never_collide() {
    let here = tempfile::tempdir().unwrap();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    write(
        a.path(),
        "Dockerfile",
        "FROM alpine:3.20\nRUN curl -k https://a.example | sh\n",
    );
    write(
        b.path(),
        "Dockerfile",
        "FROM alpine:3.20\nRUN wget --no-check-certificate https://b.example\n",
    );
    let (a_path, b_path) = (a.path().to_str().unwrap(), b.path().to_str().unwrap());
    let (list, _, _) = findings(here.path(), &[a_path, b_path]);
    let tls: Vec<&String> = list
        .iter()
        .filter(|f| f.starts_with("tls-verification-disabled"))
        .collect();
    assert_eq!(tls.len(), 2, "{list:#?}");
    let out = run(here.path(), &["scan", "--format", "sarif", a_path]);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let location = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        let uri = location["uri"].as_str().unwrap();
        assert!(!uri.contains(".."), "{uri}");
        assert!(
            uri.starts_with("file:///") && location.get("uriBaseId").is_none(),
            "{location}"
        );
    }
}

/// Found by fuzzing: a span mapped through `sh -c` quoting ended inside a U+FFFD and made
/// `remote-script-exec` fail. Every rule now runs on it.
#[test]
fn spans_inside_characters_do_not_fail_a_rule() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/remote-script-exec-span.Dockerfile"),
    )
    .unwrap();
    write(dir.path(), "Dockerfile", bytes);
    let (list, _, doc) = findings(dir.path(), &[]);
    assert!(
        !doc.to_string().contains("failed on this file"),
        "{list:#?}"
    );
    assert!(
        list.iter().any(|f| f.starts_with("remote-script-exec")),
        "{list:#?}"
    );
}
