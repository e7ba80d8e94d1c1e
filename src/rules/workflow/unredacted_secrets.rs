use super::all_expressions;
use crate::parse::Document;
use crate::parse::expr::Expr;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `fromJSON(secrets.X)`, alone or with a field taken from it
    /// (`fromJSON(secrets.X).field`), at the expression.
    ///
    /// ## Why is this bad?
    /// GitHub masks a secret's exact value in logs. Whatever `fromJSON` makes of it — a field, or
    /// a JSON string without its quotes — is a new string the runner does not know to mask, so
    /// it is printed in clear wherever it is echoed.
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
    ///           PASSWORD: ${{ fromJSON(secrets.DB).password }}
    /// ```
    ///
    /// ## Use instead
    /// Store each value as its own secret:
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: ./deploy.sh
    ///         env:
    ///           PASSWORD: ${{ secrets.DB_PASSWORD }}
    /// ```
    pub static UNREDACTED_SECRETS = {
        id: "unredacted-secrets",
        summary: "field of a JSON secret is not masked in logs",
        level: Warning,
        kinds: [Workflow, Action],
        tags: ["security", "external/cwe/cwe-532"],
        security_severity: Some("5.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    for (span, expr) in all_expressions(doc, &cx.file.text) {
        let mut found = false;
        expr.walk(&mut |e| {
            if let Expr::Call { name, args, .. } = e
                && name == "fromjson"
                && args
                    .iter()
                    .any(|a| a.path_name().is_some_and(|p| p.starts_with("secrets")))
            {
                found = true;
            }
        });
        if found {
            cx.report(
                span,
                "A value parsed out of a JSON secret is not masked in logs",
            )
            .help(
                "store the field as a secret of its own, or call `::add-mask::` on it before any use",
            );
        }
    }
}
