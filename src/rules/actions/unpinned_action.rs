use super::action_uses;
use crate::online::is_commit_sha;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `uses: owner/repo[/path]@ref` — a step's action or a job's reusable workflow, in
    /// workflows and in composite actions — whose `ref` is not a full 40-character commit SHA.
    /// Local actions (`uses: ./path`) are part of the repository and are fine; `docker://`
    /// images are checked by `latest-tag` and `unpinned-image`.
    ///
    /// With `scan --online`, the commit each ref names now is looked up once per action and
    /// ref, and SARIF carries the pin as a fix: `owner/repo@<sha> # <ref>`.
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
    let online = cx.project.online.clone();
    for u in action_uses(doc, cx) {
        let Some(reference) = u.reference else {
            cx.report(
                u.ref_span,
                format!(
                    "`{}` names no version: GitHub rejects it, and any ref would be mutable",
                    u.target
                ),
            )
            .help("pin a full commit SHA: `owner/repo@<40-hex-sha> # vX.Y.Z`");
            continue;
        };
        if is_commit_sha(reference) {
            continue;
        }
        if cx
            .option("allow")
            .iter()
            .any(|p| owner_pattern_matches(p, &u.repository))
        {
            continue;
        }
        let kind = if reference.len() >= 7
            && reference.len() < 40
            && reference.bytes().all(|b| b.is_ascii_hexdigit())
        {
            "an abbreviated commit SHA"
        } else {
            "a tag or branch that can be moved"
        };
        // Online, the commit the ref names now is known: offer the pin as a fix (not for a
        // ref that is both a branch and a tag, where which commit is meant is the question).
        let fix = online
            .as_ref()
            .and_then(|online| online.reference(&u.repository, reference))
            .filter(|facts| !(facts.is_branch && facts.is_tag))
            .and_then(|facts| facts.commit)
            .map(|commit| {
                (
                    format!(
                        "Pin `{}` to {commit}, the commit `{reference}` names now",
                        u.target
                    ),
                    u.pin_edits(&commit, reference),
                )
            });
        let target = u.target;
        let draft = cx
            .report(
                u.ref_span,
                format!(
                    "`{target}` is pinned to `{reference}`, {kind}; only a full commit SHA is immutable"
                ),
            )
            .help(format!(
                "pin the commit the ref points to: `{target}@<40-hex-sha> # {reference}`"
            ));
        if let Some((description, edits)) = fix {
            draft.fix(description, edits);
        }
    }
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
