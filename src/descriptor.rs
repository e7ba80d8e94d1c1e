//! What a rule is, apart from how it checks: its id, level, documentation and where it
//! applies. Findings, configuration and renderers need only this; the check functions and
//! their registry live in `rules`.

use serde::Serialize;

use crate::source::FileKind;

/// A finding's level; `fail-on` compares against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// A rule's metadata, declared once with the rule (`declare_rule!`).
pub struct RuleDescriptor {
    /// Stable kebab-case id: SARIF `ruleId`, config key, ignore-comment token, docs slug.
    pub id: &'static str,
    /// One line: SARIF `shortDescription`, the `rules` table, annotation titles.
    pub summary: &'static str,
    /// Markdown with `## What it does`, `## Why is this bad?`, `## Example`, `## Use instead`.
    pub docs: &'static str,
    pub level: Level,
    pub kinds: &'static [FileKind],
    pub tags: &'static [&'static str],
    /// GitHub's `security-severity` score (0.1–10.0) for security rules.
    pub security_severity: Option<&'static str>,
    /// Rule-specific options accepted under `[rules.<id>]`: (name, description).
    pub options: &'static [(&'static str, &'static str)],
    /// Needs the GitHub API: runs only with `scan --online`.
    pub online: bool,
    /// The file declaring the rule, for "view source" links.
    pub source: &'static str,
}

impl std::fmt::Debug for RuleDescriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

impl RuleDescriptor {
    /// The docs with the one leading space of each doc-comment line removed.
    pub fn docs(&self) -> String {
        let mut out = String::with_capacity(self.docs.len());
        for line in self.docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string() + "\n"
    }

    pub fn applies_to(&self, kind: FileKind) -> bool {
        self.kinds.contains(&kind)
    }
}
