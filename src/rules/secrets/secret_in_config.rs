use super::assignments::{
    Class, classify, judge, reported_as_provider_format, secret_named, settings, url_credentials,
};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags a secret-named setting assigned a literal value: Dockerfile `ENV`/`ARG` defaults,
    /// compose `environment`, workflow and action `env` (every level), step `with:` inputs,
    /// job container and service `credentials`, and `.env` files; and a password written in a
    /// connection URL (`postgres://app:s3cret@db/app`) in any of those values.
    ///
    /// A key is secret-named by its words (split at `_`, `-`, `.` and case changes): PASSWORD
    /// (also glued to a word, `ADMINPASSWORD`, and plural), PASSWD, PASS, PWD, PW, SECRET,
    /// TOKEN, APIKEY, CREDENTIAL(S), PASSPHRASE, and KEY when qualified (API_KEY, SECRET_KEY,
    /// PRIVATE_KEY, ACCESS_KEY, ENCRYPTION_KEY, SIGNING_KEY, MASTER_KEY, CLIENT_KEY,
    /// FERNET_KEY…) or followed by BASE (`SECRET_KEY_BASE`). `PUBLIC_KEY`, `GPG_KEY`,
    /// `*_KEY_ID`, `*_FILE`, `*_URL`, schemes and algorithms (`*_SCHEME`, `*_HASH_ALGORITHM`),
    /// lists of names (`*_SECRET_NAMES`) and limits (`*_MIN_*`, `*_LENGTH`, `*_TTL`) are not.
    ///
    /// Not literal credentials: nothing written (`KEY:`, `KEY: ~`, `KEY: null`, `KEY: ""` pass
    /// a host variable through or leave it unset), references (`${VAR}`, `${{ secrets.X }}`,
    /// `$VAR`), placeholders (`<your-token>`, prose, one repeated character after a short
    /// prefix or not — `xxxx`, `sk-xxx-xxx`, `YYYYYYYY`, `00000000` — and the words `invalid`,
    /// `none`, `unset`, `dummy`, `placeholder`, `redacted`, `todo`, `tbd`), switches and small
    /// numbers (`MYSQL_RANDOM_ROOT_PASSWORD=1`, `yes`), and file paths (`/run/secrets/x`).
    /// Values that call themselves tests or examples (`test-token-123`) or only restate their
    /// key (`OIDC_CLIENT_SECRET=client-secret`) are placeholders too.
    /// `${VAR:-default}` is judged by its default. A password is compared with the user set
    /// for the same prefix (`DB_USER` for `DB_PASSWORD`), or else any user of the same block;
    /// a password equal to it, to a database name set beside it (`POSTGRES_DB`), or a
    /// `user:password` pair whose halves are equal is `weak-default-credential`'s. Test
    /// environment files (`.env.test`, `.env.testing`) hold a test suite's values and are not
    /// checked, like templates. A well-known default (`changeme`, `postgres`) or a value equal to the user name
    /// is `weak-default-credential`'s, and a value `hardcoded-secret` reports — a known
    /// provider's format, including those known by their setting's name (`DD_API_KEY` and 32 hex
    /// digits) — is that rule's: each value is reported by one rule. Template files (`.env.example`,
    /// `*.sample`, `*.template`, `*.dist`) are not checked by this rule. The value is never shown.
    ///
    /// ## Why is this bad?
    /// The credential is readable by everyone with access to the repository and stays in its
    /// history. In a Dockerfile it is also baked into the image's configuration and history,
    /// where `docker history` shows it to anyone who pulls the image.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17@sha256:8b2e5c8e6d0f4b7b6c1a9e3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a
    ///     environment:
    ///       POSTGRES_PASSWORD: Kx8-vQ2mZ7pL4nR9
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17@sha256:8b2e5c8e6d0f4b7b6c1a9e3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a
    ///     environment:
    ///       POSTGRES_PASSWORD_FILE: /run/secrets/db_password
    ///     secrets: [db_password]
    /// secrets:
    ///   db_password:
    ///     file: ./secrets/db_password.txt
    /// ```
    pub static SECRET_IN_CONFIG = {
        id: "secret-in-config",
        summary: "credential written into configuration",
        level: Error,
        kinds: [Dockerfile, Compose, Workflow, Action, Env, DependencyBot],
        tags: ["security", "secret", "external/cwe/cwe-798"],
        security_severity: Some("8.5"),
        check: Some(check),
    }
}

/// `.env.example`, `config.sample`, `app.template`, `.env.dist`: examples, not configuration;
/// `.env.test`, `.env.testing`: the values of a test suite, committed on purpose.
pub fn is_template(path: &std::path::Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    [
        "example", "sample", "template", "dist", "tmpl", "tpl", "test", "testing",
    ]
    .iter()
    .any(|t| name.ends_with(&format!(".{t}")) || name.contains(&format!(".{t}.")))
}

/// The part of `setting`'s source span holding `needle` (first occurrence), else the whole.
pub fn locate(source: &str, span: Span, needle: &str) -> Span {
    match source[span.range()].find(needle) {
        Some(at) if !needle.is_empty() => span.sub(at, needle.len()),
        _ => span,
    }
}

fn check(doc: &Document, cx: &mut Context) {
    if is_template(cx.path) {
        return;
    }
    let dockerfile = matches!(doc, Document::Dockerfile(_));
    let mut reports = Vec::new();
    // Whether a value is hardcoded-secret's is asked only of values this rule would report.
    let provider_format =
        |s: &super::assignments::Setting| reported_as_provider_format(&cx.file.text, s);
    for s in settings(doc, &cx.file.text) {
        if secret_named(&s.key) && judge(&s) == Class::Literal {
            if provider_format(&s) {
                continue;
            }
            reports.push((
                s.key_span,
                s.value_span,
                format!("`{}` is set to a literal credential in {}", s.key, s.place),
            ));
            continue;
        }
        if let Some((user, password, _)) = url_credentials(&s.value)
            && classify(&password, Some(&user)) == Class::Literal
            && !provider_format(&s)
        {
            let span = locate(&cx.file.text, s.value_span, &password);
            reports.push((
                span,
                span,
                format!(
                    "`{}` holds a URL with a literal password in {}",
                    s.key, s.place
                ),
            ));
        }
    }
    for (span, value_span, message) in reports {
        cx.redact(value_span, 0);
        let why = if dockerfile {
            "; it is also baked into the image's configuration and history"
        } else {
            ""
        };
        cx.report(span, format!("{message}{why}"))
            .help("reference it instead of writing it: `${VAR}` from an untracked env file or secret store, `${{ secrets.NAME }}` in workflows, Docker/compose `secrets:` or `RUN --mount=type=secret`");
    }
}
