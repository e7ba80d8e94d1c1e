use crate::parse::yaml::Node;
use crate::parse::{Document, workflow};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `permissions: write-all` at any level, and write scopes set at the workflow level
    /// (`permissions: {contents: write, …}`) in a workflow with more than one job, where every
    /// job without its own `permissions:` inherits them — reported when two or more jobs inherit
    /// them. `read-all` is not reported; a workflow with a single job, or where only one job
    /// does not set its own `permissions:`, may set that job's scopes at the top (it is the same
    /// as setting them on the job).
    ///
    /// ## Why is this bad?
    /// The `GITHUB_TOKEN` can do whatever its scopes allow for the whole run. A compromised
    /// step — a malicious action, an injected command — uses it to push code, create releases
    /// or approve pull requests. Each job should hold only the scopes it needs.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// permissions: write-all
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
    pub static EXCESSIVE_PERMISSIONS = {
        id: "excessive-permissions",
        summary: "workflow token has broad write permissions",
        level: Warning,
        kinds: [Workflow],
        tags: ["security", "external/cwe/cwe-272"],
        security_severity: Some("6.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Workflow(root) = doc else {
        return;
    };
    let mut reports = Vec::new();
    let jobs: Vec<_> = workflow::jobs(root).collect();
    let mut levels: Vec<(Option<&str>, &crate::parse::yaml::Entry)> = Vec::new();
    if let Some(entry) = root.entry("permissions") {
        levels.push((None, entry));
    }
    for job in &jobs {
        if let Some(entry) = job.entry.value.entry("permissions") {
            levels.push((Some(job.id), entry));
        }
    }
    for (job, entry) in levels {
        let place = job.map_or("the workflow".to_string(), |j| format!("job `{j}`"));
        if entry.value.as_str().map(str::trim) == Some("write-all") {
            reports.push((
                entry.key.span.to(entry.value.span),
                format!("`permissions: write-all` gives {place} every write scope of the token"),
            ));
            continue;
        }
        if job.is_none() && jobs.len() > 1 {
            let writes = write_scopes(&entry.value);
            let inheriting: Vec<&str> = jobs
                .iter()
                .filter(|j| j.get("permissions").is_none())
                .map(|j| j.id)
                .collect();
            // One inheriting job holds the scopes as if they were set on it: only scopes that
            // spread to several jobs are excessive.
            if !writes.is_empty() && inheriting.len() > 1 {
                reports.push((
                    entry.key.span,
                    format!(
                        "Workflow-level write scopes ({}) are inherited by {} jobs that do not set their own: {}",
                        writes.join(", "),
                        inheriting.len(),
                        inheriting.iter().map(|j| format!("`{j}`")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("set `permissions: {contents: read}` for the workflow and grant write scopes only on the jobs that need them");
    }
}

fn write_scopes(node: &Node) -> Vec<String> {
    node.as_map()
        .unwrap_or(&[])
        .iter()
        .filter(|e| e.value.as_str().map(str::trim) == Some("write"))
        .filter_map(|e| e.key_str().map(|k| format!("`{k}`")))
        .collect()
}
