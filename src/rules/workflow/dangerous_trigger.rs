use crate::parse::{Document, workflow};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags workflows triggered by `pull_request_target` or `workflow_run`, at the trigger's
    /// key (or at `on:` for the scalar and list forms).
    ///
    /// ## Why is this bad?
    /// Both run in the context of the base repository, with a write-capable token and access to
    /// secrets, on events that outsiders cause (a fork's pull request, a run of another
    /// workflow). Any use of the pull request's code or data in such a workflow is a path to
    /// compromising the repository; they are almost never needed for a plain CI.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request_target
    /// permissions: {}
    /// jobs:
    ///   label:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: echo labelling
    /// ```
    ///
    /// ## Use instead
    /// Use `pull_request`, which runs fork code without secrets and with a read-only token:
    /// ```yaml
    /// on: pull_request
    /// permissions: {}
    /// jobs:
    ///   label:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: echo labelling
    /// ```
    pub static DANGEROUS_TRIGGER = {
        id: "dangerous-trigger",
        summary: "workflow runs privileged on events outsiders cause",
        level: Warning,
        kinds: [Workflow],
        tags: ["security", "external/cwe/cwe-829"],
        security_severity: Some("5.5"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Workflow(root) = doc else {
        return;
    };
    for (name, span) in workflow::triggers(root) {
        if name == "pull_request_target" || name == "workflow_run" {
            cx.report(span, format!("`{name}` runs with secrets and a write token on events outsiders can cause"))
                .help("prefer `pull_request`; if this trigger is needed, never check out or run the pull request's code, and keep `permissions:` minimal");
        }
    }
}
