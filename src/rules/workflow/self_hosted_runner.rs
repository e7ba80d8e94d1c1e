use super::trigger_names;
use crate::finding::Level;
use crate::parse::{Document, workflow};
use crate::rules::{Context, declare_rule};

const PR_TRIGGERS: &[&str] = &[
    "pull_request",
    "pull_request_target",
    "pull_request_review",
    "pull_request_review_comment",
    "issue_comment",
];

declare_rule! {
    /// ## What it does
    /// Flags jobs that run on self-hosted runners: `runs-on: self-hosted`, a label list
    /// containing `self-hosted`, or a runner `group:`. A custom label alone is not reported (it
    /// may name a larger GitHub-hosted runner). A warning instead of a note when the workflow
    /// runs on pull-request or comment events.
    ///
    /// ## Why is this bad?
    /// Self-hosted runners are usually not ephemeral: code from one job can persist on the
    /// machine and tamper with the next job, read its secrets or reach the internal network.
    /// When pull requests from forks can trigger them, any outsider gets that foothold.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request
    /// jobs:
    ///   test:
    ///     runs-on: [self-hosted, linux]
    ///     steps:
    ///       - run: make test
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: pull_request
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: make test
    /// ```
    pub static SELF_HOSTED_RUNNER = {
        id: "self-hosted-runner",
        summary: "job runs on a self-hosted runner",
        level: Note,
        kinds: [Workflow],
        tags: ["security"],
        security_severity: Some("3.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Workflow(root) = doc else {
        return;
    };
    let on_prs = trigger_names(doc)
        .iter()
        .any(|t| PR_TRIGGERS.contains(&t.as_str()));
    let mut reports = Vec::new();
    for job in workflow::jobs(root) {
        let Some(entry) = job.entry.value.entry("runs-on") else {
            continue;
        };
        let labels: Vec<String> = match entry.value.as_seq() {
            Some(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            None => entry.value.get("labels").map_or_else(
                || {
                    entry
                        .value
                        .as_str()
                        .map(|s| vec![s.to_string()])
                        .unwrap_or_default()
                },
                |l| {
                    crate::parse::compose::list(Some(l))
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect()
                },
            ),
        };
        let self_hosted = labels
            .iter()
            .any(|l| l.trim().eq_ignore_ascii_case("self-hosted"))
            || entry.value.get("group").is_some();
        if self_hosted {
            reports.push((
                entry.key.span.to(entry.value.span),
                format!("Job `{}` runs on a self-hosted runner", job.id),
            ));
        }
    }
    for (span, message) in reports {
        let message = if on_prs {
            format!("{message}, and the workflow runs on pull-request events")
        } else {
            message
        };
        let draft = cx.report(span, message);
        draft.help("use GitHub-hosted runners, or ephemeral, isolated self-hosted runners that never run code from forks");
        if on_prs {
            draft.level(Level::Warning);
        }
    }
}
