//! Walk the scan roots and classify the files Portcullis checks.
//!
//! The walk is `ignore`'s parallel walker. It sees hidden files (so that `.github/`, `.env`
//! and `.dockerignore` are found) and never descends through a symbolic link (so it cannot
//! leave the root or loop); a link to a file is followed when the file is inside the root.
//! `.gitignore` keeps untracked files out; tracked files are read from git's index and are
//! always checked, so an ignore file cannot hide what the repository ships.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::GlobSet;

use crate::source::FileKind;

/// Files at most this long may be a symbolic link written as a file (its target's path).
const MAX_LINK_TEXT: u64 = 1024;

/// Directories never entered: VCS metadata and vendored dependencies.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "vendor",
    "third_party",
    "bower_components",
    ".venv",
    "venv",
    "__pycache__",
    ".terraform",
    "target",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub path: PathBuf,
    /// Path shown to users and written to SARIF: relative, forward slashes, no `./`.
    pub display: String,
    pub kind: FileKind,
    /// Why the file is not read though it is one Portcullis checks (a link that leaves the
    /// scan root or dangles, a FIFO): reported as could not be checked.
    pub refused: Option<String>,
    /// The bytes of a small file, read while checking whether it is a link written as a file:
    /// kept so that the file is read once.
    pub text: Option<Vec<u8>>,
}

/// What reading a small file found: the text of a link checked out as a file (its target's
/// real path and its path under the root), the file's own bytes, or nothing readable.
enum SmallFile {
    Link(PathBuf, PathBuf),
    Text(Vec<u8>),
    Unread,
}

/// Renovate's configuration files (JSON, or JSON5 for the `.json5` names). Renovate reads them at
/// the repository root or under `.github/` or `.gitlab/`; a copy elsewhere (a shared preset) is
/// checked too, as the same settings would apply wherever it is used.
pub const RENOVATE_FILES: &[&str] = &[
    "renovate.json",
    "renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
];

/// Classify a path by its name (and, for workflows, its folder).
pub fn classify(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e);
    let yaml = matches!(ext, Some("yml" | "yaml"));
    if lower == ".dockerignore" || lower.ends_with(".dockerignore") {
        return Some(FileKind::Dockerignore);
    }
    if RENOVATE_FILES.contains(&lower.as_str()) {
        return Some(FileKind::DependencyBot);
    }
    if yaml {
        let parent = path.parent();
        let in_workflows = parent
            .and_then(Path::file_name)
            .is_some_and(|p| p == "workflows")
            && parent
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .is_some_and(|p| p == ".github");
        if in_workflows {
            return Some(FileKind::Workflow);
        }
        if lower == "action.yml" || lower == "action.yaml" {
            return Some(FileKind::Action);
        }
        let in_github = path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|p| p == ".github");
        if in_github && (lower == "dependabot.yml" || lower == "dependabot.yaml") {
            return Some(FileKind::DependencyBot);
        }
        if lower.starts_with("compose") || lower.starts_with("docker-compose") {
            return Some(FileKind::Compose);
        }
        return None;
    }
    if lower == ".env" || lower.starts_with(".env.") {
        return Some(FileKind::Env);
    }
    let dockerfile_like = |stem: &str| {
        lower == stem
            || lower.ends_with(&format!(".{stem}"))
            || ([".", "-", "_"]
                .iter()
                .any(|sep| lower.starts_with(&format!("{stem}{sep}")))
                && !matches!(
                    ext,
                    Some(
                        "md" | "txt"
                            | "rst"
                            | "json"
                            | "sh"
                            | "ps1"
                            | "py"
                            | "go"
                            | "rs"
                            | "js"
                            | "ts"
                            | "html"
                            | "lock"
                            | "swp"
                            | "orig"
                            | "rej"
                            | "j2"
                            | "tpl"
                            | "tmpl"
                            | "template"
                            | "erb"
                    )
                ))
    };
    if dockerfile_like("dockerfile") || dockerfile_like("containerfile") {
        return Some(FileKind::Dockerfile);
    }
    None
}

/// Could a file be text worth scanning for secrets, by its name? Lock files, minified bundles
/// and binary formats are not.
pub fn plain_text_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    const LOCKS: &[&str] = &[
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "cargo.lock",
        "go.sum",
        "poetry.lock",
        "pipfile.lock",
        "composer.lock",
        "gemfile.lock",
        "packages.lock.json",
        "uv.lock",
        "bun.lockb",
    ];
    const BINARY: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "ico", "webp", "bmp", "tiff", "svgz", "pdf", "zip", "gz",
        "tgz", "bz2", "xz", "zst", "7z", "rar", "tar", "jar", "war", "class", "so", "dylib", "dll",
        "exe", "bin", "o", "a", "lib", "wasm", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4",
        "mov", "avi", "webm", "ogg", "wav", "flac", "pyc", "pyo", "db", "sqlite", "parquet",
        "pack", "idx", "iso", "dmg", "deb", "rpm", "apk", "lockb",
    ];
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    !(LOCKS.contains(&lower.as_str())
        || BINARY.contains(&ext)
        || lower.ends_with(".min.js")
        || lower.ends_with(".min.css")
        || lower.ends_with(".map"))
}

/// The path users see: relative to the working directory when the file is below it,
/// otherwise absolute, so that files of two roots outside the working directory never share a
/// name (SARIF then gives them an absolute URI, never one that climbs out of `%SRCROOT%`).
/// Forward slashes, no `./`, no `..`.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let abs = normalize(&abs);
    let rel = abs.strip_prefix(normalize(cwd));
    let shown = match &rel {
        Ok(rel) if !rel.as_os_str().is_empty() => rel,
        _ => abs.as_path(),
    };
    shown.to_string_lossy().replace('\\', "/")
}

/// `path` without `.` and with each `..` applied to the part before it (no file system access:
/// links are resolved where it matters, by `canonicalize`).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `classify`, looking at the absolute path when the relative one is too short to show the
/// `.github/workflows` folders (a scan run from inside `.github`).
pub fn classify_found(path: &Path) -> Option<FileKind> {
    classify(path).or_else(|| {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if !(name.ends_with(".yml") || name.ends_with(".yaml"))
            || path
                .components()
                .filter(|c| matches!(c, std::path::Component::Normal(_)))
                .count()
                > 2
        {
            return None;
        }
        classify(&std::path::absolute(path).ok()?)
    })
}

/// Files found under `roots`, sorted by display path, and what the walk could not honour.
/// `exclude` holds the configured globs, matched against display paths.
///
/// In a git work tree every tracked file is a candidate whatever `.gitignore` says; untracked
/// files follow `.gitignore`. `.ignore` files are not read. Outside git, `.gitignore` is
/// honoured. Symbolic links are checked through their target when it lies inside the root.
/// `gitignore: false` reads no ignore file at all (a base tree of tracked files only).
pub fn discover(
    roots: &[PathBuf],
    exclude: &GlobSet,
    cwd: &Path,
    all_text: bool,
    gitignore: bool,
) -> (Vec<Discovered>, Vec<String>) {
    discover_to_depth(roots, exclude, cwd, all_text, gitignore, None)
}

/// [`discover`], going at most `max_depth` folders down from each root (`Some(1)`: the root's
/// own files).
fn discover_to_depth(
    roots: &[PathBuf],
    exclude: &GlobSet,
    cwd: &Path,
    all_text: bool,
    gitignore: bool,
    max_depth: Option<usize>,
) -> (Vec<Discovered>, Vec<String>) {
    let found = Mutex::new(Vec::new());
    let mut notes = Vec::new();
    // Folders of the files named as roots, with the sibling files that give them context.
    let mut context: Vec<(PathBuf, Vec<String>)> = Vec::new();
    for root in roots {
        if root.is_file() {
            // `Dockerfile` has the parent `` — `./Dockerfile` names its folder.
            let root = match root.parent() {
                Some(parent) if parent.as_os_str().is_empty() => Path::new(".").join(root),
                _ => root.clone(),
            };
            if let Some(kind) = classify_found(&root) {
                let display = display_path(&root, cwd);
                if let (Some(siblings), Some(dir)) = (context_siblings(&root, kind), root.parent())
                {
                    match context.iter_mut().find(|(d, _)| d == dir) {
                        Some((_, names)) => names.extend(siblings),
                        None => context.push((dir.to_path_buf(), siblings)),
                    }
                }
                found
                    .lock()
                    .expect("no panics while held")
                    .push(Discovered {
                        path: root,
                        display,
                        kind,
                        refused: None,
                        text: None,
                    });
            }
            continue;
        }
        let Ok(real_root) = std::fs::canonicalize(root) else {
            continue;
        };
        let walk = Walk {
            root,
            real_root: &real_root,
            cwd,
            exclude,
            all_text,
        };
        // The tracked files, when the root is in a git work tree whose index can be read. An
        // index that cannot be read means no ignore file is trusted.
        let mut honour_gitignore = gitignore;
        let mut tracked = Vec::new();
        if let Some((tree, git_dir)) = crate::tracked::find_repository(&real_root) {
            match crate::tracked::tracked_paths(&git_dir) {
                Ok(paths) => {
                    let prefix = real_root.strip_prefix(&tree).unwrap_or(Path::new(""));
                    tracked = paths
                        .into_iter()
                        .filter_map(|p| {
                            Path::new(&p)
                                .strip_prefix(prefix)
                                .ok()
                                .map(|rel| root.join(rel))
                        })
                        .collect();
                }
                Err(e) => {
                    honour_gitignore = false;
                    notes.push(format!("{}; .gitignore files were not applied", e.0));
                }
            }
        }
        let walker = ignore::WalkBuilder::new(root)
            .max_depth(max_depth)
            .hidden(false)
            .follow_links(false)
            .require_git(false)
            .git_global(false)
            .git_ignore(honour_gitignore)
            .git_exclude(honour_gitignore)
            .ignore(false)
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !(is_dir && entry.depth() > 0 && skipped_dir(entry.file_name()))
            })
            .build_parallel();
        walker.run(|| {
            let found = &found;
            let walk = &walk;
            Box::new(move |entry| {
                if let Ok(entry) = entry
                    && let Some(file) = walk.candidate(entry.path())
                {
                    found.lock().expect("no panics while held").push(file);
                }
                ignore::WalkState::Continue
            })
        });
        // Tracked files the ignore rules hid from the walk.
        let mut found = found.lock().expect("no panics while held");
        for path in tracked {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            if rel.parent().is_some_and(|dir| dir.iter().any(skipped_dir))
                || max_depth.is_some_and(|depth| rel.components().count() > depth)
            {
                continue;
            }
            if let Some(file) = walk.candidate(&path) {
                found.push(file);
            }
        }
    }
    let mut files = found.into_inner().expect("no panics while held");
    // A file named alone is checked with the context a scan of its folder would give it: the
    // `.env` beside a compose file (interpolation), the `.dockerignore` beside a Dockerfile
    // (its build context). They are scanned too, as in a folder scan, when that scan would
    // find them (tracked, or not ignored).
    for (dir, names) in context {
        let Ok(real_dir) = std::fs::canonicalize(&dir) else {
            continue;
        };
        // Only the folder's own files: a file named alone must not cost a walk of the tree
        // below it (a pre-commit hook at the top of a large repository).
        let (beside, _) = discover_to_depth(&[dir], exclude, cwd, all_text, gitignore, Some(1));
        files.extend(beside.into_iter().filter(|file| {
            let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            names.iter().any(|n| n == name)
                && file
                    .path
                    .parent()
                    .and_then(|p| std::fs::canonicalize(p).ok())
                    .is_some_and(|p| p == real_dir)
        }));
    }
    files.sort_by(|a, b| a.display.cmp(&b.display));
    files.dedup_by(|a, b| a.display == b.display);
    (files, notes)
}

/// The names of the files beside `file` that a folder scan would use to check it.
fn context_siblings(file: &Path, kind: FileKind) -> Option<Vec<String>> {
    let name = file.file_name()?.to_str()?;
    match kind {
        FileKind::Compose => Some(vec![".env".to_string()]),
        FileKind::Dockerfile => Some(vec![
            ".dockerignore".to_string(),
            format!("{name}.dockerignore"),
        ]),
        _ => None,
    }
}

/// Folders never entered: VCS metadata and vendored dependencies.
pub fn skipped_dir(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n))
}

/// One scan root's walk: what makes a path a file to check.
struct Walk<'a> {
    root: &'a Path,
    real_root: &'a Path,
    cwd: &'a Path,
    exclude: &'a GlobSet,
    all_text: bool,
}

impl Walk<'_> {
    /// The file to check at `path`, if it is one. A symbolic link is checked through its
    /// target when the target is a file inside the root (shown at the target's path, so each
    /// file is checked once); one that leaves the root or dangles is refused, like a FIFO or
    /// device with a name Portcullis checks.
    fn candidate(&self, path: &Path) -> Option<Discovered> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        let file_type = meta.file_type();
        if file_type.is_dir() {
            return None;
        }
        let kind = classify_found(path).or_else(|| {
            (self.all_text && file_type.is_file() && plain_text_name(path))
                .then_some(FileKind::Text)
        })?;
        let display = display_path(path, self.cwd);
        if self.exclude.is_match(&display) {
            return None;
        }
        let refused = |reason: &str| {
            Some(Discovered {
                path: path.to_path_buf(),
                display: display.clone(),
                kind,
                refused: Some(reason.to_string()),
                text: None,
            })
        };
        if file_type.is_symlink() {
            if kind == FileKind::Text {
                return None;
            }
            let Ok(real) = std::fs::canonicalize(path) else {
                return refused("a symbolic link that points nowhere; not checked");
            };
            if real.is_dir() {
                return None;
            }
            let Ok(inside) = real.strip_prefix(self.real_root) else {
                return refused("a symbolic link to a file outside the scan root; not followed");
            };
            if !real.is_file() {
                return refused("a symbolic link to something other than a regular file; not read");
            }
            let shown = self.root.join(inside);
            return self.through_link(real, &shown, kind);
        }
        if !file_type.is_file() {
            if kind == FileKind::Text {
                return None;
            }
            return refused("not a regular file (a FIFO, device or socket); not read");
        }
        let mut text = None;
        if kind != FileKind::Text && meta.len() <= MAX_LINK_TEXT {
            match self.link_written_as_file(path) {
                SmallFile::Link(real, shown) => return self.through_link(real, &shown, kind),
                SmallFile::Text(bytes) => text = Some(bytes),
                SmallFile::Unread => {}
            }
        }
        Some(Discovered {
            path: path.to_path_buf(),
            display,
            kind,
            refused: None,
            text,
        })
    }

    /// A file reached through a link (real or checked out as a file): read at its real path,
    /// shown and excluded by its path under the root.
    fn through_link(&self, real: PathBuf, shown: &Path, kind: FileKind) -> Option<Discovered> {
        let display = display_path(shown, self.cwd);
        if self.exclude.is_match(&display) {
            return None;
        }
        Some(Discovered {
            path: real,
            display,
            kind,
            refused: None,
            text: None,
        })
    }

    /// A symbolic link checked out as a file (git with `core.symlinks=false`, an archive
    /// that kept no links) holds only its target's path, e.g. `docker/Dockerfile`. When that
    /// names a regular file inside the root, the link is read as Docker reads the real link:
    /// through its target. Returns the target's real path and its path under the root.
    fn link_written_as_file(&self, path: &Path) -> SmallFile {
        let Ok(bytes) = std::fs::read(path) else {
            return SmallFile::Unread;
        };
        match self.link_target(path, &bytes) {
            Some((real, shown)) => SmallFile::Link(real, shown),
            None => SmallFile::Text(bytes),
        }
    }

    /// The target's real path and its path under the root, when `bytes` name a regular file
    /// inside the root as a link's text would.
    fn link_target(&self, path: &Path, bytes: &[u8]) -> Option<(PathBuf, PathBuf)> {
        let text = std::str::from_utf8(bytes).ok()?;
        let target = text.strip_suffix('\n').unwrap_or(text);
        if target.is_empty()
            || target.contains(['\n', ' ', '\t', '\r'])
            || !target.contains(['/', '.'])
            || target.starts_with('/')
        {
            return None;
        }
        let candidate = path.parent()?.join(target);
        let real = std::fs::canonicalize(&candidate).ok()?;
        let inside = real.strip_prefix(self.real_root).ok()?;
        let original = std::fs::canonicalize(path).ok()?;
        (real.is_file() && real != original).then(|| (real.clone(), self.root.join(inside)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_name() {
        let c = |p: &str| classify(Path::new(p));
        assert_eq!(c("Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(c("app/Containerfile"), Some(FileKind::Dockerfile));
        assert_eq!(c("api.Dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(c("build/web.dockerfile"), Some(FileKind::Dockerfile));
        assert_eq!(c("Dockerfile.prod"), Some(FileKind::Dockerfile));
        assert_eq!(c("Dockerfile.md"), None);
        assert_eq!(c(".github/dependabot.yml"), Some(FileKind::DependencyBot));
        assert_eq!(c("renovate.json"), Some(FileKind::DependencyBot));
        assert_eq!(c(".github/renovate.json5"), Some(FileKind::DependencyBot));
        assert_eq!(c(".renovaterc"), Some(FileKind::DependencyBot));
        assert_eq!(c("renovate.md"), None);
        assert_eq!(c("dependabot.yml"), None);
        assert_eq!(c("Dockerfile-dev"), Some(FileKind::Dockerfile));
        assert_eq!(c("Dockerfile_prod"), Some(FileKind::Dockerfile));
        assert_eq!(c("dockerfile-alpine"), Some(FileKind::Dockerfile));
        assert_eq!(c("Containerfile-ubi"), Some(FileKind::Dockerfile));
        assert_eq!(c("Dockerfile-dev.sh"), None);
        assert_eq!(c("compose.yaml"), Some(FileKind::Compose));
        assert_eq!(c("docker-compose.override.yml"), Some(FileKind::Compose));
        assert_eq!(c("compose.prod.yml"), Some(FileKind::Compose));
        assert_eq!(c("docker-compose-dev.yaml"), Some(FileKind::Compose));
        assert_eq!(c(".github/workflows/ci.yml"), Some(FileKind::Workflow));
        assert_eq!(c("x/.github/workflows/ci.yaml"), Some(FileKind::Workflow));
        assert_eq!(c(".github/ci.yml"), None);
        assert_eq!(c("action.yml"), Some(FileKind::Action));
        assert_eq!(c("sub/action.yaml"), Some(FileKind::Action));
        assert_eq!(c(".env"), Some(FileKind::Env));
        assert_eq!(c(".env.production"), Some(FileKind::Env));
        assert_eq!(c(".dockerignore"), Some(FileKind::Dockerignore));
        assert_eq!(c("Dockerfile.dockerignore"), Some(FileKind::Dockerignore));
        assert_eq!(c("README.md"), None);
        assert_eq!(c("values.yaml"), None);
    }

    #[test]
    fn display_paths_are_relative_with_forward_slashes() {
        let cwd = Path::new("/repo");
        assert_eq!(
            display_path(Path::new("./a/Dockerfile"), cwd),
            "a/Dockerfile"
        );
        assert_eq!(
            display_path(Path::new("/repo/b/compose.yml"), cwd),
            "b/compose.yml"
        );
        // Outside the working folder: absolute, so two roots never collide.
        assert_eq!(
            display_path(Path::new("/elsewhere/x/Dockerfile"), cwd),
            "/elsewhere/x/Dockerfile"
        );
        assert_eq!(
            display_path(Path::new("../other/Dockerfile"), cwd),
            "/other/Dockerfile"
        );
    }
}
