use super::assignments::{
    Class, classify, judge, reported_as_provider_format, secret_named, settings, url_credentials,
};
use super::secret_in_config::{is_template, locate};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a secret-named setting (see `secret-in-config` for the places and the key names)
    /// whose value is a well-known default or placeholder password — `password`, `changeme`,
    /// `admin`, `root`, `postgres`, `secret`, `example`, `123456` and about 90 others,
    /// case-insensitive — or equal to the user name set beside it; also such a value as the
    /// default of `${VAR:-weak}` and as the password of a connection URL. Template files
    /// (`.env.example`, `*.sample`, `*.template`, `*.dist`) are not reported.
    ///
    /// The value is shown as written, in every output: weak defaults are public (they are in
    /// every tutorial and every scanner's word list), and a password equal to its user name is
    /// no more secret than the user name beside it. Masking them would only mangle messages
    /// (`postgres` inside `postgresql-client`). Literal credentials (`secret-in-config`,
    /// `hardcoded-secret`) are masked.
    ///
    /// ## Why is this bad?
    /// Default credentials are the first thing attackers and scanners try. Configuration meant
    /// for local development ends up deployed more often than anyone plans, and a database
    /// published on a port with `postgres`/`postgres` is taken over within hours.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17@sha256:8b2e5c8e6d0f4b7b6c1a9e3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a
    ///     environment:
    ///       POSTGRES_PASSWORD: postgres
    /// ```
    ///
    /// ## Use instead
    /// Require the value from outside the repository:
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17@sha256:8b2e5c8e6d0f4b7b6c1a9e3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a
    ///     environment:
    ///       POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}
    /// ```
    pub static WEAK_DEFAULT_CREDENTIAL = {
        id: "weak-default-credential",
        summary: "well-known default credential",
        level: Warning,
        kinds: [Dockerfile, Compose, Workflow, Action, Env],
        tags: ["security", "secret", "external/cwe/cwe-1392"],
        security_severity: Some("6.5"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    if is_template(cx.path) {
        return;
    }
    let mut reports = Vec::new();
    // Whether a value is hardcoded-secret's is asked only of values this rule would report.
    let provider_format =
        |s: &super::assignments::Setting| reported_as_provider_format(&cx.file.text, s);
    for s in settings(doc, &cx.file.text) {
        if secret_named(&s.key) {
            if let Class::Weak(why) = judge(&s)
                && !provider_format(&s)
            {
                reports.push((s.key_span, format!("`{}` in {} is {why}", s.key, s.place)));
            }
            continue;
        }
        if let Some((user, password, _)) = url_credentials(&s.value)
            && let Class::Weak(why) = classify(&password, Some(&user))
            && !provider_format(&s)
        {
            let span = locate(&cx.file.text, s.value_span, &password);
            reports.push((
                span,
                format!(
                    "The password in the URL of `{}` ({}) is {why}",
                    s.key, s.place
                ),
            ));
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("require a real value from outside the repository: `${VAR:?message}` in compose, a secret store, or `${{ secrets.NAME }}` in workflows");
    }
}
