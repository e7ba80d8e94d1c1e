//! GitHub Actions supply chain: what `uses:` pulls in. `unpinned-action` reads the files alone;
//! the others ask GitHub about the refs (`scan --online`).

pub mod archived_action;
pub mod forbidden_action;
pub mod impostor_commit;
pub mod known_vulnerable_action;
pub mod ref_confusion;
pub mod ref_version_mismatch;
pub mod typosquatted_action;
pub mod unpinned_action;

use crate::parse::Document;
use crate::parse::workflow::uses_entries;
use crate::parse::yaml::Node;
use crate::rules::Context;
use crate::source::Span;

/// One `uses: owner/repo[/path][@ref]` of a remote action or reusable workflow.
pub struct ActionUse<'a> {
    /// `owner/repo[/path]`, as written.
    pub target: &'a str,
    /// `owner/repo`: what the GitHub API knows.
    pub repository: String,
    /// The ref after the last `@`; `None` when there is none.
    pub reference: Option<&'a str>,
    /// The ref in the source (the whole value when there is no ref).
    pub ref_span: Span,
    /// The `uses:` value node.
    pub value: &'a Node,
    /// The version a trailing comment names (`@<sha> # v4.2.2`), if any, and where.
    pub comment_version: Option<&'a str>,
    pub comment_span: Option<Span>,
    /// Nothing but blanks follows the value on its line (a version comment can be added).
    pub ends_line: bool,
}

impl ActionUse<'_> {
    /// Edits that pin this `uses:` to `commit` and name `version` in the comment: the ref is
    /// replaced, a version comment updated, or one added when the line has no comment.
    pub fn pin_edits(&self, commit: &str, version: &str) -> Vec<(Span, String)> {
        let mut edits = vec![(self.ref_span, commit.to_string())];
        if let Some(span) = self.comment_span {
            if self.comment_version != Some(version) {
                edits.push((span, version.to_string()));
            }
        } else if self.ends_line {
            edits.push((
                Span::empty(self.value.span.end as usize),
                format!(" # {version}"),
            ));
        }
        edits
    }
}

/// A `uses:` value that names a remote action or reusable workflow.
pub struct RemoteUses<'t> {
    /// `owner/repo[/path]`.
    pub target: &'t str,
    /// The ref after the last `@` and its byte offset in the value.
    pub reference: Option<(&'t str, usize)>,
}

impl<'t> RemoteUses<'t> {
    /// `None` for local actions (`./path`), `docker://` images and expressions.
    pub fn parse(value: &'t str) -> Option<RemoteUses<'t>> {
        let trimmed = value.trim();
        if trimmed.starts_with("./") || trimmed.starts_with("docker://") || trimmed.contains("${{")
        {
            return None;
        }
        Some(match trimmed.rsplit_once('@') {
            Some((target, reference)) => RemoteUses {
                target,
                reference: Some((reference, value.rfind('@').map_or(0, |at| at + 1))),
            },
            None => RemoteUses {
                target: trimmed,
                reference: None,
            },
        })
    }
}

/// The remote actions and reusable workflows of a workflow or action; local actions
/// (`./path`), `docker://` images and expressions are left out.
pub fn action_uses<'a>(doc: &'a Document, cx: &Context<'a>) -> Vec<ActionUse<'a>> {
    let (root, is_action) = match doc {
        Document::Workflow(root) => (root, false),
        Document::Action(root) => (root, true),
        _ => return Vec::new(),
    };
    let file: &'a crate::source::SourceFile = cx.file;
    let source: &'a str = &file.text;
    let mut out = Vec::new();
    for entry in uses_entries(root, is_action) {
        let value = &entry.value;
        let Some(text) = value.as_str() else {
            continue;
        };
        let Some(remote) = RemoteUses::parse(text) else {
            continue;
        };
        let (target, reference, ref_span) = match remote.reference {
            Some((reference, offset)) => (
                remote.target,
                Some(reference),
                value.subspan(source, offset..offset + reference.len()),
            ),
            None => (remote.target, None, value.subspan(source, 0..text.len())),
        };
        let repository = target.split('/').take(2).collect::<Vec<_>>().join("/");
        let end = value.span.end as usize;
        let rest = &source[end..];
        let line_rest = &rest[..rest.find('\n').unwrap_or(rest.len())];
        let comment = comment_after(source, value.span);
        out.push(ActionUse {
            target,
            repository,
            reference,
            ref_span,
            value,
            comment_version: comment.map(|(word, _)| word),
            comment_span: comment.map(|(_, span)| span),
            ends_line: line_rest.trim().is_empty(),
        });
    }
    out
}

/// The first word of a comment on the rest of the line after `span`, when it names a version,
/// and where it is.
fn comment_after(source: &str, span: Span) -> Option<(&str, Span)> {
    let start = span.end as usize;
    let rest = &source[start..];
    let line = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
    let comment = line.trim_start().strip_prefix('#')?;
    let word = comment.split_whitespace().next()?;
    if !word.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let offset = start + line.len() - comment.len() + (comment.len() - comment.trim_start().len());
    Some((word, Span::new(offset, offset + word.len())))
}

/// `uses:` values written with an expression (`${{ … }}`), which no static check can resolve:
/// (span, text).
pub fn expression_uses(doc: &Document) -> Vec<(Span, String)> {
    let (root, is_action) = match doc {
        Document::Workflow(root) => (root, false),
        Document::Action(root) => (root, true),
        _ => return Vec::new(),
    };
    uses_entries(root, is_action)
        .into_iter()
        .filter_map(|entry| {
            let text = entry.value.as_str()?;
            text.contains("${{")
                .then(|| (entry.value.span, text.to_string()))
        })
        .collect()
}
