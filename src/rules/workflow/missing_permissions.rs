use crate::parse::{Document, workflow};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags each job, at its id, when neither the workflow nor the job sets `permissions:`.
    ///
    /// ## Why is this bad?
    /// Without `permissions:`, the token gets the repository's or organisation's default, which
    /// is read-write for everything in many older repositories. The workflow file then does not
    /// say what the job may do, and a compromised step inherits that default.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
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
    /// permissions:
    ///   contents: read
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: make test
    /// ```
    pub static MISSING_PERMISSIONS = {
        id: "missing-permissions",
        summary: "job token permissions are not declared",
        level: Note,
        kinds: [Workflow],
        tags: ["security", "external/cwe/cwe-272"],
        security_severity: Some("3.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Workflow(root) = doc else {
        return;
    };
    if root.get("permissions").is_some() {
        return;
    }
    let mut reports = Vec::new();
    for job in workflow::jobs(root) {
        if job.get("permissions").is_none() {
            reports.push((job.entry.key.span, format!("Job `{}` runs with the default token permissions: neither it nor the workflow sets `permissions:`", job.id)));
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("declare what the token may do, e.g. `permissions: {contents: read}` at the top of the workflow");
    }
}
