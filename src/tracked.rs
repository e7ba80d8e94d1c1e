//! The files git tracks, read from the repository's index.
//!
//! A tracked file is checked whatever `.gitignore` says: ignore files only keep untracked
//! files out of git, so a pull request that adds `*.yml` to a `.gitignore` must not hide the
//! workflows it also changes. The index is read directly rather than through `git ls-files`:
//! no git binary is needed (the Action's image has none), and nothing of the scanned
//! repository's configuration (hooks, `core.fsmonitor`) is ever run.
//!
//! Supported: index versions 2, 3 and 4, SHA-1 and SHA-256 object names. A split index
//! (`link` extension) is not read: the caller then treats the tree as if nothing were ignored.

use std::path::{Path, PathBuf};

/// The work tree holding `start` (a folder or file) and the path of its index, when `start`
/// is inside a git work tree.
pub fn find_repository(start: &Path) -> Option<(PathBuf, PathBuf)> {
    let start = std::fs::canonicalize(start).ok()?;
    for dir in start.ancestors() {
        let dot_git = dir.join(".git");
        let Ok(meta) = std::fs::metadata(&dot_git) else {
            continue;
        };
        let git_dir = if meta.is_dir() {
            dot_git
        } else {
            // A worktree or submodule: `.git` is a file saying `gitdir: <path>`.
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = text.strip_prefix("gitdir:")?.trim();
            let target = Path::new(target);
            if target.is_absolute() {
                target.to_path_buf()
            } else {
                dir.join(target)
            }
        };
        return Some((dir.to_path_buf(), git_dir));
    }
    None
}

/// The commit checked out in the work tree holding `start` (lowercase hex), read from
/// `.git/HEAD` and the refs it names (loose or packed; a worktree's shared refs too). `None`
/// when it cannot be told (no repository, an unborn branch, an unreadable ref).
pub fn head_commit(start: &Path) -> Option<String> {
    let (_, git_dir) = find_repository(start)?;
    let is_commit =
        |t: &str| matches!(t.len(), 40 | 64) && t.bytes().all(|b| b.is_ascii_hexdigit());
    let head = std::fs::read_to_string(git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    let Some(name) = head.strip_prefix("ref:").map(str::trim) else {
        return is_commit(head).then(|| head.to_ascii_lowercase());
    };
    // A ref name stays inside the git folder.
    if name
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return None;
    }
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map(|c| git_dir.join(c.trim()));
    for dir in std::iter::once(git_dir.clone()).chain(common) {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            let sha = text.trim();
            return is_commit(sha).then(|| sha.to_ascii_lowercase());
        }
        if let Ok(packed) = std::fs::read_to_string(dir.join("packed-refs")) {
            for line in packed.lines() {
                if let Some((sha, reference)) = line.split_once(' ')
                    && reference == name
                    && is_commit(sha)
                {
                    return Some(sha.to_ascii_lowercase());
                }
            }
        }
    }
    None
}

/// Why the index could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct IndexError(pub String);

/// The paths of the regular files and symbolic links recorded in the index at `git_dir`,
/// relative to the work tree, with `/` separators. Submodules and sparse directory entries
/// are left out.
pub fn tracked_paths(git_dir: &Path) -> Result<Vec<String>, IndexError> {
    let index = git_dir.join("index");
    let bytes = match std::fs::read(&index) {
        Ok(bytes) => bytes,
        // A repository with no commit and nothing staged has no index: nothing is tracked.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(IndexError(format!("cannot read the git index: {e}"))),
    };
    let hash_len = if uses_sha256(git_dir) { 32 } else { 20 };
    parse_index(&bytes, hash_len)
}

/// Whether the repository names its objects with SHA-256 (`extensions.objectformat`).
fn uses_sha256(git_dir: &Path) -> bool {
    let mut configs = vec![git_dir.join("config")];
    if let Ok(common) = std::fs::read_to_string(git_dir.join("commondir")) {
        configs.push(git_dir.join(common.trim()).join("config"));
    }
    configs.iter().any(|path| {
        std::fs::read_to_string(path).is_ok_and(|text| {
            text.lines().any(|line| {
                let line = line.trim().to_ascii_lowercase();
                line.starts_with("objectformat") && line.ends_with("sha256")
            })
        })
    })
}

const MODE_TYPE_MASK: u32 = 0o170000;
const MODE_FILE: u32 = 0o100000;
const MODE_LINK: u32 = 0o120000;

/// Read an index file's entries (git's `Documentation/gitformat-index.txt`).
pub fn parse_index(bytes: &[u8], hash_len: usize) -> Result<Vec<String>, IndexError> {
    let bad = |what: &str| IndexError(format!("the git index is not readable: {what}"));
    if bytes.len() < 12 || &bytes[..4] != b"DIRC" {
        return Err(bad("no index signature"));
    }
    let be32 = |at: usize| -> Option<u32> {
        bytes
            .get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let version = be32(4).ok_or_else(|| bad("short header"))?;
    if !(2..=4).contains(&version) {
        return Err(bad(&format!("version {version}")));
    }
    let count = be32(8).ok_or_else(|| bad("short header"))? as usize;
    let mut paths: Vec<String> = Vec::with_capacity(count.min(1 << 20));
    let mut previous: Vec<u8> = Vec::new();
    let mut at = 12;
    for _ in 0..count {
        let entry_start = at;
        let mode = be32(at + 24).ok_or_else(|| bad("entry cut short"))?;
        let flags_at = at + 40 + hash_len;
        let flags = bytes
            .get(flags_at..flags_at + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| bad("entry cut short"))?;
        at = flags_at + 2;
        if version >= 3 && flags & 0x4000 != 0 {
            at += 2;
        }
        let path = if version == 4 {
            let (strip, used) = varint(bytes.get(at..).unwrap_or_default())
                .ok_or_else(|| bad("path prefix cut short"))?;
            at += used;
            let end = at
                + bytes
                    .get(at..)
                    .and_then(|rest| rest.iter().position(|&b| b == 0))
                    .ok_or_else(|| bad("path cut short"))?;
            let keep = previous
                .len()
                .checked_sub(strip)
                .ok_or_else(|| bad("path prefix longer than the previous path"))?;
            let mut path = previous[..keep].to_vec();
            path.extend_from_slice(&bytes[at..end]);
            at = end + 1;
            path
        } else {
            let end = at
                + bytes
                    .get(at..)
                    .and_then(|rest| rest.iter().position(|&b| b == 0))
                    .ok_or_else(|| bad("path cut short"))?;
            let path = bytes[at..end].to_vec();
            // Entries are padded with 1 to 8 NULs to a multiple of eight bytes.
            let len = end - entry_start;
            at = entry_start + (len + 8) / 8 * 8;
            path
        };
        let kind = mode & MODE_TYPE_MASK;
        if kind == MODE_FILE || kind == MODE_LINK {
            let text = String::from_utf8_lossy(&path).into_owned();
            // Merge conflicts list a path once per stage.
            if paths.last() != Some(&text) {
                paths.push(text);
            }
        }
        previous = path;
    }
    if at > bytes.len() {
        return Err(bad("entries run past the end"));
    }
    // Extensions: a split index keeps most entries in another file.
    while at + 8 <= bytes.len().saturating_sub(hash_len) {
        let signature = &bytes[at..at + 4];
        if signature == b"link" {
            return Err(bad("split index"));
        }
        let size = be32(at + 4).ok_or_else(|| bad("extension cut short"))? as usize;
        at += 8 + size;
    }
    Ok(paths)
}

/// Git's offset varint (index v4 path prefixes): 7 bits a byte, each continuation adds one.
fn varint(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value: usize = 0;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        if i > 0 {
            value = value.checked_add(1)?.checked_shl(7)?;
        }
        value |= (byte & 0x7f) as usize;
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, mode: u32, version: u32, previous: &str) -> Vec<u8> {
        let mut out = vec![0u8; 24];
        out.extend_from_slice(&mode.to_be_bytes());
        out.extend_from_slice(&[0u8; 12]);
        out.extend_from_slice(&[0xab; 20]);
        out.extend_from_slice(&(path.len().min(0xfff) as u16).to_be_bytes());
        if version == 4 {
            let common = previous
                .bytes()
                .zip(path.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let strip = previous.len() - common;
            assert!(strip < 128, "test helper writes one-byte varints");
            out.push(strip as u8);
            out.extend_from_slice(&path.as_bytes()[common..]);
            out.push(0);
        } else {
            out.extend_from_slice(path.as_bytes());
            let len = out.len();
            out.resize((len + 8) / 8 * 8, 0);
        }
        out
    }

    fn index(version: u32, entries: &[(&str, u32)]) -> Vec<u8> {
        let mut out = b"DIRC".to_vec();
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        let mut previous = "";
        for (path, mode) in entries {
            out.extend(entry(path, *mode, version, previous));
            previous = path;
        }
        out.extend_from_slice(b"TREE");
        out.extend_from_slice(&3u32.to_be_bytes());
        out.extend_from_slice(b"abc");
        out.extend_from_slice(&[0u8; 20]);
        out
    }

    #[test]
    fn reads_every_version() {
        let entries = [
            (".github/workflows/ci.yml", 0o100644),
            (".github/workflows/release.yml", 0o100644),
            ("Dockerfile", 0o120000),
            ("sub", 0o160000),
            ("tools/run.sh", 0o100755),
        ];
        for version in [2, 3, 4] {
            let paths = parse_index(&index(version, &entries), 20).unwrap();
            assert_eq!(
                paths,
                [
                    ".github/workflows/ci.yml",
                    ".github/workflows/release.yml",
                    "Dockerfile",
                    "tools/run.sh"
                ],
                "version {version}"
            );
        }
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert!(parse_index(b"nope", 20).is_err());
        let mut cut = index(2, &[("Dockerfile", 0o100644)]);
        cut.truncate(40);
        assert!(parse_index(&cut, 20).is_err());
        let mut split = index(2, &[("Dockerfile", 0o100644)]);
        let at = split.len() - 20 - 11;
        split[at..at + 4].copy_from_slice(b"link");
        assert!(parse_index(&split, 20).is_err());
    }

    #[test]
    fn reads_the_index_git_writes() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .output()
        };
        if git(&["init", "-q"]).is_err() {
            return; // no git on this machine: the format tests above still ran
        }
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/Dockerfile"), "FROM x\n").unwrap();
        std::fs::write(dir.path().join("compose.yaml"), "services: {}\n").unwrap();
        git(&["add", "."]).unwrap();
        for version in ["2", "3", "4"] {
            git(&["update-index", "--index-version", version]).unwrap();
            let (tree, git_dir) = find_repository(&dir.path().join("a")).unwrap();
            assert_eq!(tree, std::fs::canonicalize(dir.path()).unwrap());
            assert_eq!(
                tracked_paths(&git_dir).unwrap(),
                ["a/b/Dockerfile", "compose.yaml"]
            );
        }
    }
}
