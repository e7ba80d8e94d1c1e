//! Every rule's fixtures: `fixtures/<domain>/<rule-id>/positive*/` must produce exactly the
//! findings of that rule listed in `positive*.expected` next to it, and `negative*/` none.
//! `PORTCULLIS_BLESS=1 cargo test --test rules` rewrites the expected files for review.

mod common;

use std::path::Path;

use common::{render_findings, repo_root, scan_dir};

fn case_dirs(rule_dir: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(rule_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn fixtures_match_their_expectations() {
    let bless = std::env::var_os("PORTCULLIS_BLESS").is_some();
    let mut failures = Vec::new();
    let mut cases = 0;
    for rule in portcullis::rules::ALL {
        let Some(rule_dir) = fixture_dir(rule.id) else {
            failures.push(format!("{}: no fixtures folder", rule.id));
            continue;
        };
        for case in case_dirs(&rule_dir) {
            cases += 1;
            let name = case.file_name().unwrap().to_string_lossy().to_string();
            let report = scan_dir(&case);
            let got = render_findings(&report, Some(rule.id));
            // A negative case that cannot be parsed proves nothing: the rule never saw it.
            if rule.id != "parse-error" && name.starts_with("negative") {
                let unparsed = render_findings(&report, Some("parse-error"));
                if !unparsed.is_empty() {
                    failures.push(format!(
                        "{}/{name}: a fixture file cannot be parsed:\n{unparsed}",
                        rule.id
                    ));
                }
            }
            if name.starts_with("negative") {
                if !got.is_empty() {
                    failures.push(format!(
                        "{}/{name}: expected no findings, got:\n{got}",
                        rule.id
                    ));
                }
                continue;
            }
            let expected_path = rule_dir.join(format!("{name}.expected"));
            if bless {
                std::fs::write(&expected_path, &got).unwrap();
                continue;
            }
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            if got.is_empty() {
                failures.push(format!(
                    "{}/{name}: a positive case produced no finding",
                    rule.id
                ));
            }
            if expected != got {
                failures.push(format!(
                    "{}/{name}: findings differ from {}\n--- expected\n{expected}--- got\n{got}",
                    rule.id,
                    expected_path.display()
                ));
            }
        }
    }
    assert!(cases > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `fixtures/<domain>/<rule-id>`.
pub fn fixture_dir(id: &str) -> Option<std::path::PathBuf> {
    let root = repo_root().join("fixtures");
    std::fs::read_dir(&root)
        .ok()?
        .map(|e| e.unwrap().path().join(id))
        .find(|p| p.is_dir())
}
