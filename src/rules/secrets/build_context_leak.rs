use super::credential_files::{DockerIgnore, credential_file};
use crate::parse::Document;
use crate::parse::dockerfile::unquote;
use crate::rules::{Context, declare_rule};

/// Bounds of the walk over a build context: real contexts are found within them.
const MAX_ENTRIES: usize = 20_000;
const MAX_DEPTH: usize = 6;

declare_rule! {
    /// ## What it does
    /// Flags `COPY . <dest>` / `ADD . <dest>` (the whole build context) in a Dockerfile whose
    /// build context holds credential files (the names `secret-file-in-image` knows, `.env`,
    /// private keys, `.npmrc`, …) or a `.git` folder that `.dockerignore` does not exclude — or
    /// when there is no `.dockerignore` at all. The build context is the Dockerfile's folder;
    /// for a compose service built with another `build.context`, that context is checked and
    /// the finding is at `build.context`, with the Dockerfile's `COPY .` as related location.
    /// `.dockerignore` is applied as Docker does: `*`, `?` and `**` patterns, `!` exceptions,
    /// the last matching line winning. The walk over the context is bounded (depth 6, 20,000
    /// entries) and skips `node_modules` and similar trees.
    ///
    /// ## Why is this bad?
    /// `COPY .` sends everything in the folder to the builder and into the image: a developer's
    /// `.env`, a deploy key, the `.git` history with its packed objects. They ship to everyone
    /// who pulls the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    /// WORKDIR /app
    /// COPY . .
    /// ```
    ///
    /// ## Use instead
    /// Copy what the image needs, and keep a `.dockerignore` that excludes `.git`, `.env*` and
    /// keys:
    /// ```dockerfile
    /// FROM python:3.12-slim@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    /// WORKDIR /app
    /// COPY src/ ./src/
    /// ```
    pub static BUILD_CONTEXT_LEAK = {
        id: "build-context-leak",
        summary: "whole build context copied, with secrets in it",
        level: Warning,
        kinds: [Dockerfile, Compose],
        tags: ["security", "secret", "external/cwe/cwe-538"],
        security_severity: Some("6.5"),
        check: Some(check),
    }
}

/// `COPY .` / `ADD .` instructions (not from another stage): (keyword, span of the source).
pub fn whole_context_copies(
    file: &crate::parse::dockerfile::Dockerfile,
) -> Vec<(String, crate::source::Span)> {
    file.instructions
        .iter()
        .filter(|i| {
            matches!(i.keyword.as_str(), "COPY" | "ADD")
                && !i.flags.iter().any(|f| f.name == "from")
        })
        .filter_map(|i| {
            let (_, sources) = i.words.split_last()?;
            sources
                .iter()
                .find(|s| matches!(unquote(&s.text).as_str(), "." | "./" | "*" | "./*"))
                .map(|s| (i.keyword.clone(), s.span))
        })
        .collect()
}

/// What leaks from a build context: (shown list, whether a .dockerignore exists), or `None`
/// when nothing sensitive is left in. `dockerfile_name` selects `<name>.dockerignore` first.
fn leaks(
    project: &crate::rules::Project,
    context: &std::path::Path,
    dockerfile_name: &str,
) -> Option<(String, bool)> {
    // A context outside the project is not walked: it is not this repository's to judge.
    if !project.inside_roots(context) {
        return None;
    }
    let ignore = project
        .read_referenced(&context.join(format!("{dockerfile_name}.dockerignore")))
        .or_else(|| project.read_referenced(&context.join(".dockerignore")));
    let has_ignore = ignore.is_some();
    let ignore = DockerIgnore::parse(&ignore.unwrap_or_default());
    let leaked = sensitive_files(context, &ignore);
    if leaked.is_empty() {
        return None;
    }
    let shown: Vec<String> = leaked.iter().take(3).map(|p| format!("`{p}`")).collect();
    let more = if leaked.len() > 3 {
        format!(" and {} more", leaked.len() - 3)
    } else {
        String::new()
    };
    Some((format!("{}{more}", shown.join(", ")), has_ignore))
}

const HELP: &str = "add them to `.dockerignore` (`.git`, `.env*`, `*.pem`, …) or copy only the paths the image needs";

fn check(doc: &Document, cx: &mut Context) {
    match doc {
        Document::Dockerfile(file) => {
            let copies = whole_context_copies(file);
            if copies.is_empty() {
                return;
            }
            let Some(context) = cx.path.parent() else {
                return;
            };
            let name = cx
                .path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("Dockerfile");
            let Some((shown, has_ignore)) = leaks(cx.project, context, name) else {
                return;
            };
            let why = if has_ignore {
                ".dockerignore does not exclude them"
            } else {
                "there is no .dockerignore"
            };
            for (keyword, span) in copies {
                cx.report(
                    span,
                    format!(
                        "`{keyword} .` copies {shown} from the build context into the image: {why}"
                    ),
                )
                .help(HELP);
            }
        }
        // A compose service whose build context is not the Dockerfile's folder.
        Document::Compose(root) => {
            let values = crate::rules::runtime::Values::new(cx);
            let mut reports = Vec::new();
            for service in &crate::parse::compose::services(root) {
                let Some(build) = service.get("build") else {
                    continue;
                };
                let Some(dockerfile) =
                    crate::rules::runtime::service_dockerfile(service, cx.path, &values)
                else {
                    continue;
                };
                let context_dir = match build.as_str() {
                    Some(c) => cx.path.parent().map(|d| d.join(c)),
                    None => build
                        .get("context")
                        .and_then(|c| values.text(c))
                        .or(Some(".".into()))
                        .and_then(|c| cx.path.parent().map(|d| d.join(c))),
                };
                let Some(context_dir) = context_dir else {
                    continue;
                };
                // The Dockerfile's own folder is checked when the Dockerfile is scanned.
                if dockerfile
                    .parent()
                    .and_then(|p| std::fs::canonicalize(p).ok())
                    == std::fs::canonicalize(&context_dir).ok()
                {
                    continue;
                }
                let Some(facts) = cx.project.dockerfile_facts(&dockerfile) else {
                    continue;
                };
                let Some(copy) = facts.copies_context.clone() else {
                    continue;
                };
                let name = dockerfile
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("Dockerfile")
                    .to_string();
                if let Some((shown, has_ignore)) = leaks(cx.project, &context_dir, &name) {
                    let at = build.get("context").map_or(service.key.span, |c| c.span);
                    let why = if has_ignore {
                        ".dockerignore does not exclude them"
                    } else {
                        "there is no .dockerignore"
                    };
                    reports.push((at, format!("Service `{}` builds with a context holding {shown}, and its Dockerfile copies the whole context: {why}", service.name), copy));
                }
            }
            values.finish(cx);
            for (span, message, copy) in reports {
                cx.report(span, message)
                    .help(HELP)
                    .related_elsewhere(copy, "the whole context is copied here");
            }
        }
        _ => {}
    }
}

/// Credential files and `.git` in the context that the ignore rules leave in, sorted.
fn sensitive_files(context: &std::path::Path, ignore: &DockerIgnore) -> Vec<String> {
    let mut found = Vec::new();
    let walker = walkdir_like(context);
    for rel in walker {
        let sensitive = rel == ".git" || credential_file(&rel).is_some();
        if sensitive && !ignore.excludes(&rel) {
            found.push(rel);
        }
    }
    found.sort();
    found
}

/// Relative paths under `root` (files, and the `.git` folder itself), bounded in depth and
/// count, without following links or entering dependency trees.
fn walkdir_like(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    let mut seen = 0;
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return out;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            let Ok(rel) = path.strip_prefix(root) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let name = entry.file_name().to_string_lossy().to_string();
            if kind.is_dir() {
                if name == ".git" {
                    out.push(rel);
                } else if depth + 1 < MAX_DEPTH
                    && !matches!(
                        name.as_str(),
                        "node_modules" | "vendor" | "target" | ".venv" | "__pycache__"
                    )
                {
                    stack.push((path, depth + 1));
                }
            } else if kind.is_file() {
                out.push(rel);
            }
        }
    }
    out
}
