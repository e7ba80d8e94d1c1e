use super::action_uses;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Enforces an organisation's policy on which actions and reusable workflows may be used,
    /// set with the options `allow` and `deny` (inactive while both are empty). A `uses:` is
    /// reported when a `deny` pattern matches it, or when `allow` is set and none of its
    /// patterns matches; deny wins over allow.
    ///
    /// Patterns are `<owner>/<repo>[/<path>][@<ref>]`, or `*`. `*` matches within one segment,
    /// `**` any number of segments. Owner and repository are compared case-insensitively, path
    /// and ref as written. A pattern without a path covers every path of the repository
    /// (`github/codeql-action` allows `github/codeql-action/init`); one with a path covers that
    /// path, and what is below it with `/**`. Without `@ref` any ref matches; with one, the ref
    /// as written in `uses:` — and, for `deny` only, the version comment of a SHA pin (`deny =
    /// ["tj-actions/changed-files@v45.0.7"]` catches `@<sha> # v45.0.7`; comments are not
    /// verified, so `allow` never trusts them).
    ///
    /// Step and reusable-workflow `uses:` in workflows and composite actions are checked; local
    /// `./…` actions and `docker://` images (those are `untrusted-registry`'s) are not. A
    /// `uses:` written with an expression cannot be checked and is counted as not checked. The
    /// finding points at the value from the owner up to the `@`. A pattern with an empty segment,
    /// or an owner without `/`, is a configuration error.
    ///
    /// ## Why is this bad?
    /// Every action runs with the job's token and secrets. An organisation that reviews the
    /// actions it trusts needs the check to hold in every repository, including the ones that
    /// add a new action in a pull request.
    ///
    /// ## Example
    /// ```toml
    /// [rules.forbidden-action]
    /// allow = ["actions/*", "github/codeql-action", "docker/*"]
    /// ```
    /// ```yaml
    /// on: push
    /// permissions: {}
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: some-user/setup-thing@11bd71901bbe5b1630ceea73d27597364c9af683 # v1.0.0
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: push
    /// permissions: {}
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: github/codeql-action/init@11bd71901bbe5b1630ceea73d27597364c9af683 # v3.28.0
    /// ```
    pub static FORBIDDEN_ACTION = {
        id: "forbidden-action",
        summary: "action the organisation's policy does not permit",
        level: Error,
        kinds: [Workflow, Action],
        tags: ["security", "supply-chain", "policy"],
        security_severity: Some("7.0"),
        options: [
            ("allow", "`owner/repo[/path][@ref]` patterns permitted (when set, nothing else is)"),
            ("deny", "`owner/repo[/path][@ref]` patterns never permitted (deny wins over allow)"),
        ],
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let allow = cx.option("allow").to_vec();
    let deny = cx.option("deny").to_vec();
    if allow.is_empty() && deny.is_empty() {
        return;
    }
    let mut reports = Vec::new();
    let mut unchecked = Vec::new();
    for u in action_uses(doc, cx) {
        let value = u.value.as_str().unwrap_or("");
        let lead = value.len() - value.trim_start().len();
        let end = value.rfind('@').unwrap_or(value.trim_end().len());
        let span = u.value.subspan(&cx.file.text, lead..end.max(lead));
        let reference = u.reference.unwrap_or("");
        let denied = deny.iter().find(|p| {
            matches(p, u.target, reference)
                || u.comment_version.is_some_and(|v| matches(p, u.target, v))
        });
        let message = if let Some(pattern) = denied {
            format!("`{}` is denied by the policy (`{pattern}`)", u.target)
        } else if !allow.is_empty() && !allow.iter().any(|p| matches(p, u.target, reference)) {
            format!(
                "`{}` is not permitted: no `allow` pattern of the policy matches it",
                u.target
            )
        } else {
            continue;
        };
        reports.push((span, message));
    }
    // `uses:` written with an expression: what runs is decided at run time.
    for (span, text) in crate::rules::actions::expression_uses(doc) {
        unchecked.push((
            span,
            format!("`{text}`: a `uses:` with an expression cannot be matched against the policy"),
        ));
    }
    for (span, what) in unchecked {
        cx.not_checked(span, what);
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("use an action the policy permits, or ask for this one to be added to `rules.forbidden-action.allow`");
    }
}

/// Whether `pattern` matches the action `target` (`owner/repo[/path]`) at `reference`.
pub fn matches(pattern: &str, target: &str, reference: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let (path_pattern, ref_pattern) = match pattern.rsplit_once('@') {
        Some((p, r)) => (p, Some(r)),
        None => (pattern, None),
    };
    if ref_pattern.is_some_and(|r| !glob(r, reference)) {
        return false;
    }
    let wanted: Vec<&str> = path_pattern.split('/').collect();
    let actual: Vec<&str> = target.split('/').collect();
    if wanted.len() < 2 || actual.len() < 2 {
        return false;
    }
    let lower = |s: &str| s.to_ascii_lowercase();
    if !glob(&lower(wanted[0]), &lower(actual[0])) || !glob(&lower(wanted[1]), &lower(actual[1])) {
        return false;
    }
    // No path in the pattern: every path of the repository.
    wanted.len() == 2 || segments(&wanted[2..], &actual[2..])
}

/// Path segments with `**` for any number of segments.
fn segments(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments(rest, &path[skip..])),
        Some((first, rest)) => path
            .split_first()
            .is_some_and(|(p, tail)| glob(first, p) && segments(rest, tail)),
    }
}

/// `*` within one segment (any characters but `/`).
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|&i| rest.is_char_boundary(i) && !rest[..i].contains('/'))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

/// Why `pattern` is not a valid pattern, if it is not: an empty segment, or an owner without
/// a repository.
pub fn invalid(pattern: &str) -> Option<&'static str> {
    if pattern == "*" {
        return None;
    }
    let path = pattern.rsplit_once('@').map_or(pattern, |(p, _)| p);
    if !path.contains('/') {
        return Some("an owner without `/<repo>` (write `owner/*` for every repository)");
    }
    if path.split('/').any(str::is_empty) || pattern.ends_with('@') {
        return Some("an empty segment");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches("actions/*", "actions/checkout", "v4"));
        assert!(matches("Actions/Checkout", "actions/checkout", "v4"));
        assert!(matches(
            "github/codeql-action",
            "github/codeql-action/init",
            "v3"
        ));
        assert!(!matches(
            "github/codeql-action/init",
            "github/codeql-action/analyze",
            "v3"
        ));
        assert!(matches(
            "github/codeql-action/**",
            "github/codeql-action/a/b",
            "v3"
        ));
        assert!(matches(
            "tj-actions/changed-files@v45.0.7",
            "tj-actions/changed-files",
            "v45.0.7"
        ));
        assert!(!matches(
            "tj-actions/changed-files@v45.0.7",
            "tj-actions/changed-files",
            "v46"
        ));
        assert!(!matches("actions/*", "actions-rs/toolchain", "v1"));
        assert!(matches("*", "any/thing", "x"));
        assert!(matches("*/*", "any/thing/path", "x"));
        assert_eq!(
            invalid("actions"),
            Some("an owner without `/<repo>` (write `owner/*` for every repository)")
        );
        assert_eq!(invalid("actions//x"), Some("an empty segment"));
        assert_eq!(invalid("actions/checkout@v4"), None);
    }
}
