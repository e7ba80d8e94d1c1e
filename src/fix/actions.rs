//! Actions: `uses: owner/repo@v4` → `uses: owner/repo@<commit> # v4`, each distinct action
//! and ref resolved once through the GitHub API. Only the ref changes: indentation, quotes and
//! the rest of the line stay, and an existing comment is kept after the version.

use std::collections::HashMap;

use crate::github::{self, encode_path};
use crate::online::is_commit_sha;
use crate::rules::actions::RemoteUses;
use crate::source::LineIndex;

/// One `uses:` that names a mutable ref, found on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpinned {
    /// 0-based line index.
    pub line: usize,
    /// `owner/repo` (the part the API needs).
    pub repository: String,
    /// The ref as written.
    pub reference: String,
    /// Byte range of the ref in the line.
    pub ref_range: std::ops::Range<usize>,
}

/// Find `uses: owner/repo[/path]@ref` with a ref that is not a full commit SHA: every `uses`
/// key of the YAML (so a `uses:` line inside a `run:` script is not one), in line order.
pub fn unpinned_uses(text: &str) -> Vec<Unpinned> {
    unpinned_uses_explained(text).0
}

/// [`unpinned_uses`], and the `uses:` values that cannot be edited safely, each with its
/// 1-based line and the reason (`line N: …`): a ref written with escapes, or in a block
/// scalar (`>-`, `|`), where the ` # v4` comment would become part of the value.
pub fn unpinned_uses_explained(text: &str) -> (Vec<Unpinned>, Vec<String>) {
    let Ok(Some(root)) = crate::parse::yaml::parse(text) else {
        return (Vec::new(), Vec::new());
    };
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    let mut pending = vec![&root];
    while let Some(node) = pending.pop() {
        pending.extend(node.as_seq().unwrap_or(&[]));
        for entry in node.as_map().unwrap_or(&[]) {
            pending.push(&entry.value);
            let Some(value) = entry
                .value
                .as_str()
                .filter(|_| entry.key.as_str() == Some("uses"))
            else {
                continue;
            };
            let Some(RemoteUses {
                target,
                reference: Some((reference, offset)),
            }) = RemoteUses::parse(value)
            else {
                continue;
            };
            let mut parts = target.split('/');
            let (Some(owner), Some(repo)) = (parts.next(), parts.next()) else {
                continue;
            };
            if owner.is_empty()
                || repo.is_empty()
                || reference.is_empty()
                || is_commit_sha(reference)
            {
                continue;
            }
            let value_line = lines.line_of(entry.key.span.start as usize) + 1;
            let block = matches!(
                entry.value.value,
                crate::parse::yaml::Value::Scalar(crate::parse::yaml::Scalar {
                    style: crate::parse::yaml::Style::Literal | crate::parse::yaml::Style::Folded,
                    ..
                })
            );
            if block {
                skipped.push(format!(
                    "line {value_line}: `{value}` is a block scalar; pin it by hand"
                ));
                continue;
            }
            // Only a ref that stands in the source as written is edited: the rest of the
            // value (escapes, quotes) is never touched.
            let span = entry.value.subspan(text, offset..offset + reference.len());
            let line = lines.line_of(span.start as usize);
            let verbatim = text.get(span.range()) == Some(reference)
                && lines.line_of(span.end as usize) == line;
            if !verbatim {
                skipped.push(format!(
                    "line {value_line}: the ref of `{value}` is written with escapes; pin it by hand"
                ));
                continue;
            }
            // The ` # v4` comment goes at the end of the line: the value must end there too.
            let value_end = (entry.value.span.end as usize).saturating_sub(1);
            if lines.line_of(value_end.max(span.start as usize)) != line {
                skipped.push(format!(
                    "line {value_line}: `{value}` goes on past the line of its ref; pin it by hand"
                ));
                continue;
            }
            let line_start = lines.line_span(text, line).start as usize;
            out.push(Unpinned {
                line,
                repository: format!("{owner}/{repo}"),
                reference: reference.to_string(),
                ref_range: span.start as usize - line_start..span.end as usize - line_start,
            });
        }
    }
    // An anchor's value reached through several aliases is one place in the text.
    out.sort_by_key(|u| (u.line, u.ref_range.start));
    out.dedup();
    skipped.sort();
    skipped.dedup();
    (out, skipped)
}

/// `text` with each found ref replaced by its commit and the ref kept as a comment.
pub fn rewrite(
    text: &str,
    found: &[Unpinned],
    commits: &HashMap<(String, String), String>,
) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    for u in found {
        let Some(commit) = commits.get(&(u.repository.clone(), u.reference.clone())) else {
            continue;
        };
        let line = &lines[u.line];
        let (code, comment) = split_comment(line, u.ref_range.end);
        let mut new = String::new();
        new.push_str(&code[..u.ref_range.start]);
        new.push_str(commit);
        new.push_str(code[u.ref_range.end..].trim_end());
        new.push_str(" # ");
        new.push_str(&u.reference);
        if let Some(comment) = comment {
            new.push_str(" - ");
            new.push_str(comment);
        }
        if line.ends_with('\r') && !new.ends_with('\r') {
            new.push('\r');
        }
        lines[u.line] = new;
    }
    lines.join("\n")
}

/// Split a line at its comment (a `#` after whitespace, past `from`); the comment's text.
fn split_comment(line: &str, from: usize) -> (&str, Option<&str>) {
    let bytes = line.as_bytes();
    for i in from..bytes.len() {
        if bytes[i] == b'#' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            let text = line[i + 1..].trim();
            return (&line[..i], (!text.is_empty()).then_some(text));
        }
    }
    (line.trim_end_matches('\r'), None)
}

/// One lookup per distinct action and ref: `GET /repos/{owner}/{repo}/commits/{ref}` resolves
/// tags (annotated or not), branches and short SHAs to the commit.
pub fn resolve(
    wanted: &[(String, String)],
    api_url: &str,
    token: Option<&str>,
    unresolved: &mut Vec<String>,
) -> Result<HashMap<(String, String), String>, String> {
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    github::block_on(async {
        let client = github::client_maybe_anonymous(api_url, token)?;
        let mut commits = HashMap::new();
        // A few lookups at once; the command's network deadline bounds them all.
        let mut running = tokio::task::JoinSet::new();
        let mut queue = wanted.iter().cloned();
        loop {
            while running.len() < CONCURRENT_LOOKUPS {
                let Some((repository, reference)) = queue.next() else {
                    break;
                };
                let client = client.clone();
                running.spawn(async move {
                    let route = format!("/repos/{repository}/commits/{}", encode_path(&reference));
                    let answer = github::get_json(&client, &route).await;
                    (repository, reference, answer)
                });
            }
            let Some(done) = running.join_next().await else {
                break;
            };
            let Ok((repository, reference, answer)) = done else {
                continue;
            };
            match answer {
                Ok(commit) => match commit["sha"].as_str() {
                    Some(sha) if is_commit_sha(sha) => {
                        commits.insert((repository, reference), sha.to_string());
                    }
                    _ => unresolved
                        .push(format!("{repository}@{reference}: no commit in the answer")),
                },
                Err(e) => unresolved.push(format!(
                    "{repository}@{reference}: {}",
                    github::describe(e, "resolve")
                )),
            }
        }
        unresolved.sort();
        Ok(commits)
    })?
}

/// GitHub lookups `fix --pin` makes at once.
const CONCURRENT_LOOKUPS: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "11bd71901bbe5b1630ceea73d27597364c9af683";

    #[test]
    fn finds_mutable_refs_only() {
        let text = "steps:\n  - uses: actions/checkout@v4\n  - uses: \"actions/cache/save@v4.1\" # cache\n  - uses: ./local\n  - uses: docker://alpine:3\n  - uses: a/b@11bd71901bbe5b1630ceea73d27597364c9af683\n    uses: x\njobs:\n  call:\n    uses: org/wf/.github/workflows/r.yml@main\n";
        let found = unpinned_uses(text);
        let names: Vec<(&str, &str, usize)> = found
            .iter()
            .map(|u| (u.repository.as_str(), u.reference.as_str(), u.line))
            .collect();
        assert_eq!(
            names,
            [
                ("actions/checkout", "v4", 1),
                ("actions/cache", "v4.1", 2),
                ("org/wf", "main", 9)
            ]
        );
        let line = text.lines().nth(2).unwrap();
        assert_eq!(&line[found[1].ref_range.clone()], "v4.1");
    }

    #[test]
    fn rewrites_only_the_ref_and_keeps_comments_and_quotes() {
        let text =
            "  - uses: actions/checkout@v4\r\n  - uses: \"actions/cache/save@v4.1\"   # cache it\n";
        let found = unpinned_uses(text);
        let mut commits = HashMap::new();
        commits.insert(("actions/checkout".into(), "v4".into()), SHA.to_string());
        commits.insert(("actions/cache".into(), "v4.1".into()), SHA.to_string());
        let new = rewrite(text, &found, &commits);
        assert_eq!(
            new,
            format!(
                "  - uses: actions/checkout@{SHA} # v4\r\n  - uses: \"actions/cache/save@{SHA}\" # v4.1 - cache it\n"
            )
        );
        assert!(unpinned_uses(&new).is_empty());
        let d = super::super::diff("ci.yml", text, &new);
        assert!(d.starts_with(
            "--- a/ci.yml\n+++ b/ci.yml\n@@ -1,2 +1,2 @@\n-  - uses: actions/checkout@v4\r\n+"
        ));
    }

    #[test]
    fn refs_that_are_not_written_as_they_read_are_left_alone() {
        // Escapes in the name only: the ref is as written, so only the ref changes.
        let escaped_name = "steps:\n  - uses: \"\\x61ctions/checkout@v4\"\n";
        let (found, skipped) = unpinned_uses_explained(escaped_name);
        assert_eq!(found.len(), 1, "{skipped:?}");
        let mut commits = HashMap::new();
        commits.insert(("actions/checkout".into(), "v4".into()), SHA.to_string());
        assert_eq!(
            rewrite(escaped_name, &found, &commits),
            format!("steps:\n  - uses: \"\\x61ctions/checkout@{SHA}\" # v4\n")
        );
        for (text, why) in [
            // An escape inside the ref.
            ("steps:\n  - uses: \"actions/checkout@v\\x34\"\n", "escapes"),
            // A double-quoted value going on past the ref's line.
            (
                "steps:\n  - uses: \"actions/checkout@v4\n      \"\n",
                "past the line",
            ),
            // A block scalar: a comment would become part of the value.
            (
                "steps:\n  - uses: >-\n      actions/checkout@v4\n",
                "block scalar",
            ),
        ] {
            let (found, skipped) = unpinned_uses_explained(text);
            assert!(found.is_empty(), "{text:?}: {found:?}");
            assert!(
                skipped.len() == 1
                    && skipped[0].contains(why)
                    && skipped[0].starts_with("line 2: "),
                "{text:?}: {skipped:?}"
            );
        }
    }

    #[test]
    fn a_uses_line_inside_a_script_is_not_a_uses() {
        let text = "jobs:\n  t:\n    steps:\n      - run: |\n          cat > wf.yml <<EOF\n          uses: actions/cache@v4\n          EOF\n      - {uses: actions/checkout@v4}\n";
        let found = unpinned_uses(text);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line, found[0].reference.as_str()), (7, "v4"));
        assert_eq!(
            &text.lines().nth(7).unwrap()[found[0].ref_range.clone()],
            "v4"
        );
    }

    #[test]
    fn refs_are_encoded_for_the_url() {
        assert_eq!(encode_path("release/v1+x"), "release/v1%2Bx");
    }
}
