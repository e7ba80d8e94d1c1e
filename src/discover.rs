//! Walk the scan roots and classify the files Portcullis checks.
//!
//! The walk is `ignore`'s parallel, gitignore-aware walker: it honours `.gitignore`, never
//! follows symbolic links (so it cannot leave the root or loop), and sees hidden files so that
//! `.github/`, `.env` and `.dockerignore` are found.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::GlobSet;

use crate::source::FileKind;

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
}

/// Classify a path by its name (and, for workflows, its folder).
pub fn classify(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map(|(_, e)| e);
    let yaml = matches!(ext, Some("yml" | "yaml"));
    if lower == ".dockerignore" || lower.ends_with(".dockerignore") {
        return Some(FileKind::Dockerignore);
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
            || (lower.starts_with(&format!("{stem}."))
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

/// The path users see: relative to the working directory when the file is below it, otherwise
/// relative to the scan root.
pub fn display_path(path: &Path, root: &Path, cwd: &Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let rel = abs
        .strip_prefix(cwd)
        .or_else(|_| path.strip_prefix(root))
        .unwrap_or(path);
    let mut out = String::new();
    for part in rel.components() {
        use std::path::Component;
        match part {
            Component::CurDir => continue,
            Component::Normal(p) => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(&p.to_string_lossy());
            }
            other => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    if out.is_empty() {
        out = path.to_string_lossy().replace('\\', "/");
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

/// Files found under `roots`, sorted by display path. `exclude` holds the configured globs,
/// matched against display paths.
pub fn discover(
    roots: &[PathBuf],
    exclude: &GlobSet,
    cwd: &Path,
    all_text: bool,
) -> Vec<Discovered> {
    let found = Mutex::new(Vec::new());
    for root in roots {
        if root.is_file() {
            if let Some(kind) = classify_found(root) {
                let display = display_path(root, root.parent().unwrap_or(root), cwd);
                found
                    .lock()
                    .expect("no panics while held")
                    .push(Discovered {
                        path: root.clone(),
                        display,
                        kind,
                    });
            }
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .follow_links(false)
            .require_git(false)
            .git_global(false)
            .filter_entry(|entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                !(is_dir
                    && entry.depth() > 0
                    && entry
                        .file_name()
                        .to_str()
                        .is_some_and(|n| SKIPPED_DIRS.contains(&n)))
            })
            .build_parallel();
        walker.run(|| {
            let found = &found;
            Box::new(move |entry| {
                let Ok(entry) = entry else {
                    return ignore::WalkState::Continue;
                };
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    return ignore::WalkState::Continue;
                }
                let Some(kind) = classify_found(entry.path()).or_else(|| {
                    (all_text && plain_text_name(entry.path())).then_some(FileKind::Text)
                }) else {
                    return ignore::WalkState::Continue;
                };
                let display = display_path(entry.path(), root, cwd);
                if exclude.is_match(&display) {
                    return ignore::WalkState::Continue;
                }
                found
                    .lock()
                    .expect("no panics while held")
                    .push(Discovered {
                        path: entry.into_path(),
                        display,
                        kind,
                    });
                ignore::WalkState::Continue
            })
        });
    }
    let mut files = found.into_inner().expect("no panics while held");
    files.sort_by(|a, b| a.display.cmp(&b.display));
    files.dedup_by(|a, b| a.display == b.display);
    files
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
            display_path(Path::new("./a/Dockerfile"), Path::new("."), cwd),
            "a/Dockerfile"
        );
        assert_eq!(
            display_path(Path::new("/repo/b/compose.yml"), Path::new("/repo"), cwd),
            "b/compose.yml"
        );
        assert_eq!(
            display_path(
                Path::new("/elsewhere/x/Dockerfile"),
                Path::new("/elsewhere"),
                cwd
            ),
            "x/Dockerfile"
        );
    }
}
