use super::{
    condition, conjuncts, expressions, local_callee, requires, scalars, secret_reference,
    untrusted_checkout::pr_code_fetches,
};
use crate::parse::expr::{Expr, Part};
use crate::parse::workflow::{self, Job, action_name};
use crate::parse::yaml::Node;
use crate::parse::{Document, shell};
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags a job that anyone can start by commenting (`issue_comment`, `discussion_comment`,
    /// `pull_request_review_comment`, `pull_request_review`) and that has power, with no check
    /// of who commented. A job has power when it uses a secret (in its steps, its `env`, the
    /// workflow's `env`, or passed to a reusable workflow), holds a write scope on `actions`,
    /// `contents`, `deployments`, `id-token`, `packages` or `pages`, checks out the pull
    /// request's code, or — with the token's permissions left undeclared — pushes, merges,
    /// releases or dispatches workflows. A job calling a local reusable workflow has the power
    /// of the called jobs that are not gated there.
    ///
    /// Gates that silence it: an `if:` that requires the commenter's
    /// `author_association` to be OWNER, MEMBER or COLLABORATOR (option
    /// `trusted-associations`), or a named user (`github.actor`, `github.triggering_actor`,
    /// `github.event.sender.login`, the comment's or review's `user.login`), or
    /// `github.actor == github.repository_owner`; an `environment:`; a permission-check step
    /// that fails the job, before its first powerful step or in a job it needs (known actions,
    /// `actions/github-script` or `run:` checks that exit non-zero, and option `gate-actions`);
    /// output checks (`actions-cool/check-user-permission`, `github/command`,
    /// `github/branch-deploy`, or a `run:` that asks GitHub for the commenter's permission and
    /// writes the answer to `$GITHUB_OUTPUT`) whose `… == 'true'` gates every powerful step, or
    /// the job through a `needs.<job>.outputs.<o>` mapped from it; and
    /// `peter-evans/slash-command-dispatch` with a write permission level. A check on the
    /// comment's text, on who opened the issue or pull request, a deny-list (`!= 'NONE'`) or a
    /// gate in only one branch of `||` is not a gate. A job whose `if:` limits it to another
    /// event is not reported.
    ///
    /// The finding points at the job's `if:` (present but insufficient) or its id, with the
    /// comment trigger and the first source of power as related locations. One finding per
    /// job.
    ///
    /// ## Why is this bad?
    /// Anyone with a GitHub account can comment on a public repository's issues and pull
    /// requests. A job started that way runs with the secrets and write token of the
    /// repository: a slash command without an author check hands them to every commenter.
    ///
    /// ## Example
    /// ```yaml
    /// on:
    ///   issue_comment:
    ///     types: [created]
    /// jobs:
    ///   deploy:
    ///     if: contains(github.event.comment.body, '/deploy')
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: ./scripts/deploy.sh
    ///         env:
    ///           DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on:
    ///   issue_comment:
    ///     types: [created]
    /// jobs:
    ///   deploy:
    ///     if: >-
    ///       contains(github.event.comment.body, '/deploy') &&
    ///       contains(fromJSON('["OWNER","MEMBER","COLLABORATOR"]'), github.event.comment.author_association)
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: ./scripts/deploy.sh
    ///         env:
    ///           DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}
    /// ```
    pub static UNAUTHORIZED_COMMENT_TRIGGER = {
        id: "unauthorized-comment-trigger",
        summary: "anyone who comments can start a job with secrets or write access",
        level: Warning,
        kinds: [Workflow],
        tags: ["security", "external/cwe/cwe-285"],
        security_severity: Some("6.5"),
        options: [
            ("trusted-associations", "commenter associations accepted as a gate (default OWNER, MEMBER, COLLABORATOR)"),
            ("gate-actions", "`owner/repo` patterns of permission-check actions that fail the job"),
        ],
        check: Some(check),
    }
}

const HELP: &str = "check who commented before the job runs: add `contains(fromJSON('[\"OWNER\",\"MEMBER\",\"COLLABORATOR\"]'), github.event.comment.author_association)` to the job's `if:`, or fail a first step when the commenter lacks write permission";

/// Events that anyone may cause by commenting or reviewing.
const COMMENT_EVENTS: &[&str] = &[
    "issue_comment",
    "discussion_comment",
    "pull_request_review_comment",
    "pull_request_review",
];

const ASSOCIATIONS: &[&str] = &[
    "OWNER",
    "MEMBER",
    "COLLABORATOR",
    "CONTRIBUTOR",
    "FIRST_TIME_CONTRIBUTOR",
    "FIRST_TIMER",
    "NONE",
    "MANNEQUIN",
];

const DEFAULT_TRUSTED: &[&str] = &["OWNER", "MEMBER", "COLLABORATOR"];

/// Scopes whose `write` makes a job powerful.
const POWERFUL_SCOPES: &[&str] = &[
    "actions",
    "contents",
    "deployments",
    "id-token",
    "packages",
    "pages",
];

/// Actions that change the repository with the job token.
const CHANGING_ACTIONS: &[&str] = &[
    "peter-evans/create-pull-request",
    "stefanzweifel/git-auto-commit-action",
    "endbug/add-and-commit",
    "ad-m/github-push-action",
    "softprops/action-gh-release",
    "ncipollo/release-action",
    "peter-evans/enable-pull-request-automerge",
    "pascalgn/automerge-action",
];

/// Output checks: they never fail, and gate what requires their output to be `'true'`.
const OUTPUT_CHECKS: &[&str] = &[
    "actions-cool/check-user-permission",
    "github/command",
    "github/branch-deploy",
    "prince-chrismc/check-actor-permissions-action",
];

fn check(doc: &Document, cx: &mut Context) {
    let Document::Workflow(root) = doc else {
        return;
    };
    let comment_triggers: Vec<(String, Span)> = workflow::triggers(root)
        .into_iter()
        .filter(|(name, _)| COMMENT_EVENTS.contains(&name.as_str()))
        .collect();
    let Some((first_trigger, trigger_span)) = comment_triggers.first().cloned() else {
        return;
    };
    let events: Vec<&str> = comment_triggers.iter().map(|(n, _)| n.as_str()).collect();
    let trusted: Vec<String> = match cx.option("trusted-associations") {
        [] => DEFAULT_TRUSTED.iter().map(|s| s.to_string()).collect(),
        set => set.iter().map(|s| s.to_ascii_uppercase()).collect(),
    };
    let judge = Judge {
        cx,
        source: &cx.file.text,
        here: true,
        trusted,
        gate_actions: cx.option("gate-actions").to_vec(),
        workflow_power: workflow_env_secret(root, &cx.file.text),
        workflow_permissions: root.get("permissions"),
    };
    let jobs: Vec<Job> = workflow::jobs(root).collect();
    let mut reports = Vec::new();
    for job in &jobs {
        let job_if = job.entry.value.entry("if");
        let cond = job_if.and_then(|e| e.value.as_str()).and_then(condition);
        if let Some(cond) = &cond
            && !runs_on_comments(cond, &events)
        {
            continue;
        }
        let Some(power) = judge.power(job) else {
            continue;
        };
        if judge.gated_by_condition(cond.as_ref())
            || judge.gated_by_needs(job, &jobs, cond.as_ref())
        {
            continue;
        }
        let at = job_if.map_or(job.entry.key.span, |e| e.key.span.to(e.value.span));
        reports.push((at, job.id.to_string(), power));
    }
    for (at, id, power) in reports {
        let draft = cx.report(
            at,
            format!(
                "Job `{id}` runs when anyone comments (`{first_trigger}`) and {}, with no check of who commented",
                power.what
            ),
        );
        draft
            .help(HELP)
            .related(trigger_span, "anyone can cause this event");
        if let Some(span) = power.span {
            draft.related(span, "the job's power");
        }
    }
}

/// What makes a job worth starting, and where it is written (in this file).
struct Power {
    what: String,
    span: Option<Span>,
}

struct Judge<'c, 'a> {
    cx: &'c Context<'a>,
    /// The text of the file the jobs are in: this workflow, or a local workflow it calls.
    source: &'c str,
    /// Whether the jobs are this file's (spans are reported only then).
    here: bool,
    trusted: Vec<String>,
    gate_actions: Vec<String>,
    workflow_power: Option<Span>,
    workflow_permissions: Option<&'c Node>,
}

impl Judge<'_, '_> {
    /// The job's power when it has any and it is not gated inside the job.
    fn power(&self, job: &Job) -> Option<Power> {
        let source = self.source;
        let here = self.here;
        let node = &job.entry.value;
        let steps: Vec<&Node> = job.steps().collect();
        let undeclared = node.get("permissions").is_none() && self.workflow_permissions.is_none();
        // Power from the job as a whole: its token, its env and credentials.
        let mut whole: Option<Power> = None;
        if let Some(scope) = self.write_scope(node) {
            whole = Some(scope);
        }
        for key in ["env", "container", "services", "with", "secrets"] {
            if whole.is_some() {
                break;
            }
            if let Some(value) = node.get(key) {
                if key == "secrets" && value.as_str().map(str::trim) == Some("inherit") {
                    whole = Some(Power {
                        what: "passes every secret to the workflow it calls".into(),
                        span: here.then_some(value.span),
                    });
                } else if let Some(span) = secret_in(value, source) {
                    whole = Some(Power {
                        what: "uses a secret".into(),
                        span: here.then_some(span),
                    });
                }
            }
        }
        if whole.is_none()
            && let Some(span) = self.workflow_power
        {
            whole = Some(Power {
                what: "sees a secret from the workflow's `env`".into(),
                span: here.then_some(span),
            });
        }
        // A local reusable workflow: the called jobs' power counts, unless gated there.
        if whole.is_none()
            && let Some(uses) = node.get("uses").and_then(Node::as_str)
            && uses.trim().starts_with("./")
            && self.here
            && let Some(path) = local_callee(self.cx, uses, true)
            && let Some(callee) = self.cx.project.local_yaml(&path)
        {
            let callee_jobs: Vec<Job> = workflow::jobs(&callee.root).collect();
            let callee_judge = Judge {
                cx: self.cx,
                source: &callee.text,
                here: false,
                trusted: self.trusted.clone(),
                gate_actions: self.gate_actions.clone(),
                workflow_power: None,
                workflow_permissions: callee.root.get("permissions"),
            };
            for callee_job in &callee_jobs {
                let cond = callee_job
                    .get("if")
                    .and_then(Node::as_str)
                    .and_then(condition);
                if callee_judge.gated_by_condition(cond.as_ref())
                    || callee_judge.gated_by_needs(callee_job, &callee_jobs, cond.as_ref())
                {
                    continue;
                }
                if let Some(power) = callee_judge.power(callee_job) {
                    whole = Some(Power {
                        what: format!(
                            "calls `{}`, whose job `{}` {}",
                            uses.trim(),
                            callee_job.id,
                            power.what
                        ),
                        span: here
                            .then_some(node.get("uses").map_or(job.entry.key.span, |u| u.span)),
                    });
                    break;
                }
            }
        }
        // Power step by step, and where the job checks who commented.
        let mut powerful: Vec<(usize, Power)> = Vec::new();
        let mut failing_check: Option<usize> = None;
        let mut output_checks: Vec<String> = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let name = action_name(step).unwrap_or_default();
            if self.failing_check(step, &name) {
                if step.get("continue-on-error").and_then(Node::as_bool) == Some(true) {
                    output_checks.extend(step.get("id").and_then(Node::as_str).map(str::to_string));
                } else if failing_check.is_none() {
                    failing_check = Some(i);
                }
                continue;
            }
            if output_check(step, &name) {
                output_checks.extend(step.get("id").and_then(Node::as_str).map(str::to_string));
                continue;
            }
            if let Some(power) = self.step_power(step, &name, undeclared) {
                powerful.push((i, power));
            }
        }
        if let Some(check_at) = failing_check
            && powerful.iter().all(|(i, _)| *i > check_at)
        {
            return None;
        }
        if !output_checks.is_empty() {
            let gated = |step: &Node| {
                step.get("if")
                    .and_then(Node::as_str)
                    .and_then(condition)
                    .is_some_and(|c| requires(&c, &|e| output_is_true(e, &output_checks)))
            };
            let all_gated = if powerful.is_empty() {
                steps.iter().all(|s| {
                    let name = action_name(s).unwrap_or_default();
                    output_check(s, &name) || self.failing_check(s, &name) || gated(s)
                })
            } else {
                powerful.iter().all(|(i, _)| gated(steps[*i]))
            };
            if all_gated {
                return None;
            }
        }
        whole.or_else(|| powerful.into_iter().next().map(|(_, p)| p))
    }

    /// An effective `write` on a powerful scope (job-level permissions replace the workflow's).
    fn write_scope(&self, job: &Node) -> Option<Power> {
        let permissions = job.get("permissions").or(self.workflow_permissions)?;
        let power = Self::scope_power(permissions.span, permissions)?;
        Some(Power {
            span: power.span.filter(|_| self.here),
            ..power
        })
    }

    fn scope_power(at: Span, permissions: &Node) -> Option<Power> {
        if permissions.as_str().map(str::trim) == Some("write-all") {
            return Some(Power {
                what: "holds every write scope of the token (`write-all`)".into(),
                span: Some(at),
            });
        }
        permissions.as_map()?.iter().find_map(|e| {
            let scope = e.key_str()?;
            (POWERFUL_SCOPES.contains(&scope) && e.value.as_str().map(str::trim) == Some("write"))
                .then(|| Power {
                    what: format!("holds `{scope}: write`"),
                    span: Some(e.key.span.to(e.value.span)),
                })
        })
    }

    fn step_power(&self, step: &Node, name: &str, undeclared: bool) -> Option<Power> {
        let (source, here) = (self.source, self.here);
        let at = |span: Span| here.then_some(span);
        if name == "peter-evans/slash-command-dispatch" {
            return None;
        }
        if let Some(span) = secret_in(step, source) {
            return Some(Power {
                what: "uses a secret".into(),
                span: at(span),
            });
        }
        if let Some((span, what)) = pr_code_fetches(step, source).into_iter().next() {
            let what = what
                .replace("checks out", "checking out")
                .replace("fetches", "fetching");
            return Some(Power {
                what: format!("runs pull request code ({what})"),
                span: at(span),
            });
        }
        if !undeclared {
            return None;
        }
        if CHANGING_ACTIONS.contains(&name) {
            return Some(Power {
                what: format!("changes the repository with the job token (`{name}`)"),
                span: at(step.get("uses").map_or(step.span, |u| u.span)),
            });
        }
        let run = step.get("run")?;
        let text = run.as_str()?;
        let script = if here {
            self.cx.run_script(run)
        } else {
            let locator = run.locator(source);
            std::rc::Rc::new(shell::parse(text, &|r| locator.span(r)))
        };
        script.commands.iter().find_map(|cmd| {
            let words: Vec<&str> = cmd.words.iter().map(|w| w.text.as_str()).collect();
            changes_repository(&words).then(|| Power {
                what: format!(
                    "changes the repository with the job token (`{}`)",
                    words.iter().take(3).copied().collect::<Vec<_>>().join(" ")
                ),
                span: at(cmd.span().unwrap_or(run.span)),
            })
        })
    }

    /// A step that fails the job when the commenter lacks permission.
    fn failing_check(&self, step: &Node, name: &str) -> bool {
        let with = |key: &str| {
            step.get("with")
                .and_then(|w| w.get(key))
                .and_then(Node::as_str)
                .map(|v| v.trim().to_ascii_lowercase())
        };
        let strong = |level: Option<String>, absent_ok: bool| match level {
            None => absent_ok,
            Some(level) => matches!(level.as_str(), "write" | "maintain" | "admin"),
        };
        match name {
            "lannonbr/repo-permission-check-action" => true,
            "prince-chrismc/check-actor-permissions-action" => strong(with("permission"), false),
            "sushichop/action-repository-permission" => {
                matches!(
                    with("required-permission").as_deref(),
                    Some("write" | "admin")
                )
            }
            "xt0rted/slash-command-action" => strong(with("permission-level"), true),
            "themoddinginquisition/actions-team-membership" => {
                with("exit").is_none_or(|v| v == "true")
            }
            "peter-evans/slash-command-dispatch" => strong(with("permission"), true),
            "actions/github-script" => with("script").is_some_and(|script| {
                [
                    "getcollaboratorpermissionlevel",
                    "checkcollaborator",
                    "getmembershipforuserinorg",
                ]
                .iter()
                .any(|call| script.contains(call))
                    && ["core.setfailed", "throw", "process.exit"]
                        .iter()
                        .any(|fail| script.contains(fail))
            }),
            "" => step
                .get("run")
                .and_then(Node::as_str)
                .is_some_and(|run| queries_permission(run) && nonzero_exit(run)),
            _ => self
                .gate_actions
                .iter()
                .any(|pattern| crate::rules::actions::forbidden_action::matches(pattern, name, "")),
        }
    }

    /// Whether the job's condition requires an authorization check.
    fn gated_by_condition(&self, cond: Option<&Expr>) -> bool {
        cond.is_some_and(|c| requires(c, &|e| self.authorizes(e)))
    }

    /// A failing check (or an output check whose result the job's `if:` requires) in a job
    /// this one needs, directly or through others.
    fn gated_by_needs(&self, job: &Job, jobs: &[Job], cond: Option<&Expr>) -> bool {
        let runs_after_failure = job.get("if").and_then(Node::as_str).is_some_and(|t| {
            t.contains("always()") || t.contains("failure()") || t.contains("!cancelled()")
        });
        if job.get("environment").is_some() {
            return true;
        }
        let mut queue = job.needs();
        let mut seen: Vec<String> = Vec::new();
        while let Some(id) = queue.pop() {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id.clone());
            let Some(needed) = jobs.iter().find(|j| j.id == id) else {
                continue;
            };
            let steps: Vec<&Node> = needed.steps().collect();
            let mut checks: Vec<String> = Vec::new();
            for step in &steps {
                let name = action_name(step).unwrap_or_default();
                let fails = self.failing_check(step, &name)
                    && step.get("continue-on-error").and_then(Node::as_bool) != Some(true);
                if fails && !runs_after_failure {
                    return true;
                }
                if output_check(step, &name) || self.failing_check(step, &name) {
                    checks.extend(step.get("id").and_then(Node::as_str).map(str::to_string));
                }
            }
            // An output of the needed job mapped from a check's output, required to be 'true'.
            if !checks.is_empty()
                && let Some(outputs) = needed.get("outputs").and_then(Node::as_map)
            {
                let mapped: Vec<String> = outputs
                    .iter()
                    .filter(|o| {
                        o.value.as_str().is_some_and(|v| {
                            checks
                                .iter()
                                .any(|c| v.contains(&format!("steps.{c}.outputs.")))
                        })
                    })
                    .filter_map(|o| o.key_str().map(str::to_string))
                    .collect();
                if cond.is_some_and(|c| requires(c, &|e| needs_output_is_true(e, &id, &mapped))) {
                    return true;
                }
            }
            queue.extend(needed.needs());
        }
        false
    }

    /// One authorization check: the commenter's association among the trusted ones, a named
    /// user, or the repository owner.
    fn authorizes(&self, e: &Expr) -> bool {
        let trusted_literal = |e: &Expr| matches!(e, Expr::String(s) if self.trusted.iter().any(|t| t.eq_ignore_ascii_case(s)));
        match e {
            Expr::Binary {
                op: "==",
                left,
                right,
            } => {
                (is_association(left) && trusted_literal(right))
                    || (is_association(right) && trusted_literal(left))
                    || (is_user(left) && matches!(**right, Expr::String(_)))
                    || (is_user(right) && matches!(**left, Expr::String(_)))
                    || (is_path(left, "github.actor") && is_path(right, "github.repository_owner"))
                    || (is_path(right, "github.actor") && is_path(left, "github.repository_owner"))
            }
            Expr::Call { name, args, .. }
                if name.eq_ignore_ascii_case("contains") && args.len() == 2 =>
            {
                let (set, item) = (&args[0], &args[1]);
                if is_association(item) {
                    match set {
                        Expr::String(literal) => {
                            let upper = literal.to_ascii_uppercase();
                            !ASSOCIATIONS
                                .iter()
                                .filter(|a| !self.trusted.iter().any(|t| t == *a))
                                .any(|untrusted| {
                                    // `CONTRIBUTOR` inside `FIRST_TIME_CONTRIBUTOR` is not a
                                    // separate entry when the longer one is trusted.
                                    upper
                                        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                                        .any(|word| word == *untrusted)
                                })
                        }
                        _ => json_array(set).is_some_and(|items| {
                            !items.is_empty()
                                && items
                                    .iter()
                                    .all(|i| self.trusted.iter().any(|t| t.eq_ignore_ascii_case(i)))
                        }),
                    }
                } else if is_user(item) {
                    json_array(set).is_some_and(|items| !items.is_empty())
                } else {
                    false
                }
            }
            _ => false,
        }
    }
}

/// Whether the job can run on a comment event: not when its `if:` requires another event.
fn runs_on_comments(cond: &Expr, events: &[&str]) -> bool {
    let mut excluded: Vec<String> = Vec::new();
    for c in conjuncts(cond) {
        if let Expr::Binary { op, left, right } = c
            && matches!(*op, "==" | "!=")
        {
            let value = match (&**left, &**right) {
                (l, Expr::String(s)) if is_path(l, "github.event_name") => s,
                (Expr::String(s), r) if is_path(r, "github.event_name") => s,
                _ => continue,
            };
            if *op == "==" && !COMMENT_EVENTS.contains(&value.as_str()) {
                return false;
            }
            if *op == "!=" {
                excluded.push(value.clone());
            }
        }
    }
    !events.iter().all(|e| excluded.iter().any(|x| x == e))
}

fn is_path(e: &Expr, name: &str) -> bool {
    e.path_name().as_deref() == Some(name)
}

fn is_association(e: &Expr) -> bool {
    is_path(e, "github.event.comment.author_association")
        || is_path(e, "github.event.review.author_association")
}

fn is_user(e: &Expr) -> bool {
    [
        "github.actor",
        "github.triggering_actor",
        "github.event.sender.login",
        "github.event.comment.user.login",
        "github.event.review.user.login",
    ]
    .iter()
    .any(|p| is_path(e, p))
}

/// The string items of `fromJSON('[…]')`.
fn json_array(e: &Expr) -> Option<Vec<String>> {
    let Expr::Call { name, args, .. } = e else {
        return None;
    };
    if !name.eq_ignore_ascii_case("fromjson") || args.len() != 1 {
        return None;
    }
    let Expr::String(text) = &args[0] else {
        return None;
    };
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The context compared `== 'true'` (either side), when `e` is such a comparison.
fn compared_to_true(e: &Expr) -> Option<&Expr> {
    let Expr::Binary {
        op: "==",
        left,
        right,
    } = e
    else {
        return None;
    };
    match (&**left, &**right) {
        (path, Expr::String(s)) | (Expr::String(s), path) if s == "true" => Some(path),
        _ => None,
    }
}

/// `steps.<id>.outputs.<o> == 'true'` for one of `ids`.
fn output_is_true(e: &Expr, ids: &[String]) -> bool {
    let Some(name) = compared_to_true(e).and_then(Expr::path_name) else {
        return false;
    };
    ids.iter()
        .any(|id| name.starts_with(&format!("steps.{}.outputs.", id.to_ascii_lowercase())))
}

/// `needs.<job>.outputs.<o> == 'true'` for one of the mapped outputs of `job`.
fn needs_output_is_true(e: &Expr, job: &str, outputs: &[String]) -> bool {
    let Some(Expr::Path { root, parts, .. }) = compared_to_true(e) else {
        return false;
    };
    let names: Vec<String> = parts
        .iter()
        .map(|p| match p {
            Part::Property(n) => n.to_ascii_lowercase(),
            _ => String::new(),
        })
        .collect();
    root.eq_ignore_ascii_case("needs")
        && names.len() == 3
        && names[0] == job.to_ascii_lowercase()
        && names[1] == "outputs"
        && outputs.iter().any(|o| o.eq_ignore_ascii_case(&names[2]))
}

/// A command that changes the repository with the job's token.
fn changes_repository(words: &[&str]) -> bool {
    match words {
        ["git", "push", ..] => true,
        ["gh", "pr", "merge", ..] => true,
        ["gh", "release", action, ..] => {
            matches!(*action, "create" | "upload" | "edit" | "delete")
        }
        ["gh", "workflow", "run", ..] => true,
        ["gh", "api", rest @ ..] => {
            let mut method = None;
            for (i, w) in rest.iter().enumerate() {
                if let Some(m) = w
                    .strip_prefix("--method=")
                    .or_else(|| w.strip_prefix("-X").filter(|m| !m.is_empty()))
                {
                    method = Some(m.to_string());
                } else if matches!(*w, "-X" | "--method") {
                    method = rest.get(i + 1).map(|m| m.to_string());
                }
            }
            method.is_some_and(|m| !m.eq_ignore_ascii_case("get"))
        }
        _ => false,
    }
}

/// A script that exits non-zero somewhere (`exit 1`, `exit 2`, …).
fn nonzero_exit(script: &str) -> bool {
    script.split("exit").skip(1).any(|rest| {
        let code: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        !code.is_empty() && code != "0"
    })
}

/// The first secret reference in the scalars of `node`.
fn secret_in(node: &Node, source: &str) -> Option<Span> {
    let mut values = Vec::new();
    scalars(node, &mut values);
    values.into_iter().find_map(|value| {
        expressions(value, source)
            .into_iter()
            .find(|(_, e)| secret_reference(e))
            .map(|(span, _)| span)
    })
}

fn workflow_env_secret(root: &Node, source: &str) -> Option<Span> {
    secret_in(root.get("env")?, source)
}

/// A check whose result is an output: the known actions, or a `run:` that asks GitHub for the
/// commenter's permission (`…/collaborators/<user>/permission`, `…/members/<user>`) and writes
/// the answer to `$GITHUB_OUTPUT` (a common hand-written form of the same check).
fn output_check(step: &Node, name: &str) -> bool {
    if OUTPUT_CHECKS.contains(&name) {
        return true;
    }
    name.is_empty()
        && step
            .get("run")
            .and_then(Node::as_str)
            .is_some_and(|run| queries_permission(run) && run.contains("GITHUB_OUTPUT"))
}

fn queries_permission(run: &str) -> bool {
    (run.contains("/collaborators/") && run.contains("/permission")) || run.contains("/members/")
}
