//! Lines changed since a git ref: the pull-request mode (`--new-since REF`) keeps only findings
//! on these lines, so a check fails on what a change introduces, not on what it inherits.
//!
//! The comparison is `git diff <merge-base of REF and HEAD>` against the working tree, so it
//! covers commits on the branch and uncommitted edits alike; untracked files count as wholly new.
//! Paths are relative to the folder git runs in (`--relative`), the same base the findings use.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use crate::finding::Finding;

/// The changed lines of each file, by path relative to the scan's working folder.
#[derive(Debug, Default)]
pub struct Changes {
    files: HashMap<String, FileChange>,
}

#[derive(Debug)]
enum FileChange {
    /// A new or untracked file: every line is new.
    Whole,
    /// 1-based line ranges (inclusive) added or modified.
    Lines(Vec<(u32, u32)>),
}

impl Changes {
    /// Ask git for the lines changed in `cwd` since the merge base of `reference` and `HEAD`.
    pub fn since(cwd: &Path, reference: &str) -> Result<Changes, String> {
        let base = git(cwd, &["merge-base", reference, "HEAD"]).map_err(|e| {
            format!("--new-since {reference}: cannot find the merge base with HEAD: {e}")
        })?;
        let base = base.trim();
        let diff = git(
            cwd,
            &[
                "diff",
                "--relative",
                "--unified=0",
                "--no-color",
                "--no-ext-diff",
                "--no-renames",
                base,
                "--",
            ],
        )
        .map_err(|e| format!("--new-since {reference}: git diff failed: {e}"))?;
        let mut changes = Changes::from_diff(&diff);
        let untracked = git(cwd, &["ls-files", "--others", "--exclude-standard", "-z"])
            .map_err(|e| format!("--new-since {reference}: git ls-files failed: {e}"))?;
        for path in untracked.split('\0').filter(|p| !p.is_empty()) {
            changes.files.insert(path.to_string(), FileChange::Whole);
        }
        Ok(changes)
    }

    /// Read a `git diff --unified=0` text.
    pub fn from_diff(diff: &str) -> Changes {
        let mut files = HashMap::new();
        let mut current: Option<String> = None;
        let mut new_file = false;
        for line in diff.lines() {
            if line.starts_with("diff --git ") {
                current = None;
                new_file = false;
            } else if line.starts_with("new file mode") {
                new_file = true;
            } else if let Some(path) = line.strip_prefix("+++ ") {
                current = unquote(path).strip_prefix("b/").map(str::to_string);
                if let Some(path) = &current {
                    let change = if new_file {
                        FileChange::Whole
                    } else {
                        FileChange::Lines(Vec::new())
                    };
                    files.insert(path.clone(), change);
                }
            } else if let Some(hunk) = line.strip_prefix("@@ ")
                && let Some(path) = &current
                && let Some(range) = added_range(hunk)
                && let Some(FileChange::Lines(ranges)) = files.get_mut(path)
            {
                ranges.push(range);
            }
        }
        Changes { files }
    }

    /// Read the files of a pull request as GitHub's API lists them: `(path, status, patch)`.
    /// A file without a patch (too large, binary) counts as wholly changed, so nothing in it is
    /// hidden.
    pub fn from_pull_request_files(files: &[(String, String, Option<String>)]) -> Changes {
        let mut changes = Changes::default();
        for (path, status, patch) in files {
            let change = match (status.as_str(), patch) {
                ("removed", _) => continue,
                ("added", _) | (_, None) => FileChange::Whole,
                (_, Some(patch)) => FileChange::Lines(added_lines(patch)),
            };
            changes.files.insert(path.clone(), change);
        }
        changes
    }

    /// Whether the finding touches a changed line. A finding about the whole file (a parse
    /// error) counts when the file changed at all.
    pub fn touches(&self, finding: &Finding) -> bool {
        let path = finding.location.path.trim_start_matches("./");
        match self.files.get(path) {
            None => false,
            Some(FileChange::Whole) => true,
            Some(FileChange::Lines(ranges)) => {
                if finding.rule.id == "parse-error" {
                    return true;
                }
                let (start, end) = (finding.location.start.line, finding.location.end.line);
                ranges.iter().any(|&(a, b)| a <= end && start <= b)
            }
        }
    }
}

/// The added lines of a unified diff with context, as one-line ranges.
fn added_lines(patch: &str) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut line = 0u32;
    for text in patch.lines() {
        if let Some(hunk) = text.strip_prefix("@@ ") {
            line = hunk
                .split(' ')
                .find_map(|part| part.strip_prefix('+'))
                .and_then(|new| new.split(',').next())
                .and_then(|start| start.parse().ok())
                .unwrap_or(0);
        } else if text.starts_with('+') {
            out.push((line, line));
            line += 1;
        } else if text.starts_with(' ') || text.is_empty() {
            line += 1;
        }
        // `-` lines are gone from the new side; `\ No newline` lines are notes.
    }
    out
}

/// The new-side range of a hunk header `-a,b +c,d @@`; `None` for a pure deletion.
fn added_range(hunk: &str) -> Option<(u32, u32)> {
    let new = hunk.split(' ').find_map(|part| part.strip_prefix('+'))?;
    let (start, count) = match new.split_once(',') {
        Some((start, count)) => (start.parse::<u32>().ok()?, count.parse::<u32>().ok()?),
        None => (new.parse::<u32>().ok()?, 1),
    };
    (count > 0).then(|| (start, start + count - 1))
}

/// git quotes paths with unusual bytes (`"b/na\"me"`); undo the common escapes.
fn unquote(path: &str) -> String {
    let Some(inner) = path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) else {
        return path.to_string();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Run git in `cwd`. `safe.directory=*` because CI containers often check out a workspace owned
/// by another user, which git otherwise refuses to read.
fn git(cwd: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .arg("-c")
        .arg("safe.directory=*")
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(stderr.lines().next().unwrap_or("unknown error").to_string());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hunks_of_a_unified_zero_diff() {
        let diff = "\
diff --git a/Dockerfile b/Dockerfile
index 1..2 100644
--- a/Dockerfile
+++ b/Dockerfile
@@ -1,0 +2,3 @@ FROM x
+a
+b
+c
@@ -9 +12 @@
-old
+new
@@ -20,2 +22,0 @@
-gone
-gone
diff --git a/compose.yml b/compose.yml
new file mode 100644
--- /dev/null
+++ b/compose.yml
@@ -0,0 +1,2 @@
+services:
+  a: {}
";
        let changes = Changes::from_diff(diff);
        match changes.files.get("Dockerfile") {
            Some(FileChange::Lines(ranges)) => assert_eq!(ranges, &[(2, 4), (12, 12)]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            changes.files.get("compose.yml"),
            Some(FileChange::Whole)
        ));
    }

    #[test]
    fn reads_pull_request_patches() {
        let patch = "@@ -1,3 +1,4 @@\n FROM alpine\n-RUN a\n+RUN b\n+RUN c\n USER 1\n@@ -10,2 +11,2 @@\n x\n-y\n+z\n\\ No newline at end of file";
        let files = vec![
            (
                "Dockerfile".to_string(),
                "modified".to_string(),
                Some(patch.to_string()),
            ),
            ("new.yml".to_string(), "added".to_string(), None),
            ("big.yml".to_string(), "modified".to_string(), None),
            ("gone.yml".to_string(), "removed".to_string(), None),
        ];
        let changes = Changes::from_pull_request_files(&files);
        match changes.files.get("Dockerfile") {
            Some(FileChange::Lines(ranges)) => assert_eq!(ranges, &[(2, 2), (3, 3), (12, 12)]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            changes.files.get("new.yml"),
            Some(FileChange::Whole)
        ));
        assert!(matches!(
            changes.files.get("big.yml"),
            Some(FileChange::Whole)
        ));
        assert!(!changes.files.contains_key("gone.yml"));
    }

    #[test]
    fn unquotes_paths() {
        assert_eq!(unquote("\"b/a\\tb\""), "b/a\tb");
        assert_eq!(unquote("plain"), "plain");
    }
}
