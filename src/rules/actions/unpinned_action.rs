use crate::parse::Document;
use crate::parse::workflow::uses_entries;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `uses: owner/repo[/path]@ref` — a step's action or a job's reusable workflow, in
    /// workflows and in composite actions — whose `ref` is not a full 40-character commit SHA.
    /// Local actions (`uses: ./path`) are part of the repository and are fine; `docker://`
    /// images are checked by `latest-tag` and `unpinned-image`.
    ///
    /// Option `allow` lists `owner/repo` patterns (`*` matches within one path segment, as in
    /// `actions/*`) that may be pinned by tag, for organisations that trust some publishers'
    /// release process:
    /// ```toml
    /// [rules.unpinned-action]
    /// allow = ["actions/*", "my-org/*"]
    /// ```
    ///
    /// ## Why is this bad?
    /// Tags and branches are mutable: whoever controls the action's repository can move `v4` to
    /// new code, and that code runs with your workflow's token and secrets. That is how the
    /// `tj-actions/changed-files` compromise of March 2025 reached thousands of repositories.
    /// A commit SHA cannot be moved.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@v4
    /// ```
    ///
    /// ## Use instead
    /// Pin the commit and keep the version in a comment, which Dependabot and Renovate update:
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    /// ```
    pub static UNPINNED_ACTION = {
        id: "unpinned-action",
        summary: "action or reusable workflow is not pinned to a commit SHA",
        level: Warning,
        kinds: [Workflow, Action],
        tags: ["security", "supply-chain"],
        security_severity: Some("5.5"),
        options: [("allow", "`owner/repo` patterns that may be pinned by tag or branch")],
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let (root, is_action) = match doc {
        Document::Workflow(root) => (root, false),
        Document::Action(root) => (root, true),
        _ => return,
    };
    for entry in uses_entries(root, is_action) {
        let Some(text) = entry.value.as_str() else {
            continue;
        };
        let text_trim = text.trim();
        if text_trim.starts_with("./")
            || text_trim.starts_with("docker://")
            || text_trim.contains("${{")
        {
            continue;
        }
        let Some((target, reference)) = text_trim.rsplit_once('@') else {
            let span = entry.value.subspan(&cx.file.text, 0..text.len());
            cx.report(span, format!("`{text_trim}` names no version: GitHub rejects it, and any ref would be mutable"))
                .help("pin a full commit SHA: `owner/repo@<40-hex-sha> # vX.Y.Z`");
            continue;
        };
        if is_commit_sha(reference) {
            continue;
        }
        let repo: String = target.split('/').take(2).collect::<Vec<_>>().join("/");
        if cx
            .option("allow")
            .iter()
            .any(|p| owner_pattern_matches(p, &repo))
        {
            continue;
        }
        let offset = text.rfind('@').map_or(0, |at| at + 1);
        let span = entry
            .value
            .subspan(&cx.file.text, offset..offset + reference.len());
        let kind = if reference.len() >= 7
            && reference.len() < 40
            && reference.bytes().all(|b| b.is_ascii_hexdigit())
        {
            "an abbreviated commit SHA"
        } else {
            "a tag or branch that can be moved"
        };
        cx.report(
            span,
            format!(
                "`{target}` is pinned to `{reference}`, {kind}; only a full commit SHA is immutable"
            ),
        )
        .help(format!(
            "pin the commit the ref points to: `{target}@<40-hex-sha> # {reference}`"
        ));
    }
}

fn is_commit_sha(reference: &str) -> bool {
    reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `actions/*` matches every repository of `actions`; `org/repo` matches that one.
fn owner_pattern_matches(pattern: &str, repo: &str) -> bool {
    let mut p = pattern.split('/');
    let mut r = repo.split('/');
    loop {
        match (p.next(), r.next()) {
            (None, None) => return true,
            (Some(ps), Some(rs)) => {
                if !segment_matches(ps, rs) {
                    return false;
                }
            }
            (Some("**"), None) => return true,
            _ => return false,
        }
    }
}

fn segment_matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern.eq_ignore_ascii_case(text),
        Some((prefix, suffix)) => {
            text.len() >= prefix.len() + suffix.len()
                && text[..prefix.len()].eq_ignore_ascii_case(prefix)
                && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_patterns() {
        assert!(owner_pattern_matches("actions/*", "actions/checkout"));
        assert!(owner_pattern_matches(
            "Actions/checkout",
            "actions/checkout"
        ));
        assert!(!owner_pattern_matches("actions/*", "actionsx/checkout"));
        assert!(owner_pattern_matches(
            "my-org/deploy-*",
            "my-org/deploy-prod"
        ));
        assert!(!owner_pattern_matches("actions/checkout", "actions/cache"));
    }
}
