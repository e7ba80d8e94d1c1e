//! `portcullis fix --pin`: pin actions to the commit their ref names now (`@<sha> # v4`) and
//! images to the digest their tag names now (`name:tag@sha256:…`), each distinct action, ref
//! and image resolved once. Edits keep everything else: indentation, quotes, comments, line
//! endings, the number of lines.

mod actions;
mod images;

use std::collections::HashMap;
use std::path::PathBuf;

pub use actions::{Unpinned, rewrite, unpinned_uses, unpinned_uses_explained};
pub use images::{ImagePin, candidates, insert_digests};

use crate::source::FileKind;

/// Where `fix --pin` looks things up.
pub struct Settings<'a> {
    pub api_url: &'a str,
    pub token: Option<&'a str>,
    /// Send every registry request here instead of the image's registry (a mirror).
    pub registry_mirror: Option<&'a str>,
    /// The registries that may be asked for digests (without a mirror).
    pub allowed_registries: crate::registry::Allowed,
    pub dry_run: bool,
}

/// What `fix --pin` did.
#[derive(Debug, Default)]
pub struct Summary {
    pub pinned_actions: usize,
    pub pinned_images: usize,
    pub files_changed: usize,
    /// `what: reason` for refs and tags that could not be resolved (left as they were).
    pub unresolved: Vec<String>,
    /// References left alone on purpose (a variable, no version), with the reason.
    pub skipped: Vec<String>,
    /// The diff, for `--dry-run`.
    pub diff: String,
}

/// Registry lookups made at once (each worker asks its registries one reference at a time).
const REGISTRY_WORKERS: usize = 4;

/// Pin the actions and images of `files` (path, display path, kind); write them unless
/// `settings.dry_run`.
pub fn pin(files: &[(PathBuf, String, FileKind)], settings: &Settings) -> Result<Summary, String> {
    let mut summary = Summary::default();
    // Files that are not UTF-8 are left as they are (an edit could not keep their bytes).
    let mut readable = Vec::new();
    let mut texts = Vec::new();
    let mut image_pins = Vec::new();
    for (path, display, kind) in files {
        let bytes = std::fs::read(path).map_err(|e| format!("{display}: {e}"))?;
        let Ok(text) = String::from_utf8(bytes) else {
            summary
                .skipped
                .push(format!("{display}: not UTF-8 text; left as it is"));
            continue;
        };
        image_pins.push(candidates(
            path,
            display,
            *kind,
            &text,
            &mut summary.skipped,
        ));
        readable.push((path, display, kind));
        texts.push(text);
    }

    let mut references: Vec<&str> = image_pins
        .iter()
        .flatten()
        .map(|p| p.reference.as_str())
        .collect();
    references.sort();
    references.dedup();
    let digests = resolve_digests(&references, settings, &mut summary.unresolved)?;

    // Images first: their edits are insertions at byte offsets of the text as read. The action
    // rewrite then works on lines, which the insertions never add or remove.
    let mut texts_with_digests = Vec::new();
    let mut found = Vec::new();
    for ((text, pins), (_, display, kind)) in texts.iter().zip(&image_pins).zip(&readable) {
        let (new, pinned) = insert_digests(text, pins, &digests);
        summary.pinned_images += pinned;
        found.push(if matches!(kind, FileKind::Workflow | FileKind::Action) {
            let (found, skipped) = actions::unpinned_uses_explained(&new);
            summary
                .skipped
                .extend(skipped.into_iter().map(|s| format!("{display}: {s}")));
            found
        } else {
            Vec::new()
        });
        texts_with_digests.push(new);
    }
    let mut wanted: Vec<(String, String)> = found
        .iter()
        .flatten()
        .map(|u| (u.repository.clone(), u.reference.clone()))
        .collect();
    wanted.sort();
    wanted.dedup();
    let commits = actions::resolve(
        &wanted,
        settings.api_url,
        settings.token,
        &mut summary.unresolved,
    )?;

    for (((path, display, _), text), (with_digests, found)) in readable
        .iter()
        .zip(&texts)
        .zip(texts_with_digests.iter().zip(&found))
    {
        let new = rewrite(with_digests, found, &commits);
        summary.pinned_actions += found
            .iter()
            .filter(|u| commits.contains_key(&(u.repository.clone(), u.reference.clone())))
            .count();
        if new == *text {
            continue;
        }
        summary.files_changed += 1;
        summary.diff.push_str(&diff(display, text, &new));
        if !settings.dry_run {
            std::fs::write(path, &new).map_err(|e| format!("{display}: {e}"))?;
        }
    }
    Ok(summary)
}

/// A reference and its digest, or why there is none.
type Lookup = (String, Result<String, String>);

/// The digest of each reference, asked of the registries by a few workers at once; the
/// command's network deadline bounds them all.
fn resolve_digests(
    references: &[&str],
    settings: &Settings,
    unresolved: &mut Vec<String>,
) -> Result<HashMap<String, String>, String> {
    let mut digests = HashMap::new();
    if references.is_empty() {
        return Ok(digests);
    }
    let workers = REGISTRY_WORKERS.min(references.len());
    let share = references.len().div_ceil(workers);
    let answers: Vec<Result<Vec<Lookup>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = references
            .chunks(share)
            .map(|chunk| {
                scope.spawn(move || {
                    let mut registries = crate::registry::Registries::new(
                        settings.registry_mirror,
                        settings.allowed_registries.clone(),
                    )?;
                    Ok(chunk
                        .iter()
                        .map(|r| (r.to_string(), registries.digest(r)))
                        .collect())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a registry lookup failed".to_string()))
            })
            .collect()
    });
    for answer in answers {
        for (reference, digest) in answer? {
            match digest {
                Ok(digest) => {
                    digests.insert(reference, digest);
                }
                Err(e) => unresolved.push(format!("{reference}: {e}")),
            }
        }
    }
    unresolved.sort();
    Ok(digests)
}

/// Lines of context around each change, as `git diff` writes them.
const CONTEXT: usize = 3;

/// A unified diff of two texts with the same number of lines (pinning edits lines, never adds
/// or removes them), with three lines of context, hunks merged where their context meets, and
/// git's marker for a last line without a newline: `git apply` and `patch` accept it.
pub fn diff(path: &str, old: &str, new: &str) -> String {
    let old_lines = split_lines(old);
    let new_lines = split_lines(new);
    debug_assert_eq!(old_lines.len(), new_lines.len());
    let count = old_lines.len().min(new_lines.len());
    let changed: Vec<usize> = (0..count)
        .filter(|&i| old_lines[i] != new_lines[i])
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    // Hunks as line ranges, merged where their context overlaps or touches.
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for &i in &changed {
        let start = i.saturating_sub(CONTEXT);
        let end = (i + CONTEXT + 1).min(count);
        match hunks.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => hunks.push((start, end)),
        }
    }
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    for (start, end) in hunks {
        let len = end - start;
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(start, len),
            range(start, len)
        ));
        for i in start..end {
            let (a, b) = (old_lines[i], new_lines[i]);
            if a == b {
                push_line(&mut out, ' ', a);
            } else {
                push_line(&mut out, '-', a);
                push_line(&mut out, '+', b);
            }
        }
    }
    out
}

/// `start,len` as a hunk header writes it (1-based; `,len` left out when it is 1).
fn range(start: usize, len: usize) -> String {
    if len == 1 {
        format!("{}", start + 1)
    } else {
        format!("{},{len}", start + 1)
    }
}

/// The lines of `text`, each with its end (`\n`, or nothing for a last line without one).
fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn diffs_have_three_lines_of_context_and_merge_close_hunks() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 5\n", "line five\n")
            .replace("line 9\n", "line nine\n")
            .replace("line 18\n", "line eighteen\n");
        let d = diff("f", &old, &new);
        assert_eq!(
            d,
            "--- a/f\n+++ b/f\n\
             @@ -2,11 +2,11 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n-line 9\n+line nine\n line 10\n line 11\n line 12\n\
             @@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n+line eighteen\n line 19\n line 20\n"
        );
        assert_eq!(diff("f", &old, &old), "");
    }

    #[test]
    fn a_last_line_without_a_newline_is_marked() {
        let d = diff("f", "a\nb", "a\nc");
        assert_eq!(
            d,
            "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
    }
}
