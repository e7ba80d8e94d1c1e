use crate::parse::yaml::Style;
use crate::parse::{Document, workflow};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an `if:` (job or step) that is always true because of how it is written: a
    /// `${{ … }}` with other text outside it (`if: ${{ a }} && ${{ b }}`, `if: ${{ x }} == 'y'`),
    /// or a block scalar (`if: |` or `if: >`) holding a `${{ … }}`, whose trailing newline is
    /// part of the string. The finding is at the `if:` line.
    ///
    /// ## Why is this bad?
    /// When the value is not one single `${{ }}`, GitHub evaluates the whole string, and a
    /// non-empty string is truthy: the step or job runs regardless of the condition — typically
    /// a deploy or a privileged step meant to be gated.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     runs-on: ubuntu-24.04
    ///     if: ${{ github.ref == 'refs/heads/main' }} && ${{ github.repository == 'acme/app' }}
    ///     steps:
    ///       - run: ./deploy.sh
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     runs-on: ubuntu-24.04
    ///     if: github.ref == 'refs/heads/main' && github.repository == 'acme/app'
    ///     steps:
    ///       - run: ./deploy.sh
    /// ```
    pub static UNSOUND_CONDITION = {
        id: "unsound-condition",
        summary: "condition is always true",
        level: Error,
        kinds: [Workflow, Action],
        tags: ["security", "correctness"],
        security_severity: Some("6.5"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let mut entries = Vec::new();
    match doc {
        Document::Workflow(root) => {
            for job in workflow::jobs(root) {
                entries.extend(job.entry.value.entry("if"));
                entries.extend(job.steps().filter_map(|s| s.entry("if")));
            }
        }
        Document::Action(root) => {
            entries.extend(workflow::action_steps(root).filter_map(|s| s.entry("if")))
        }
        _ => {}
    }
    let mut reports = Vec::new();
    for entry in entries {
        let Some(scalar) = entry.value.as_scalar() else {
            continue;
        };
        let text = scalar.text.as_str();
        if !text.contains("${{") {
            continue;
        }
        let block = matches!(scalar.style, Style::Literal | Style::Folded);
        let found = crate::parse::expr::find_all(text);
        let single =
            found.len() == 1 && found[0].range.start == 0 && found[0].range.end == text.len();
        let mixed = !single;
        if block && text.trim_end() != text || mixed {
            let why = if block && single_ignoring_newline(text) {
                "a block scalar keeps its trailing newline, so the string is not a single expression"
            } else {
                "text outside `${{ }}` makes the whole value a non-empty string"
            };
            reports.push((entry.key.span, format!("This `if:` is always true: {why}")));
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("write the whole condition as one expression, without `${{ }}` or inside a single one, on one line");
    }
}

fn single_ignoring_newline(text: &str) -> bool {
    let t = text.trim();
    t.starts_with("${{") && t.ends_with("}}") && crate::parse::expr::find_all(t).len() == 1
}
