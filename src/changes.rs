//! What a change introduces: the pull-request mode (`--new-since REF`, the Action's
//! `only-new`) reports a finding only when it is absent from the scan of the base.
//!
//! [`BaseTree`] lays out the files of the base — the merge base of `REF` and `HEAD`, written
//! from git's object store, or the workspace with a pull request's changed files put back as
//! they were — and the caller scans it with the same settings. Findings are matched by
//! fingerprint (rule, path, masked line text, occurrence), never by line number: a deleted
//! `USER app` makes `root-user` new though its `FROM` line did not change, and an old finding
//! whose line moved stays old.
//!
//! [`Changes`] (the lines a diff touches) remains for callers that only have a diff.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
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

/// Run git in `cwd`, trusting no repository but `trusted` (the one being scanned): a
/// workspace owned by another user is accepted, a foreign `.git` met elsewhere is not.
fn git_in(cwd: &Path, trusted: Option<&Path>, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new("git");
    if let Some(trusted) = trusted {
        command
            .arg("-c")
            .arg(format!("safe.directory={}", trusted.display()));
    }
    let output = command
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed without saying why");
        return Err(first.trim_start_matches("fatal: ").to_string());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The files of a base to compare with, laid out in a folder of their own that is removed
/// when the value is dropped. Paths inside it mirror the work tree's.
#[derive(Debug)]
pub struct BaseTree {
    /// The work tree whose base this is (canonical).
    pub top: PathBuf,
    /// The temporary folder holding everything (removed on drop).
    pub dir: PathBuf,
    /// Where the work tree's files are in the base.
    tree: PathBuf,
    /// The folder a scan of the base runs from, so that its display paths are the work
    /// tree's: the working folder's place in the base, or a folder that holds the base tree
    /// as the working folder holds the work tree.
    pub cwd: PathBuf,
}

impl Drop for BaseTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl BaseTree {
    fn empty(top: PathBuf, cwd: &Path) -> Result<BaseTree, String> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let temp =
            std::fs::canonicalize(std::env::temp_dir()).unwrap_or_else(|_| std::env::temp_dir());
        let dir = temp.join(format!(
            "portcullis-base-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
        let (tree, base_cwd) = if let Ok(inside) = cwd.strip_prefix(&top) {
            let tree = dir.join("tree");
            let base_cwd = tree.join(inside);
            (tree, base_cwd)
        } else if let Ok(below) = top.strip_prefix(&cwd) {
            (dir.join(below), dir.clone())
        } else {
            (dir.join("tree"), dir.join("elsewhere"))
        };
        std::fs::create_dir_all(&tree)
            .map_err(|e| format!("cannot create a folder for the base: {e}"))?;
        Ok(BaseTree {
            top,
            dir,
            tree,
            cwd: base_cwd,
        })
    }

    /// The root of the base's files.
    pub fn tree(&self) -> PathBuf {
        self.tree.clone()
    }

    /// Where `path` (in the work tree) is in the base; `None` outside the work tree.
    pub fn map(&self, path: &Path) -> Option<PathBuf> {
        let absolute = std::path::absolute(path).ok()?;
        let real = std::fs::canonicalize(&absolute).unwrap_or(absolute);
        let rel = real.strip_prefix(&self.top).ok()?;
        Some(self.tree().join(rel))
    }

    /// The merge base of `reference` and `HEAD` in the repository holding `scanned`, written
    /// from git's objects (the work tree and the repository's index are not touched).
    pub fn from_git(scanned: &Path, cwd: &Path, reference: &str) -> Result<BaseTree, String> {
        let (top, _) = crate::tracked::find_repository(scanned).ok_or_else(|| {
            format!(
                "--new-since {reference}: {} is not in a git work tree",
                scanned.display()
            )
        })?;
        let trusted = Some(top.as_path());
        let shallow = git_in(&top, trusted, &["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|out| out.trim() == "true");
        let base = git_in(&top, trusted, &["merge-base", reference, "HEAD"]).map_err(|e| {
            let hint = if shallow {
                " (this is a shallow clone: fetch the history, e.g. `fetch-depth: 0` with actions/checkout)"
            } else {
                ""
            };
            format!("--new-since {reference}: cannot find the merge base with HEAD: {e}{hint}")
        })?;
        let base = base.trim().to_string();
        let tree = BaseTree::empty(top.clone(), cwd)?;
        let index = tree.dir.join("index");
        let prefix = format!("{}/", tree.tree().display());
        for args in [
            vec!["read-tree", base.as_str()],
            vec![
                "checkout-index",
                "--all",
                "--force",
                "--prefix",
                prefix.as_str(),
            ],
        ] {
            let output = Command::new("git")
                .arg("-c")
                .arg(format!("safe.directory={}", top.display()))
                .args(&args)
                .env("GIT_INDEX_FILE", &index)
                .current_dir(&top)
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| format!("cannot run git: {e}"))?;
            if !output.status.success() {
                return Err(format!(
                    "--new-since {reference}: cannot write the files of {base}: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
        }
        Ok(tree)
    }
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
