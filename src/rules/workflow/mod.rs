//! GitHub Actions workflows and action metadata: injection, triggers, tokens, runners.

pub mod artifact_poisoning;
pub mod cache_poisoning;
pub mod dangerous_trigger;
pub mod debug_logging_enabled;
pub mod excessive_permissions;
pub mod github_env_injection;
pub mod insecure_commands;
pub mod long_lived_publish_token;
pub mod missing_permissions;
pub mod overprovisioned_secrets;
pub mod persisted_credentials;
pub mod secrets_inherit;
pub mod self_hosted_runner;
pub mod spoofable_bot_condition;
pub mod template_injection;
pub mod unauthorized_comment_trigger;
pub mod unredacted_secrets;
pub mod unsound_condition;
pub mod untrusted_checkout;

use crate::parse::Document;
use crate::parse::expr::{Expr, find_all};
use crate::parse::workflow;
use crate::parse::yaml::{Node, Value};
use crate::rules::Context;
use crate::source::Span;

/// Contexts whose values anyone who can open an issue, a pull request or a comment (or push a
/// branch to a fork) chooses. `*` stands for one path segment (an index or a key). Values only
/// maintainers set (`github.event.release.*`, `workflow_dispatch` inputs, pushed tag names) and
/// step outputs are not on the list.
const ATTACKER_CONTROLLED: &[&str] = &[
    "github.head_ref",
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.pull_request.head.repo.description",
    "github.event.pull_request.head.repo.homepage",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.event.pages.*.page_name",
    "github.event.commits.*.message",
    "github.event.commits.*.author.email",
    "github.event.commits.*.author.name",
    "github.event.commits.*.committer.email",
    "github.event.commits.*.committer.name",
    "github.event.head_commit.message",
    "github.event.head_commit.author.email",
    "github.event.head_commit.author.name",
    "github.event.head_commit.committer.email",
    "github.event.head_commit.committer.name",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.display_title",
    "github.event.workflow_run.head_commit.committer.email",
    "github.event.workflow_run.head_commit.committer.name",
    "github.event.merge_group.head_commit.message",
    "github.event.merge_group.head_commit.author.email",
    "github.event.merge_group.head_commit.author.name",
    "github.event.workflow_run.head_commit.message",
    "github.event.workflow_run.head_commit.author.email",
    "github.event.workflow_run.head_commit.author.name",
    "github.event.workflow_run.head_repository.description",
    "github.event.workflow_run.pull_requests.*.head.ref",
    "github.event.workflow.path",
    "github.event.client_payload.*",
];

fn segments_match(pattern: &str, path: &str) -> bool {
    // `client_payload.*` covers everything below it.
    let open_ended = pattern.ends_with(".*") && pattern.starts_with("github.event.client_payload");
    let mut p = pattern.split('.');
    let mut s = path.split('.');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return true,
            (None, Some(_)) => return open_ended,
            (Some(_), None) => return false,
            (Some(a), Some(b)) => {
                let wild = a == "*" || (!open_ended && b == "*");
                if !wild && a != b {
                    return false;
                }
            }
        }
    }
}

/// Is the value at `path` chosen by an outsider? Also true for an object that contains such a
/// value (`github.event.issue`, `github.event`, `github`), which `toJSON` or string conversion
/// would expand.
pub fn attacker_controlled(path: &str) -> bool {
    ATTACKER_CONTROLLED.iter().any(|pattern| {
        segments_match(pattern, path)
            || pattern
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.'))
    }) && !path.starts_with("github.event.inputs")
}

/// The attacker-controlled contexts whose *value* reaches the result of `expr` (not those only
/// compared or tested, which yield booleans): (context, byte range in the expression body).
pub fn tainted(expr: &Expr) -> Vec<(String, std::ops::Range<usize>)> {
    tainted_by(expr, &|path| {
        attacker_controlled(path).then(|| path.to_string())
    })
}

/// Like `tainted`, with the decision about each context path made by `source`, which names
/// the attacker-controlled origin of a path (or says there is none).
pub fn tainted_by(
    expr: &Expr,
    source: &dyn Fn(&str) -> Option<String>,
) -> Vec<(String, std::ops::Range<usize>)> {
    match expr {
        Expr::Path { range, .. } => {
            let name = expr.path_name().unwrap_or_default();
            source(&name)
                .map(|origin| vec![(origin, range.clone())])
                .unwrap_or_default()
        }
        Expr::Call { name, args, .. } => match name.as_str() {
            "format" | "join" | "tojson" | "fromjson" => {
                args.iter().flat_map(|a| tainted_by(a, source)).collect()
            }
            _ => Vec::new(),
        },
        Expr::Access { target, .. } => tainted_by(target, source),
        Expr::Binary {
            op: "&&" | "||",
            left,
            right,
        } => {
            let mut out = tainted_by(left, source);
            out.extend(tainted_by(right, source));
            out
        }
        _ => Vec::new(),
    }
}

/// Every step of a workflow or composite action with the `env:` maps it sees, outermost first:
/// the workflow's (or action's), its job's, its own.
pub fn steps_with_env(doc: &Document) -> Vec<(&Node, Vec<&Node>)> {
    fn scopes(envs: [Option<&Node>; 3]) -> Vec<&Node> {
        envs.into_iter().flatten().collect()
    }
    match doc {
        Document::Workflow(root) => workflow::jobs(root)
            .flat_map(|job| {
                job.steps()
                    .map(|step| {
                        (
                            step,
                            scopes([root.get("env"), job.get("env"), step.get("env")]),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        Document::Action(root) => workflow::action_steps(root)
            .map(|step| (step, scopes([root.get("env"), None, step.get("env")])))
            .collect(),
        _ => Vec::new(),
    }
}

/// Every step of a workflow (with its job, the steps of a job one after the other) or of a
/// composite action.
pub fn steps(doc: &Document) -> Vec<(Option<workflow::Job<'_>>, &Node)> {
    match doc {
        Document::Workflow(root) => workflow::jobs(root)
            .flat_map(|job| job.steps().map(move |s| (Some(job), s)))
            .collect(),
        Document::Action(root) => workflow::action_steps(root).map(|s| (None, s)).collect(),
        _ => Vec::new(),
    }
}

/// Triggers under which a workflow runs with a write token and secrets on code or data an
/// outsider controls.
pub const PRIVILEGED_TRIGGERS: &[&str] = &["pull_request_target", "workflow_run", "issue_comment"];

pub fn trigger_names(doc: &Document) -> Vec<String> {
    match doc {
        Document::Workflow(root) => workflow::triggers(root)
            .into_iter()
            .map(|(n, _)| n)
            .collect(),
        _ => Vec::new(),
    }
}

/// The `${{ … }}` expressions of a scalar node, with their source spans.
pub fn expressions(node: &Node, source: &str) -> Vec<(Span, Expr)> {
    let Some(text) = node.as_scalar().map(|s| s.text.as_str()) else {
        return Vec::new();
    };
    let locator = node.locator(source);
    find_all(text)
        .into_iter()
        .filter_map(|e| e.expr.ok().map(|x| (locator.span(e.range.clone()), x)))
        .collect()
}

/// Every `${{ … }}` expression in the values of a workflow or action, in document order.
pub fn all_expressions(doc: &Document, source: &str) -> Vec<(Span, Expr)> {
    let root = match doc {
        Document::Workflow(r) | Document::Action(r) => r,
        _ => return Vec::new(),
    };
    let mut nodes = Vec::new();
    scalars(root, &mut nodes);
    nodes
        .into_iter()
        .flat_map(|node| expressions(node, source))
        .collect()
}

/// Every scalar of a tree (mapping values and sequence items, not keys).
pub fn scalars<'n>(node: &'n Node, out: &mut Vec<&'n Node>) {
    match &node.value {
        Value::Scalar(_) => out.push(node),
        Value::Seq(items) => items.iter().for_each(|i| scalars(i, out)),
        Value::Map(entries) => entries.iter().for_each(|e| scalars(&e.value, out)),
    }
}

/// `env:` mappings at every level of a workflow or action: workflow, job, step, `runs`.
pub fn env_maps(doc: &Document) -> Vec<&Node> {
    let mut out = Vec::new();
    let root = match doc {
        Document::Workflow(root) | Document::Action(root) => root,
        _ => return out,
    };
    out.extend(root.get("env"));
    out.extend(root.get("runs").and_then(|r| r.get("env")));
    if let Document::Workflow(root) = doc {
        for job in workflow::jobs(root) {
            out.extend(job.get("env"));
            if let Some(c) = job.get("container") {
                out.extend(c.get("env"));
            }
        }
    }
    for (_, step) in steps(doc) {
        out.extend(step.get("env"));
    }
    out
}

/// The expression of an `if:` value, written with or without `${{ }}`. `None` when it does not
/// parse, or when it mixes text and expressions (GitHub then reads a non-empty string: always
/// true, so it requires nothing).
pub fn condition(text: &str) -> Option<Expr> {
    let trimmed = text.trim();
    if !trimmed.contains("${{") {
        return crate::parse::expr::parse(trimmed).ok();
    }
    let found = find_all(trimmed);
    match found.as_slice() {
        [only] if only.range.start == 0 && only.range.end == trimmed.len() => {
            only.expr.clone().ok()
        }
        _ => None,
    }
}

/// Whether the condition `expr` requires `g`: one of its top-level `&&` operands is `g`, or is
/// a `||` every branch of which requires `g`.
pub fn requires(expr: &Expr, g: &dyn Fn(&Expr) -> bool) -> bool {
    if g(expr) {
        return true;
    }
    match expr {
        Expr::Binary {
            op: "&&",
            left,
            right,
        } => requires(left, g) || requires(right, g),
        Expr::Binary {
            op: "||",
            left,
            right,
        } => requires(left, g) && requires(right, g),
        _ => false,
    }
}

/// The top-level `&&` operands of a condition.
pub fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Binary {
            op: "&&",
            left,
            right,
        } => {
            let mut out = conjuncts(left);
            out.extend(conjuncts(right));
            out
        }
        other => vec![other],
    }
}

/// A secret reference: `secrets.<NAME>` other than `GITHUB_TOKEN`, `secrets[…]`, or the
/// whole `secrets` context (`toJSON(secrets)`), anywhere in the expression.
pub fn secret_reference(expr: &Expr) -> bool {
    match expr {
        Expr::Path { root, parts, .. } if root.eq_ignore_ascii_case("secrets") => {
            match parts.first() {
                None => true,
                Some(crate::parse::expr::Part::Property(name)) => {
                    !name.eq_ignore_ascii_case("github_token")
                }
                Some(_) => true,
            }
        }
        Expr::Call { args, .. } => args.iter().any(secret_reference),
        Expr::Access { target, .. } => secret_reference(target),
        Expr::Not(inner) => secret_reference(inner),
        Expr::Binary { left, right, .. } => secret_reference(left) || secret_reference(right),
        _ => false,
    }
}

/// The file a local `uses: ./<p>` names, resolved against the repository root (the folder
/// holding the `.github` the file is in; else the nearest folder above it that holds `.git`, up
/// to the scan root; else the scan root): for a step, `<p>/action.yml`
/// then `<p>/action.yaml`; for a job (a reusable workflow), the file itself. `None` when `uses`
/// is not local or names nothing that exists.
pub fn local_callee(cx: &Context, uses: &str, job: bool) -> Option<std::path::PathBuf> {
    let relative = uses.trim().strip_prefix("./")?;
    let relative = relative.split('@').next().unwrap_or(relative);
    let here = std::fs::canonicalize(cx.path).unwrap_or_else(|_| cx.path.to_path_buf());
    let scan_root = cx.project.roots.iter().find(|r| here.starts_with(r))?;
    // Only folders inside the scan root are looked at: nothing outside it is read.
    let inside: Vec<&std::path::Path> = here
        .ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(scan_root))
        .collect();
    // A file under `.github/` belongs to the repository whose root holds that `.github`
    // (GitHub reads workflows only there); otherwise the nearest folder with `.git`.
    let depth = inside
        .iter()
        .position(|dir| dir.file_name().is_some_and(|n| n == ".github"))
        .map(|github| github + 1)
        .filter(|d| *d < inside.len())
        .or_else(|| inside.iter().position(|dir| dir.join(".git").exists()))
        .unwrap_or(inside.len().saturating_sub(1));
    // The same folder reached from the path as given, so that it is shown as the user wrote it.
    let root = match cx.path.ancestors().nth(depth + 1) {
        Some(root) if root.as_os_str().is_empty() => std::path::PathBuf::from("."),
        Some(root) => root.to_path_buf(),
        None => here.ancestors().nth(depth + 1)?.to_path_buf(),
    };
    let target = root.join(relative);
    if job {
        return target.is_file().then_some(target);
    }
    ["action.yml", "action.yaml"]
        .iter()
        .map(|name| target.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::expr::parse;

    #[test]
    fn attacker_controlled_contexts() {
        for yes in [
            "github.event.issue.title",
            "github.head_ref",
            "github.event.commits.*.message",
            "github.event.pull_request.head.ref",
            "github.event.client_payload.anything.deep",
            "github.event.issue",
            "github.event",
            "github",
        ] {
            assert!(attacker_controlled(yes), "{yes}");
        }
        for no in [
            "github.event.pull_request.head.sha",
            "github.sha",
            "github.ref_name",
            "github.event.release.body",
            "github.event.inputs.name",
            "steps.x.outputs.y",
            "github.event.issue.number",
        ] {
            assert!(!attacker_controlled(no), "{no}");
        }
    }

    #[test]
    fn taint_follows_values_not_tests() {
        let t = |s: &str| tainted(&parse(s).unwrap()).len();
        assert_eq!(t("github.event.issue.title"), 1);
        assert_eq!(t("format('x {0}', github.event.comment.body)"), 1);
        assert_eq!(t("github.event.pull_request.title || 'none'"), 1);
        assert_eq!(t("toJSON(github.event)"), 1);
        assert_eq!(t("contains(github.event.issue.title, 'bug')"), 0);
        assert_eq!(t("github.event.issue.title == 'x'"), 0);
        assert_eq!(t("github.event.pull_request.head.sha"), 0);
    }
}
