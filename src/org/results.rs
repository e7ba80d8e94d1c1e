//! What `org scan` leaves for each repository, and the merged view `org report` renders.
//!
//! One compact JSON file per repository (`<owner>/<name>.json` under the results folder), so
//! matrix jobs never share a file and a missing one is visible: a repository of the plan with
//! no result is reported as not checked.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::Level;

/// The shape of a result file; fields are only ever added within a version.
pub const VERSION: u32 = 1;

/// One repository's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RepositoryResult {
    pub version: u32,
    pub repository: String,
    /// `checked` or `not-checked`.
    pub status: Status,
    /// Why it was not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub branch: String,
    /// The commit scanned (empty for an empty repository or one not checked).
    #[serde(default)]
    pub commit: String,
    /// Files fetched and scanned.
    #[serde(default)]
    pub files: usize,
    /// Files the scan should have read but could not fetch: each is a gap in the result.
    #[serde(default)]
    pub not_fetched: Vec<NotFetched>,
    #[serde(default)]
    pub findings: Vec<OrgFinding>,
    /// Run-level messages of the scan (references it could not resolve, policy notes).
    #[serde(default)]
    pub notifications: Vec<String>,
    /// The code-scanning upload: `accepted <id>`, or why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<String>,
    #[serde(default)]
    pub timing: Timing,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Checked,
    NotChecked,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NotFetched {
    pub path: String,
    pub reason: String,
}

/// Milliseconds spent and requests made, for capacity planning.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Timing {
    pub fetch_ms: u64,
    pub scan_ms: u64,
    pub requests: usize,
    pub bytes: u64,
}

/// A finding, compact: what a report needs to show, filter and compare it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OrgFinding {
    pub rule: String,
    pub level: String,
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub fingerprint: String,
    /// Absent from the previous report (set by `org report --previous`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new: bool,
}

impl RepositoryResult {
    pub fn not_checked(repository: &str, reason: String) -> RepositoryResult {
        RepositoryResult {
            version: VERSION,
            repository: repository.to_string(),
            status: Status::NotChecked,
            reason: Some(reason),
            branch: String::new(),
            commit: String::new(),
            files: 0,
            not_fetched: Vec::new(),
            findings: Vec::new(),
            notifications: Vec::new(),
            upload: None,
            timing: Timing::default(),
        }
    }

    pub fn count(&self, level: Level) -> usize {
        self.findings
            .iter()
            .filter(|f| f.level == level.as_str())
            .count()
    }
}

/// Every repository's result, sorted by name, and the totals.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Merged {
    pub version: u32,
    pub repositories: Vec<RepositoryResult>,
    /// Whether findings carry `new` (a previous report was given).
    #[serde(default)]
    pub compared: bool,
}

impl Merged {
    /// Read every `*.json` result under `folder` (any depth). A file that is not a result is an
    /// error: a report that silently drops a repository would claim it clean.
    pub fn read(folder: &Path) -> Result<Merged, String> {
        let mut files = Vec::new();
        collect_json(folder, &mut files)
            .map_err(|e| format!("{}: cannot read: {e}", folder.display()))?;
        files.sort();
        let mut by_name: BTreeMap<String, RepositoryResult> = BTreeMap::new();
        for file in files {
            let text = std::fs::read(&file)
                .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
            let result: RepositoryResult = serde_json::from_slice(&text)
                .map_err(|e| format!("{}: not a repository result: {e}", file.display()))?;
            if result.version != VERSION || !super::is_repository_name(&result.repository) {
                return Err(format!(
                    "{}: not a repository result of version {VERSION}",
                    file.display()
                ));
            }
            by_name.insert(result.repository.clone(), result);
        }
        Ok(Merged {
            version: VERSION,
            repositories: by_name.into_values().collect(),
            compared: false,
        })
    }

    /// Repositories of the plan (`expected`) with no result were not checked: their job failed
    /// or was cancelled before writing anything.
    pub fn expect(&mut self, expected: &[String]) {
        let have: HashSet<String> = self
            .repositories
            .iter()
            .map(|r| r.repository.clone())
            .collect();
        for name in expected {
            if !have.contains(name) {
                self.repositories.push(RepositoryResult::not_checked(
                    name,
                    "no result: its scan job failed or did not run".to_string(),
                ));
            }
        }
        self.repositories
            .sort_by(|a, b| a.repository.cmp(&b.repository));
    }

    /// Mark each finding absent from `previous` (same repository, same fingerprint) as new.
    pub fn compare(&mut self, previous: &Merged) {
        let known: HashSet<(&str, &str)> = previous
            .repositories
            .iter()
            .flat_map(|r| {
                r.findings
                    .iter()
                    .map(|f| (r.repository.as_str(), f.fingerprint.as_str()))
            })
            .collect();
        for repository in &mut self.repositories {
            for finding in &mut repository.findings {
                finding.new = !known
                    .contains(&(repository.repository.as_str(), finding.fingerprint.as_str()));
            }
        }
        self.compared = true;
    }

    pub fn checked(&self) -> usize {
        self.repositories
            .iter()
            .filter(|r| r.status == Status::Checked)
            .count()
    }

    pub fn findings(&self) -> impl Iterator<Item = (&RepositoryResult, &OrgFinding)> {
        self.repositories
            .iter()
            .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
    }

    pub fn count(&self, level: Level) -> usize {
        self.repositories.iter().map(|r| r.count(level)).sum()
    }
}

fn collect_json(folder: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            collect_json(&path, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Where a repository's result is written under the results folder.
pub fn result_path(folder: &Path, repository: &str) -> std::path::PathBuf {
    let (owner, name) = repository.split_once('/').unwrap_or(("", repository));
    folder.join(owner).join(format!("{name}.json"))
}
