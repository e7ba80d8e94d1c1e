use super::{PRIVILEGED_TRIGGERS, steps, trigger_names};
use crate::parse::Document;
use crate::parse::workflow::action_name;
use crate::parse::yaml::Node;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

/// Refs that name the pull request's (untrusted) code.
const PR_REFS: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.head_ref",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.id",
    "refs/pull/",
    "github.event.issue.pull_request",
];

declare_rule! {
    /// ## What it does
    /// Flags a workflow with a privileged trigger (`pull_request_target`, `workflow_run`,
    /// `issue_comment`) that checks out the pull request's code: `actions/checkout` with a
    /// `ref:` naming the PR head (`github.event.pull_request.head.sha`/`.ref`, `github.head_ref`,
    /// `github.event.workflow_run.head_sha`/`head_branch`, `refs/pull/<n>/merge`), or a `run:`
    /// that does `gh pr checkout`, `git fetch … pull/<n>/head` or `git checkout` of such a ref.
    ///
    /// ## Why is this bad?
    /// This is the "pwn request": the workflow has secrets and a write token, and now runs build
    /// scripts, tests or package installs written by whoever opened the pull request.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    ///         with:
    ///           ref: ${{ github.event.pull_request.head.sha }}
    ///       - run: make test
    /// ```
    ///
    /// ## Use instead
    /// Test pull requests under `pull_request` (no secrets); keep privileged workflows to the
    /// base repository's code:
    /// ```yaml
    /// on: pull_request
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    ///       - run: make test
    /// ```
    pub static UNTRUSTED_CHECKOUT = {
        id: "untrusted-checkout",
        summary: "privileged workflow checks out pull request code",
        level: Error,
        kinds: [Workflow],
        tags: ["security", "external/cwe/cwe-829"],
        security_severity: Some("9.0"),
        check: Some(check),
    }
}

fn names_pr_code(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    PR_REFS.iter().any(|r| lower.contains(r))
}

fn check(doc: &Document, cx: &mut Context) {
    let triggers = trigger_names(doc);
    let Some(trigger) = triggers
        .iter()
        .find(|t| PRIVILEGED_TRIGGERS.contains(&t.as_str()))
    else {
        return;
    };
    let mut reports = Vec::new();
    for (_, step) in steps(doc) {
        reports.extend(pr_code_fetches(step, &cx.file.text));
    }
    for (span, what) in reports {
        cx.report(span, format!("{what} in a workflow triggered by `{trigger}`, which has secrets and a write token"))
            .help("run untrusted code only under `pull_request`; a privileged workflow may use the pull request's data (labels, numbers) but never its code");
    }
}

/// Where a step checks out or fetches a pull request's code, with what does it: `actions/checkout`
/// with a `ref:` naming the PR head, or a `run:` line with `gh pr checkout`, a `git fetch` of a
/// pull ref or a `git checkout` of one.
pub fn pr_code_fetches(step: &Node, source: &str) -> Vec<(Span, String)> {
    let mut found = Vec::new();
    if action_name(step).as_deref() == Some("actions/checkout")
        && let Some(entry) = step.get("with").and_then(|w| w.entry("ref"))
        && entry.value.as_str().is_some_and(names_pr_code)
    {
        found.push((
            entry.key.span.to(entry.value.span),
            "`actions/checkout` checks out the pull request's code".to_string(),
        ));
    }
    let Some(run) = step.get("run") else {
        return found;
    };
    let Some(script) = run.as_str() else {
        return found;
    };
    let locator = run.locator(source);
    for (offset, line) in line_offsets(script) {
        let t = line.trim();
        let gh = t.contains("gh pr checkout");
        let fetch = t.starts_with("git fetch") && t.contains("pull/") && t.contains("/head");
        let checkout =
            (t.starts_with("git checkout") || t.starts_with("git switch")) && names_pr_code(t);
        if gh || fetch || checkout {
            let lead = line.len() - line.trim_start().len();
            found.push((
                locator.span(offset + lead..offset + lead + t.len()),
                format!(
                    "`{}` fetches the pull request's code",
                    t.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
                ),
            ));
        }
    }
    found
}

/// Lines of `text` with their byte offsets.
pub fn line_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = offset;
        offset += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}
