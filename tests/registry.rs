//! Meta-tests of the rule registry: every rule is complete, documented, has fixtures, its doc
//! examples behave as documented, and the generated docs are current.

mod common;

use std::collections::HashSet;

use common::{repo_root, scan_dir};
use portcullis::rules::ALL;

#[test]
fn ids_are_unique_kebab_case() {
    let mut seen = HashSet::new();
    for rule in ALL {
        assert!(seen.insert(rule.id), "duplicate id {}", rule.id);
        assert!(
            rule.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                && !rule.id.starts_with('-')
                && !rule.id.ends_with('-'),
            "{} is not kebab-case",
            rule.id
        );
        assert!(
            !rule.summary.is_empty() && !rule.summary.ends_with('.'),
            "{}",
            rule.id
        );
        assert!(!rule.kinds.is_empty(), "{}", rule.id);
        assert!(rule.tags.len() <= 10, "{}: GitHub keeps 10 tags", rule.id);
    }
}

#[test]
fn every_rule_has_complete_docs_and_security_metadata() {
    for rule in ALL {
        let docs = rule.docs();
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
        ] {
            assert!(docs.contains(section), "{}: docs lack `{section}`", rule.id);
        }
        if rule.tags.contains(&"security") {
            let score: f64 = rule
                .security_severity
                .unwrap_or_else(|| panic!("{}: security rule without security-severity", rule.id))
                .parse()
                .unwrap();
            assert!(score > 0.0 && score <= 10.0, "{}", rule.id);
        }
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(rule.source)
                .is_file(),
            "{}",
            rule.source
        );
    }
}

#[test]
fn every_rule_has_positive_and_negative_fixtures() {
    for rule in ALL {
        let dir = std::fs::read_dir(repo_root().join("fixtures"))
            .unwrap()
            .map(|e| e.unwrap().path().join(rule.id))
            .find(|p| p.is_dir())
            .unwrap_or_else(|| panic!("{}: no fixtures/<domain>/{} folder", rule.id, rule.id));
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert!(
            names.iter().any(|n| n == "positive"),
            "{}: no positive case",
            rule.id
        );
        assert!(
            names.iter().any(|n| n == "negative"),
            "{}: no negative case",
            rule.id
        );
        assert!(
            names.iter().any(|n| n == "positive.expected"),
            "{}: no expectations",
            rule.id
        );
    }
}

/// Code blocks of a docs section: (language, code).
fn blocks(docs: &str, section: &str) -> Vec<(String, String)> {
    let Some(start) = docs.find(section) else {
        return Vec::new();
    };
    let body = &docs[start + section.len()..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let line_end = after.find('\n').unwrap();
        let lang = after[..line_end].trim().to_string();
        let code_end = after[line_end + 1..].find("```").unwrap();
        out.push((
            lang,
            after[line_end + 1..line_end + 1 + code_end].to_string(),
        ));
        rest = &after[line_end + 1 + code_end + 3..];
    }
    out
}

fn example_path(lang: &str, code: &str) -> Option<&'static str> {
    match lang {
        "dockerfile" => Some("Dockerfile"),
        "dotenv" => Some(".env"),
        "yaml" if code.contains("\njobs:") || code.starts_with("on:") => {
            Some(".github/workflows/example.yml")
        }
        "yaml" if code.contains("\nruns:") => Some("action.yml"),
        "yaml" if code.contains("\nupdates:") => Some(".github/dependabot.yml"),
        "yaml" => Some("compose.yaml"),
        _ => None,
    }
}

/// Rules whose example needs files beside the one shown (the build context); their fixtures
/// cover them.
const EXAMPLES_NEED_CONTEXT: &[&str] = &["build-context-leak"];

/// The docs elide secrets (`ghp_…`): they are embedded in every SARIF file, and no file
/// Portcullis writes may hold a live-format token. Examples run with a generated one.
fn with_example_secrets(code: &str) -> String {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let token = portcullis::rules::secrets::providers::expand("ghp_{A:30}{crc}", &mut next);
    code.replace("ghp_…", &token)
}

/// No rule's documentation holds a secret Portcullis would report: SARIF embeds them.
#[test]
fn rule_docs_hold_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in portcullis::docs::md_files() {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::write(
        dir.path().join("portcullis.toml"),
        "secrets-scope = \"all\"\n",
    )
    .unwrap();
    let report = scan_dir(dir.path());
    let found: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f.rule.id, f.location.path, f.location.start.line
            )
        })
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn doc_examples_do_what_the_docs_say() {
    for rule in ALL {
        // Online rules need GitHub's answers; their fixtures bring a fake of them.
        if EXAMPLES_NEED_CONTEXT.contains(&rule.id) || rule.online {
            continue;
        }
        let docs = rule.docs();
        // A `toml` block in the example is the configuration both examples run with.
        let config = blocks(&docs, "## Example")
            .into_iter()
            .find(|(lang, _)| lang == "toml")
            .map(|(_, c)| c);
        for (section, should_find) in [("## Example", true), ("## Use instead", false)] {
            let examples = blocks(&docs, section);
            assert!(
                !examples.is_empty() || !should_find,
                "{}: no example code",
                rule.id
            );
            for (lang, code) in examples {
                let Some(path) = example_path(&lang, &code) else {
                    continue;
                };
                let dir = tempfile::tempdir().unwrap();
                if let Some(config) = &config {
                    std::fs::write(dir.path().join("portcullis.toml"), config).unwrap();
                }
                let file = dir.path().join(path);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(&file, with_example_secrets(&code)).unwrap();
                let found = scan_dir(dir.path())
                    .findings
                    .iter()
                    .filter(|f| f.rule.id == rule.id)
                    .count();
                assert_eq!(
                    found > 0,
                    should_find,
                    "{}: {section} example gives {found} findings:\n{code}",
                    rule.id
                );
            }
        }
    }
}

#[test]
fn generated_rule_docs_are_current() {
    let dir = repo_root().join("docs/rules");
    let mut stale = Vec::new();
    for (name, text) in portcullis::docs::md_files() {
        if std::fs::read_to_string(dir.join(&name)).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is stale ({stale:?}): run `cargo run -- rules --format md --output-dir docs/rules`"
    );
}
