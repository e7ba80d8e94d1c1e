//! What a scan reports: findings with resolved positions, ready for every renderer.

use serde::Serialize;

pub use crate::descriptor::Level;
use crate::descriptor::RuleDescriptor;
use crate::source::LineCol;

/// A place in a file, resolved to lines and columns (1-based, columns in code points).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub path: String,
    pub start: LineCol,
    pub end: LineCol,
}

#[derive(Clone, Debug, Serialize)]
pub struct Related {
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
}

/// The lines a finding points at, with secrets already masked, and the underlined columns of
/// the first line (1-based, end exclusive, in code points of the masked text).
#[derive(Clone, Debug, Default)]
pub struct Snippet {
    pub first_line: u32,
    pub lines: Vec<String>,
    pub underline: (u32, u32),
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static RuleDescriptor,
    pub level: Level,
    pub location: Location,
    pub message: String,
    /// Usually a rule's fixed text, shared by all its findings rather than copied into each.
    pub help: Option<std::borrow::Cow<'static, str>>,
    pub related: Vec<Related>,
    pub snippet: Snippet,
    /// Stable across line shifts; never derived from a secret value (see `fingerprint`).
    pub fingerprint: String,
    /// GitHub's `primaryLocationLineHash`, computed over the masked text.
    pub line_hash: String,
    /// An edit that fixes the finding, when the right text is known (SARIF `fixes`). Boxed:
    /// most findings have none, and the finding list is most of a run's memory.
    pub fix: Option<Box<Fix>>,
}

/// Replacements in the finding's file that fix it.
#[derive(Clone, Debug, Serialize)]
pub struct Fix {
    pub description: String,
    pub replacements: Vec<Replacement>,
}

/// Replace the text from `start` to `end` (equal for an insertion) with `text`.
#[derive(Clone, Debug, Serialize)]
pub struct Replacement {
    pub start: LineCol,
    pub end: LineCol,
    pub text: String,
}

impl Finding {
    pub fn sort_key(&self) -> (&str, u32, u32, &str) {
        (
            &self.location.path,
            self.location.start.line,
            self.location.start.column,
            self.rule.id,
        )
    }
}

/// Sort findings by [`Finding::sort_key`], keeping the order of equal ones. The findings are
/// boxed, so the sort moves pointers and its scratch space is a pointer a finding at most.
pub fn sort_findings(findings: &mut [Box<Finding>]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// A run-level message: something not checked, or a file skipped with a reason.
#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    pub level: Level,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Everything a scan produced, in a stable order.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Boxed, so that gathering each file's findings into this list and sorting it move
    /// pointers, not findings: the list never exists twice at its peak.
    pub findings: Vec<Box<Finding>>,
    pub notifications: Vec<Notification>,
    pub files_scanned: usize,
    pub suppressed: usize,
    pub baselined: usize,
    /// Findings left out by `--new-since` / `only-new` because the base has them too.
    pub outside_changes: usize,
    /// Those findings themselves. They are not part of the gate (exit status, annotations,
    /// summary), but SARIF carries them, marked `unchanged`, so that code scanning keeps
    /// their alerts open: a SARIF upload without them would close them.
    pub unchanged: Vec<Box<Finding>>,
    /// Whether the findings were compared with a base (`--new-since`, `only-new`).
    pub compared: bool,
    /// Findings left out of this view by `--min-level` (SARIF and the gate keep them).
    pub below_min_level: usize,
    /// Image references that could not be resolved statically and were not checked.
    pub not_checked: usize,
    /// The findings an ignore comment or the configuration suppressed.
    pub suppressions: Vec<Suppression>,
    /// With a base to compare with: the suppressions the change adds, and the configuration
    /// files it changes, for reviewers to see (they can hide what the gate would report).
    pub added_suppressions: Vec<Suppression>,
    pub changed_configuration: Vec<String>,
    /// Every secret value the run found, to mask in anything written about it.
    pub redactor: crate::redact::Redactor,
}

/// A finding that was not reported because something asked for that.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub finding: Finding,
    /// `true` for an inline ignore comment, `false` for the configuration's `[[ignore]]`.
    pub by_comment: bool,
}

impl Report {
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }
}
