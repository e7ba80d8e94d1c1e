use crate::parse::expr::{Expr, find_all};
use crate::parse::yaml::Node;
use crate::parse::{Document, workflow};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an `if:` (job or step) that trusts a bot by name: `github.actor == 'dependabot[bot]'`
    /// (also `github.triggering_actor`, and `contains`/`startsWith`/`endsWith` on the actor with
    /// a bot's name, `[bot]` or a known one such as `dependabot`), or by id:
    /// `github.actor_id == 49699333`.
    ///
    /// Only a check that *grants* is reported: the guarded job or step runs because the actor
    /// looks like the bot. A check that skips work for the bot (`github.actor !=
    /// 'dependabot[bot]'`, `!contains(github.actor, '[bot]')`) trusts nothing and is not.
    ///
    /// ## Why is this bad?
    /// `github.actor` is whoever triggered the *latest* event, not who wrote the code: anyone can
    /// push to a pull request that Dependabot opened and the condition still holds, or get a bot
    /// to act on their fork. Auto-merge and "trusted bot" jobs gated this way run attacker code.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   automerge:
    ///     runs-on: ubuntu-24.04
    ///     if: github.actor == 'dependabot[bot]'
    ///     steps:
    ///       - run: gh pr merge --auto "$PR"
    /// ```
    ///
    /// ## Use instead
    /// Check who opened the pull request, which cannot be changed later:
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   automerge:
    ///     runs-on: ubuntu-24.04
    ///     if: github.event.pull_request.user.login == 'dependabot[bot]'
    ///     steps:
    ///       - run: gh pr merge --auto "$PR"
    /// ```
    pub static SPOOFABLE_BOT_CONDITION = {
        id: "spoofable-bot-condition",
        summary: "condition trusts a bot by its actor name",
        level: Warning,
        kinds: [Workflow],
        tags: ["security", "external/cwe/cwe-290"],
        security_severity: Some("6.0"),
        check: Some(check),
    }
}

fn is_actor(e: &Expr) -> bool {
    matches!(
        e.path_name().as_deref(),
        Some("github.actor" | "github.triggering_actor")
    )
}

/// `github.actor_id` compared with any literal: bots are usually matched by their numeric id.
fn is_actor_id(e: &Expr) -> bool {
    matches!(
        e.path_name().as_deref(),
        Some("github.actor_id" | "github.triggering_actor_id")
    )
}

fn literal(e: &Expr) -> bool {
    matches!(e, Expr::String(_) | Expr::Number(_))
}

/// Names of the bots that open pull requests, as conditions write them.
const BOT_NAMES: &[&str] = &[
    "[bot]",
    "dependabot",
    "renovate",
    "github-actions",
    "mergify",
    "snyk-bot",
    "pre-commit-ci",
    "allcontributors",
    "imgbot",
    "depfu",
    "greenkeeper",
];

fn bot(e: &Expr) -> bool {
    matches!(e, Expr::String(s) if {
        let lower = s.to_ascii_lowercase();
        BOT_NAMES.iter().any(|name| lower.contains(name))
    })
}

/// A comparison of the actor with a bot: `Some(true)` when it holds for the bot (`==`,
/// `contains`, `startsWith`, `endsWith`), `Some(false)` when it holds for everyone else (`!=`).
fn actor_check(e: &Expr) -> Option<bool> {
    match e {
        Expr::Binary { op, left, right } if matches!(*op, "==" | "!=") => {
            let matched = (is_actor(left) && bot(right))
                || (is_actor(right) && bot(left))
                || (is_actor_id(left) && literal(right))
                || (is_actor_id(right) && literal(left));
            matched.then_some(*op == "==")
        }
        Expr::Call { name, args, .. }
            if matches!(
                name.to_ascii_lowercase().as_str(),
                "contains" | "startswith" | "endswith"
            ) && args.len() == 2
                && is_actor(&args[0])
                && bot(&args[1]) =>
        {
            Some(true)
        }
        _ => None,
    }
}

/// Whether the condition lets something run *because* the actor looks like a bot. A check
/// that skips work for the bot (`!=`, `!contains(…)`) trusts nothing.
fn grants(expr: &Expr, positive: bool) -> bool {
    if let Some(holds_for_bot) = actor_check(expr) {
        return holds_for_bot == positive;
    }
    match expr {
        Expr::Not(inner) => grants(inner, !positive),
        Expr::Binary { op, left, right } if matches!(*op, "&&" | "||") => {
            grants(left, positive) || grants(right, positive)
        }
        _ => false,
    }
}

fn spoofable(expr: &Expr) -> bool {
    grants(expr, true)
}

fn conditions(root: &Node) -> Vec<&crate::parse::yaml::Entry> {
    let mut out = Vec::new();
    for job in workflow::jobs(root) {
        out.extend(job.entry.value.entry("if"));
        out.extend(job.steps().filter_map(|s| s.entry("if")));
    }
    out
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Workflow(root) = doc else {
        return;
    };
    let mut reports = Vec::new();
    for entry in conditions(root) {
        let Some(text) = entry.value.as_str() else {
            continue;
        };
        // `if:` may be written with or without `${{ }}`.
        let exprs: Vec<Expr> = if text.contains("${{") {
            find_all(text)
                .into_iter()
                .filter_map(|e| e.expr.ok())
                .collect()
        } else {
            crate::parse::expr::parse(text).into_iter().collect()
        };
        if exprs.iter().any(spoofable) {
            reports.push(entry.key.span.to(entry.value.span));
        }
    }
    for span in reports {
        cx.report(span, "This condition trusts `github.actor`, which anyone who triggers the event can make a bot's name")
            .help("check the author of the change instead, e.g. `github.event.pull_request.user.login == 'dependabot[bot]'`");
    }
}
