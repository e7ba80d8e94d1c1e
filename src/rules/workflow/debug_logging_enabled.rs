use super::env_maps;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `ACTIONS_STEP_DEBUG` or `ACTIONS_RUNNER_DEBUG` set to true in a workflow's or
    /// action's `env:`.
    ///
    /// ## Why is this bad?
    /// Debug logging prints much more of each step's inputs and environment; in a public
    /// repository the logs are public. Turn it on for one re-run (the "Enable debug logging"
    /// checkbox) rather than committing it.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// env:
    ///   ACTIONS_STEP_DEBUG: true
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: make test
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: make test
    /// ```
    pub static DEBUG_LOGGING_ENABLED = {
        id: "debug-logging-enabled",
        summary: "Actions debug logging enabled in the workflow",
        level: Note,
        kinds: [Workflow, Action],
        tags: ["security", "external/cwe/cwe-532"],
        security_severity: Some("2.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let mut reports = Vec::new();
    for env in env_maps(doc) {
        for name in ["ACTIONS_STEP_DEBUG", "ACTIONS_RUNNER_DEBUG"] {
            if let Some(entry) = env.entry(name)
                && entry.value.as_bool() == Some(true)
            {
                reports.push((entry.key.span.to(entry.value.span), name));
            }
        }
    }
    for (span, name) in reports {
        cx.report(
            span,
            format!("`{name}` turns on debug logging for every run"),
        )
        .help(
            "remove it; enable debug logging for a single re-run from the Actions UI when needed",
        );
    }
}
