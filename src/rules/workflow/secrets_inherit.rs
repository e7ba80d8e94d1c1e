use crate::parse::{Document, workflow};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a reusable-workflow call with `secrets: inherit`, at that key.
    ///
    /// ## Why is this bad?
    /// `inherit` passes every secret of the calling repository (and organisation) to the called
    /// workflow, whatever it needs. If that workflow — often in another repository — is changed
    /// or compromised, all of them leak at once.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     uses: acme/workflows/.github/workflows/deploy.yml@8f4b7f84864484a7bf31766abe9204da3cbe65b3
    ///     secrets: inherit
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     uses: acme/workflows/.github/workflows/deploy.yml@8f4b7f84864484a7bf31766abe9204da3cbe65b3
    ///     secrets:
    ///       DEPLOY_KEY: ${{ secrets.DEPLOY_KEY }}
    /// ```
    pub static SECRETS_INHERIT = {
        id: "secrets-inherit",
        summary: "reusable workflow receives every secret",
        level: Warning,
        kinds: [Workflow],
        tags: ["security", "external/cwe/cwe-200"],
        security_severity: Some("5.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Workflow(root) = doc else {
        return;
    };
    let mut reports = Vec::new();
    for job in workflow::jobs(root) {
        if let Some(entry) = job.entry.value.entry("secrets")
            && entry.value.as_str().map(str::trim) == Some("inherit")
        {
            reports.push((
                entry.key.span.to(entry.value.span),
                format!(
                    "Job `{}` passes every secret to the reusable workflow it calls",
                    job.id
                ),
            ));
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("pass only the secrets the called workflow needs, by name");
    }
}
