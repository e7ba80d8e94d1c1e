use super::untrusted_checkout::line_offsets;
use super::{PRIVILEGED_TRIGGERS, expressions, steps, tainted, trigger_names};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a write to `$GITHUB_ENV` or `$GITHUB_PATH` in a `run:` (`>> $GITHUB_ENV`,
    /// `>> "${GITHUB_ENV}"`, `tee -a $GITHUB_PATH`…) when the workflow has a privileged trigger
    /// (`pull_request_target`, `workflow_run`, `issue_comment`), or when the same line expands
    /// an attacker-controlled expression. The finding points at the line of the write.
    ///
    /// ## Why is this bad?
    /// Every later step of the job reads these files. Whoever controls what is written can set
    /// `LD_PRELOAD`, `NODE_OPTIONS`, `BASH_ENV` or prepend a directory to `PATH`, and so run code
    /// in the steps that hold secrets. Under a privileged trigger the written data usually comes
    /// from the pull request.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: echo "BRANCH=$HEAD_REF" >> "$GITHUB_ENV"
    ///         env:
    ///           HEAD_REF: ${{ github.head_ref }}
    /// ```
    ///
    /// ## Use instead
    /// Keep the value in a step output or an `env:` of the step that needs it:
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: echo "branch is $HEAD_REF"
    ///         env:
    ///           HEAD_REF: ${{ github.head_ref }}
    /// ```
    pub static GITHUB_ENV_INJECTION = {
        id: "github-env-injection",
        summary: "untrusted data written to GITHUB_ENV or GITHUB_PATH",
        level: Error,
        kinds: [Workflow, Action],
        tags: ["security", "injection", "external/cwe/cwe-94"],
        security_severity: Some("8.0"),
        check: Some(check),
    }
}

fn writes_env_file(line: &str) -> Option<&'static str> {
    let compact: String = line
        .chars()
        .filter(|c| !matches!(c, '"' | '\'' | '{' | '}'))
        .collect();
    for file in ["GITHUB_ENV", "GITHUB_PATH"] {
        let target = format!("${file}");
        let redirect = compact.contains(&format!(">>{target}"))
            || compact.contains(&format!(">> {target}"))
            || compact.contains(&format!("> {target}"))
            || compact.contains(&format!(">{target}"));
        let tee = compact.contains("tee") && compact.contains(&target);
        if redirect || tee {
            return Some(if file == "GITHUB_ENV" {
                "$GITHUB_ENV"
            } else {
                "$GITHUB_PATH"
            });
        }
    }
    None
}

fn check(doc: &Document, cx: &mut Context) {
    let triggers = trigger_names(doc);
    let privileged = triggers
        .iter()
        .find(|t| PRIVILEGED_TRIGGERS.contains(&t.as_str()))
        .cloned();
    let mut reports = Vec::new();
    for (_, step) in steps(doc) {
        let Some(run) = step.get("run") else { continue };
        let Some(script) = run.as_str() else { continue };
        let tainted_spans: Vec<(crate::source::Span, String)> = expressions(run, &cx.file.text)
            .into_iter()
            .filter_map(|(span, e)| tainted(&e).into_iter().next().map(|(c, _)| (span, c)))
            .collect();
        for (offset, line) in line_offsets(script) {
            let Some(file) = writes_env_file(line) else {
                continue;
            };
            let lead = line.len() - line.trim_start().len();
            let span = run.subspan(&cx.file.text, offset + lead..offset + line.len());
            let line_tainted = tainted_spans.iter().find(|(s, _)| span.contains(*s));
            let why = match (line_tainted, &privileged) {
                (Some((_, context)), _) => {
                    format!("writes attacker-controlled `{context}` to `{file}`")
                }
                (None, Some(trigger)) => {
                    format!("writes to `{file}` in a workflow triggered by `{trigger}`")
                }
                (None, None) => continue,
            };
            reports.push((
                span,
                format!("This step {why}: later steps run with what it sets"),
            ));
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("do not write outside-controlled data to the environment files; pass it to the step that needs it through `env:` or a step output");
    }
}
