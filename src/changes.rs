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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Run git in `cwd`, trusting no repository but `trusted` (the one being scanned): a
/// workspace owned by another user is accepted, a foreign `.git` met elsewhere is not.
/// `index` replaces the repository's index (a private one, for writing a tree elsewhere).
pub(crate) fn git_in(
    cwd: &Path,
    trusted: &Path,
    index: Option<&Path>,
    args: &[&str],
) -> Result<String, String> {
    let mut command = Command::new("git");
    if let Some(index) = index {
        command.env("GIT_INDEX_FILE", index);
    }
    command
        .arg("-c")
        .arg(format!("safe.directory={}", trusted.display()));
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
    /// An empty base for the work tree `top`, in a new folder under `parent` (the system's
    /// temporary folder by default).
    fn empty(top: PathBuf, cwd: &Path, parent: Option<&Path>) -> Result<BaseTree, String> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let temp = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        let temp = std::fs::canonicalize(&temp).unwrap_or(temp);
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
        let trusted = top.as_path();
        let shallow = git_in(
            &top,
            trusted,
            None,
            &["rev-parse", "--is-shallow-repository"],
        )
        .is_ok_and(|out| out.trim() == "true");
        let base = git_in(&top, trusted, None, &["merge-base", reference, "HEAD"]).map_err(|e| {
            let hint = if shallow {
                " (this is a shallow clone: fetch the history, e.g. `fetch-depth: 0` with actions/checkout)"
            } else {
                ""
            };
            format!("--new-since {reference}: cannot find the merge base with HEAD: {e}{hint}")
        })?;
        let base = base.trim().to_string();
        let tree = BaseTree::empty(top.clone(), cwd, None)?;
        let index = tree.dir.join("index");
        let prefix = format!("{}/", tree.tree().display());
        let index = index.as_path();
        git_in(&top, trusted, Some(index), &["read-tree", base.as_str()])
            .and_then(|_| {
                git_in(
                    &top,
                    trusted,
                    Some(index),
                    &[
                        "checkout-index",
                        "--all",
                        "--force",
                        "--prefix",
                        prefix.as_str(),
                    ],
                )
            })
            .map_err(|e| {
                format!("--new-since {reference}: cannot write the files of {base}: {e}")
            })?;
        Ok(tree)
    }

    /// The base of a pull request or merge-queue entry whose files GitHub lists: the work
    /// tree at `workspace` with each changed file put back as it was. `before` holds each
    /// changed path's text at the base (`None`: it did not exist). The other files are
    /// hard-linked into a folder beside the repository's `.git` (copied where a link cannot be
    /// made); a changed file is replaced, never written through its link.
    pub fn from_changed_files(
        workspace: &Path,
        changed: &[ChangedFile],
        before: &HashMap<String, Option<Vec<u8>>>,
    ) -> Result<BaseTree, String> {
        let top = std::fs::canonicalize(workspace)
            .map_err(|e| format!("{}: {e}", workspace.display()))?;
        let dot_git = top.join(".git");
        let parent = dot_git.is_dir().then_some(dot_git.as_path());
        let tree = BaseTree::empty(top.clone(), &top, parent)?;
        mirror(&top, &tree.tree)?;
        for file in changed {
            for path in [Some(&file.path), file.previous_path.as_ref()]
                .into_iter()
                .flatten()
            {
                if let Some(there) = inside(&tree.tree, path) {
                    let _ = std::fs::remove_file(there);
                }
            }
        }
        for (path, text) in before {
            let (Some(there), Some(text)) = (inside(&tree.tree, path), text) else {
                continue;
            };
            if let Some(parent) = there.parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("base of {path}: {e}"))?;
            }
            std::fs::write(&there, text).map_err(|e| format!("base of {path}: {e}"))?;
        }
        Ok(tree)
    }
}

/// `rel` (a path GitHub lists) under `root`, or `None` when it would leave it.
fn inside(root: &Path, rel: &str) -> Option<PathBuf> {
    let path = Path::new(rel);
    path.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
        .then(|| root.join(path))
}

/// A file a pull request or comparison changes, as GitHub lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedFile {
    pub path: String,
    /// `added`, `removed`, `modified`, `renamed`, `copied`, `changed`, `unchanged`.
    pub status: String,
    /// The path before a rename or copy.
    pub previous_path: Option<String>,
}

impl ChangedFile {
    /// The path whose text at the base is needed, if any: an added (or copied) file had none
    /// at its own path.
    pub fn base_path(&self) -> Option<&str> {
        match self.status.as_str() {
            "added" | "copied" => None,
            "renamed" => self.previous_path.as_deref(),
            _ => Some(&self.path),
        }
    }
}

/// Recreate the folders of `from` under `to` and hard-link its files (copying where a link
/// cannot be made), leaving out `.git`, dependency folders and links that leave the tree.
fn mirror(from: &Path, to: &Path) -> Result<(), String> {
    let mut stack = vec![(from.to_path_buf(), to.to_path_buf())];
    while let Some((src, dst)) = stack.pop() {
        std::fs::create_dir_all(&dst).map_err(|e| format!("{}: {e}", dst.display()))?;
        let Ok(entries) = std::fs::read_dir(&src) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let target = dst.join(&name);
            if kind.is_dir() {
                if name != ".git" && !crate::discover::skipped_dir(&name) {
                    stack.push((entry.path(), target));
                }
            } else if kind.is_file() {
                if std::fs::hard_link(entry.path(), &target).is_err() {
                    std::fs::copy(entry.path(), &target)
                        .map_err(|e| format!("{}: {e}", entry.path().display()))?;
                }
            } else if kind.is_symlink() {
                #[cfg(unix)]
                if let Ok(link) = std::fs::read_link(entry.path()) {
                    let _ = std::os::unix::fs::symlink(link, &target);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pull_request_base_puts_changed_files_back() {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path();
        std::fs::create_dir_all(work.join(".git")).unwrap();
        std::fs::create_dir_all(work.join("app")).unwrap();
        std::fs::write(work.join("Dockerfile"), "FROM x\n").unwrap();
        std::fs::write(work.join("app/new.yml"), "new\n").unwrap();
        std::fs::write(work.join("app/renamed.yml"), "same\n").unwrap();
        std::fs::write(work.join("unchanged"), "kept\n").unwrap();
        let changed = vec![
            ChangedFile {
                path: "Dockerfile".into(),
                status: "modified".into(),
                previous_path: None,
            },
            ChangedFile {
                path: "app/new.yml".into(),
                status: "added".into(),
                previous_path: None,
            },
            ChangedFile {
                path: "app/renamed.yml".into(),
                status: "renamed".into(),
                previous_path: Some("old.yml".into()),
            },
            ChangedFile {
                path: "gone".into(),
                status: "removed".into(),
                previous_path: None,
            },
            ChangedFile {
                path: "../escape".into(),
                status: "removed".into(),
                previous_path: None,
            },
        ];
        let before: HashMap<String, Option<Vec<u8>>> = changed
            .iter()
            .filter_map(|f| f.base_path())
            .map(|p| (p.to_string(), Some(format!("base of {p}\n").into_bytes())))
            .collect();
        let base = BaseTree::from_changed_files(work, &changed, &before).unwrap();
        let tree = base.tree();
        let read = |p: &str| std::fs::read_to_string(tree.join(p)).ok();
        assert_eq!(read("Dockerfile").as_deref(), Some("base of Dockerfile\n"));
        assert_eq!(read("old.yml").as_deref(), Some("base of old.yml\n"));
        assert_eq!(read("gone").as_deref(), Some("base of gone\n"));
        assert_eq!(read("unchanged").as_deref(), Some("kept\n"));
        assert_eq!(read("app/new.yml"), None);
        assert_eq!(read("app/renamed.yml"), None);
        assert!(!dir.path().parent().unwrap().join("escape").exists());
        // The work tree itself is untouched.
        assert_eq!(
            std::fs::read_to_string(work.join("Dockerfile")).unwrap(),
            "FROM x\n"
        );
        let folder = base.dir.clone();
        drop(base);
        assert!(!folder.exists());
    }
}
