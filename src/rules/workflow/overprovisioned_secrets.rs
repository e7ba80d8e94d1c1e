use super::all_expressions;
use crate::parse::Document;
use crate::parse::expr::{Expr, Part};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags expressions that hand over every secret at once: `toJSON(secrets)` (or `secrets`
    /// used as a whole anywhere) and dynamic indexing `secrets[…]` with a non-literal index
    /// (`secrets[matrix.name]`, `secrets[format(…)]`). The finding points at the expression.
    ///
    /// ## Why is this bad?
    /// Secrets are only available to a job when the workflow names them; these forms make all of
    /// them available, so one leak (a log line, a compromised step) exposes every secret instead
    /// of the one that was needed.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: ./deploy.sh
    ///         env:
    ///           ALL_SECRETS: ${{ toJSON(secrets) }}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: ./deploy.sh
    ///         env:
    ///           DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}
    /// ```
    pub static OVERPROVISIONED_SECRETS = {
        id: "overprovisioned-secrets",
        summary: "expression exposes every secret",
        level: Warning,
        kinds: [Workflow, Action],
        tags: ["security", "external/cwe/cwe-200"],
        security_severity: Some("5.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    // Sent off the runner: `secret-exfiltration` reports it, more strongly.
    let mut sent: Option<Vec<crate::source::Span>> = None;
    for (span, expr) in all_expressions(doc, &cx.file.text) {
        let mut bad = None;
        expr.walk(&mut |e| {
            if let Expr::Path { root, parts, .. } = e
                && root.eq_ignore_ascii_case("secrets")
            {
                match parts.first() {
                    None => bad = Some("`secrets` as a whole"),
                    Some(Part::Index(index)) if !matches!(index.as_ref(), Expr::String(_)) => {
                        bad = Some("`secrets[…]` with a computed index")
                    }
                    Some(Part::Star) => bad = Some("`secrets.*`"),
                    _ => {}
                }
            }
        });
        if let Some(what) = bad {
            let sent = sent.get_or_insert_with(|| {
                crate::rules::supply_chain::secret_exfiltration::sent_everything(doc, cx)
            });
            if sent
                .iter()
                .any(|s| s.start < span.end && span.start < s.end)
            {
                continue;
            }
            cx.report(
                span,
                format!("{what} makes every secret available to this job"),
            )
            .help("name each secret the step needs: `${{ secrets.NAME }}`");
        }
    }
}
