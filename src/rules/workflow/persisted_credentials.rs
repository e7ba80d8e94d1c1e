use super::steps;
use crate::finding::Level;
use crate::parse::Document;
use crate::parse::workflow::action_name;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `actions/checkout` without `persist-credentials: false`, at the step's `uses:` (or
    /// at `persist-credentials: true`). It is an error when a later step of the same job uploads
    /// the workspace as an artifact (`actions/upload-artifact` with a `path:` of `.`, `./`, or the
    /// workspace), because the token is then in the artifact.
    ///
    /// ## Why is this bad?
    /// By default `actions/checkout` writes the job's token into `.git/config` so that later git
    /// commands can push. Every later step — third-party actions, build scripts, test code — can
    /// read it, and an uploaded workspace publishes it ("ArtiPACKED").
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    ///         with:
    ///           persist-credentials: false
    /// ```
    pub static PERSISTED_CREDENTIALS = {
        id: "persisted-credentials",
        summary: "checkout leaves the token in the workspace",
        level: Warning,
        kinds: [Workflow, Action],
        tags: ["security", "external/cwe/cwe-522"],
        security_severity: Some("5.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let all = steps(doc);
    let mut reports = Vec::new();
    for (i, (job, step)) in all.iter().enumerate() {
        if action_name(step).as_deref() != Some("actions/checkout") {
            continue;
        }
        let setting = step
            .get("with")
            .and_then(|w| w.entry("persist-credentials"));
        if setting.is_some_and(|e| e.value.as_bool() == Some(false)) {
            continue;
        }
        // Steps come job by job: the job's later steps are the ones up to the next job.
        let uploads_workspace =
            all[i + 1..]
                .iter()
                .take_while(|(j, _)| j == job)
                .any(|(_, later)| {
                    action_name(later).as_deref() == Some("actions/upload-artifact")
                        && later
                            .get("with")
                            .and_then(|w| w.get("path"))
                            .and_then(|p| p.as_str())
                            .is_some_and(|p| {
                                p.lines().any(|l| {
                                    matches!(
                                        l.trim(),
                                        "." | "./"
                                            | "${{ github.workspace }}"
                                            | "${{ github.workspace }}/"
                                    )
                                })
                            })
                });
        let span = match setting {
            Some(e) => e.key.span.to(e.value.span),
            None => step
                .entry("uses")
                .map_or(step.span, |e| e.key.span.to(e.value.span)),
        };
        reports.push((span, uploads_workspace));
    }
    for (span, uploads) in reports {
        let message = if uploads {
            "`actions/checkout` keeps the token in `.git/config`, and a later step uploads the workspace with it"
        } else {
            "`actions/checkout` keeps the token in `.git/config`, readable by every later step"
        };
        let draft = cx.report(span, message);
        draft.help("add `with: {persist-credentials: false}`; steps that push can configure credentials themselves");
        if uploads {
            draft.level(Level::Error);
        }
    }
}
