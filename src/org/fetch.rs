//! Fetch the files Portcullis checks from one repository's default branch through the API: the
//! branch's commit, its tree (one recursive listing), then only the blobs of checked files,
//! several at a time. No git, no clone: a repository of 50,000 files whose twelve are
//! Dockerfiles, compose files and workflows costs three requests and twelve blobs.

use std::path::{Path, PathBuf};

use base64::Engine;
use octocrab::Octocrab;
use serde_json::Value;

use super::get_patiently;
use crate::github::{ApiError, describe, encode_path, is_commit};

/// Blobs fetched at once from one repository.
const CONCURRENT_BLOBS: usize = 8;

/// What was fetched.
#[derive(Debug, Default)]
pub struct Fetched {
    pub branch: String,
    /// Empty for an empty repository.
    pub commit: String,
    pub files: usize,
    pub bytes: u64,
    /// Checked files that were not fetched, with the reason (too large, refused by GitHub).
    pub not_fetched: Vec<(String, String)>,
    /// API requests made.
    pub requests: usize,
}

/// Which files to fetch.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    /// Files larger than this are recorded as not fetched (the scan's `max-file-size`).
    pub max_file_size: u64,
    /// Every text file, for `secrets-scope = "all"`.
    pub all_text: bool,
}

/// Fetch `repository`'s checked files into `into` (an empty folder).
pub async fn fetch(
    client: &Octocrab,
    repository: &str,
    into: &Path,
    wanted: Wanted,
) -> Result<Fetched, String> {
    let mut fetched = Fetched::default();
    let about = get_patiently(client, &format!("/repos/{repository}"))
        .await
        .map_err(|e| describe(e, "repository"))?;
    fetched.requests += 1;
    let branch = about["default_branch"]
        .as_str()
        .filter(|b| !b.is_empty())
        .ok_or("repository: GitHub gave no default branch")?;
    fetched.branch = branch.to_string();
    let reference = get_patiently(
        client,
        &format!("/repos/{repository}/git/ref/heads/{}", encode_path(branch)),
    )
    .await;
    fetched.requests += 1;
    let commit = match reference {
        Ok(reference) => reference["object"]["sha"]
            .as_str()
            .filter(|sha| is_commit(sha))
            .ok_or("default branch: GitHub gave no commit")?
            .to_string(),
        // An empty repository has no branch yet: nothing to check.
        Err(ApiError::Status { status: 409, .. }) => return Ok(fetched),
        Err(e) => return Err(describe(e, "default branch")),
    };
    fetched.commit = commit.clone();

    let entries = tree(client, repository, &commit, &mut fetched.requests).await?;
    let mut wanted_blobs = Vec::new();
    for entry in entries {
        if !checked(&entry.path, wanted.all_text) {
            continue;
        }
        let Some(relative) = safe_relative(&entry.path) else {
            fetched
                .not_fetched
                .push((entry.path, "not a plain relative path".to_string()));
            continue;
        };
        if entry.size > wanted.max_file_size {
            fetched.not_fetched.push((
                entry.path,
                format!(
                    "{} bytes, larger than max-file-size ({} bytes)",
                    entry.size, wanted.max_file_size
                ),
            ));
            continue;
        }
        wanted_blobs.push((entry, relative));
    }

    let mut pending = wanted_blobs.into_iter();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < CONCURRENT_BLOBS {
            let Some((entry, relative)) = pending.next() else {
                break;
            };
            let client = client.clone();
            let route = format!("/repos/{repository}/git/blobs/{}", entry.sha);
            running.spawn(async move {
                let answer = get_patiently(&client, &route).await;
                (entry, relative, answer)
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (entry, relative, answer) = done.map_err(|e| format!("fetching a file: {e}"))?;
        fetched.requests += 1;
        let bytes = match answer
            .map_err(|e| describe(e, &entry.path))
            .and_then(|blob| decode(&blob, &entry.path))
        {
            Ok(bytes) => bytes,
            Err(reason) => return Err(reason),
        };
        let target = into.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("{}: cannot create its folder: {e}", entry.path))?;
        }
        std::fs::write(&target, &bytes)
            .map_err(|e| format!("{}: cannot write: {e}", entry.path))?;
        fetched.files += 1;
        fetched.bytes += bytes.len() as u64;
    }
    Ok(fetched)
}

/// A file of the tree.
#[derive(Debug)]
struct Entry {
    path: String,
    sha: String,
    size: u64,
}

/// Every blob of `commit`'s tree (not links, not submodules). One recursive listing; when
/// GitHub truncates it (over 100,000 entries or 7 MB), the tree is read folder by folder.
async fn tree(
    client: &Octocrab,
    repository: &str,
    commit: &str,
    requests: &mut usize,
) -> Result<Vec<Entry>, String> {
    let answer = get_patiently(
        client,
        &format!("/repos/{repository}/git/trees/{commit}?recursive=1"),
    )
    .await
    .map_err(|e| describe(e, "tree"))?;
    *requests += 1;
    if answer["truncated"].as_bool() != Some(true) {
        return Ok(blobs(&answer, ""));
    }
    let mut out = Vec::new();
    let mut folders = vec![(commit.to_string(), String::new())];
    while let Some((sha, prefix)) = folders.pop() {
        let answer = get_patiently(client, &format!("/repos/{repository}/git/trees/{sha}"))
            .await
            .map_err(|e| describe(e, "tree"))?;
        *requests += 1;
        if answer["truncated"].as_bool() == Some(true) {
            return Err(format!(
                "tree: folder `{prefix}` has more entries than GitHub lists in one answer"
            ));
        }
        out.extend(blobs(&answer, &prefix));
        for item in answer["tree"].as_array().into_iter().flatten() {
            if item["type"].as_str() == Some("tree")
                && let (Some(path), Some(sha)) = (item["path"].as_str(), item["sha"].as_str())
                && is_commit(sha)
            {
                folders.push((sha.to_string(), format!("{prefix}{path}/")));
            }
        }
    }
    Ok(out)
}

fn blobs(answer: &Value, prefix: &str) -> Vec<Entry> {
    answer["tree"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| {
            item["type"].as_str() == Some("blob")
                // Links are checked through their targets, which are in the tree themselves.
                && item["mode"].as_str() != Some("120000")
        })
        .filter_map(|item| {
            Some(Entry {
                path: format!("{prefix}{}", item["path"].as_str()?),
                sha: item["sha"].as_str().filter(|s| is_commit(s))?.to_string(),
                size: item["size"].as_u64().unwrap_or(0),
            })
        })
        .collect()
}

/// Whether a scan checks the file at `path` (a repository path): what the walk would pick,
/// and the repository's own configuration.
fn checked(path: &str, all_text: bool) -> bool {
    let path = Path::new(path);
    if path.parent() == Some(Path::new("")) || path.parent() == Some(Path::new(".github")) {
        let shown = path.to_string_lossy();
        if crate::config::FILE_NAMES.contains(&shown.as_ref()) {
            return true;
        }
    }
    crate::discover::classify(path).is_some()
        || (all_text && crate::discover::plain_text_name(path))
}

/// `path` as a relative path of plain names: never absolute, never `.` or `..`, never an
/// empty segment, never into `.git`.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let plain = !path.contains('\0')
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && !segment.eq_ignore_ascii_case(".git")
        });
    plain.then(|| PathBuf::from(path))
}

fn decode(blob: &Value, path: &str) -> Result<Vec<u8>, String> {
    if blob["encoding"].as_str() != Some("base64") {
        return Err(format!("{path}: GitHub did not give the file's content"));
    }
    let encoded: String = blob["content"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| format!("{path}: the content is not base64"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_checked_files_are_wanted() {
        for path in [
            "Dockerfile",
            "svc/api/Dockerfile.prod",
            "compose.yaml",
            ".github/workflows/ci.yml",
            "action.yml",
            ".env",
            "web/.dockerignore",
            "portcullis.toml",
            ".github/portcullis.toml",
        ] {
            assert!(checked(path, false), "{path}");
        }
        for path in [
            "README.md",
            "src/main.rs",
            "deep/portcullis.toml",
            "workflows/ci.yml",
        ] {
            assert!(!checked(path, false), "{path}");
        }
        assert!(checked("src/settings.py", true));
        assert!(!checked("logo.png", true));
    }

    #[test]
    fn paths_stay_inside_the_folder() {
        assert_eq!(
            safe_relative("a/b/Dockerfile"),
            Some(PathBuf::from("a/b/Dockerfile"))
        );
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            ".git/config",
            "x/.GIT/hooks",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }
}
