use super::assignments::{Class, classify, url_credentials};
use crate::parse::Document;
use crate::parse::shell::{Command, Word};
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags commands in Dockerfile `RUN` and workflow `run:` steps that embed a literal
    /// credential: `echo 'user:pass' | chpasswd` and `… | passwd --stdin`, `docker login -p …`
    /// / `--password …`, `aws configure set aws_secret_access_key …`, `npm config set
    /// …:_authToken=…`, `git clone https://user:token@…` (any URL with a password),
    /// `curl -u user:pass`, and request headers of `curl`, `wget` and HTTPie that carry a
    /// literal credential: `Authorization` (any scheme: `Bearer`, `token`, `Basic`) and
    /// headers named for a key, token, secret or password (`X-Api-Key`, `PRIVATE-TOKEN`,
    /// `X-Auth-Token`), with a value of at least 8 characters. Variables (`$TOKEN`),
    /// expressions (`${{ secrets.X }}`) and placeholders are fine; a value in a known
    /// provider's format is `hardcoded-secret`'s; the literal is never shown.
    ///
    /// ## Why is this bad?
    /// The command line is stored in the image history or the workflow file, printed in build
    /// logs, and visible in the process list while it runs.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12-slim@sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3
    /// RUN echo 'deploy:Tr0ub4dor-3xample' | chpasswd
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM debian:12-slim@sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3
    /// RUN --mount=type=secret,id=deploy_password echo "deploy:$(cat /run/secrets/deploy_password)" | chpasswd
    /// ```
    pub static CREDENTIAL_IN_RUN = {
        id: "credential-in-run",
        summary: "command embeds a literal credential",
        level: Error,
        kinds: [Dockerfile, Workflow, Action],
        tags: ["security", "secret", "external/cwe/cwe-798"],
        security_severity: Some("8.0"),
        check: Some(check),
    }
}

fn literal(word: &str) -> bool {
    !word.contains('$') && classify(word, None) == Class::Literal
        || matches!(classify(word, None), Class::Weak(_)) && !word.contains('$')
}

/// The value following `flag` (`-p X`, `--password X`, `--password=X`).
fn flag_value<'a>(cmd: &'a Command, flags: &[&str]) -> Option<(&'a Word, String)> {
    let args = cmd.args();
    for (i, a) in args.iter().enumerate() {
        for f in flags {
            if a.text == *f {
                return args.get(i + 1).map(|v| (v, v.text.clone()));
            }
            if let Some(v) = a.text.strip_prefix(&format!("{f}=")) {
                return Some((a, v.to_string()));
            }
        }
    }
    None
}

/// The request headers of a `curl`/`wget`/HTTPie command: `-H X`, `-HX`, `--header X`,
/// `--header=X`, and HTTPie's `Name:value` items.
fn headers(cmd: &Command) -> Vec<(&Word, String)> {
    let args = cmd.args();
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let text = a.text.as_str();
        if text == "-H" || text == "--header" {
            out.extend(args.get(i + 1).map(|v| (v, v.text.clone())));
        } else if let Some(v) = text.strip_prefix("--header=") {
            out.push((a, v.to_string()));
        } else if let Some(v) = text.strip_prefix("-H").filter(|v| !v.is_empty()) {
            out.push((a, v.to_string()));
        } else if matches!(cmd.program(), Some("http" | "https" | "xh"))
            && !text.starts_with('-')
            && !text.contains("://")
            && text.contains(':')
        {
            out.push((a, text.to_string()));
        }
    }
    out
}

/// The header's name if it carries a literal credential: `Authorization: Bearer <token>`
/// (any scheme), or a header named for a key, token, secret or password (`X-Api-Key`,
/// `PRIVATE-TOKEN`, `X-Auth-Token`) with a literal value. A value in a provider's format is
/// `hardcoded-secret`'s.
fn credential_header(header: &str) -> Option<&str> {
    let (name, value) = header.split_once(':')?;
    let name = name.trim();
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let value = value.trim();
    let lower = name.to_ascii_lowercase();
    let credential = if lower == "authorization" || lower == "proxy-authorization" {
        // `Bearer <token>`, `token <token>`, `Basic <base64>`, or the bare token.
        value
            .split_once(' ')
            .map_or(value, |(_, token)| token.trim())
    } else if lower
        .rsplit(['-', '_'])
        .next()
        .is_some_and(|last| matches!(last, "key" | "token" | "secret" | "password" | "apikey"))
    {
        value
    } else {
        return None;
    };
    let provider_format = !super::providers::detect(header).credentials.is_empty();
    (credential.len() >= 8 && !credential.contains('$') && literal(credential) && !provider_format)
        .then_some(name)
}

fn check(doc: &Document, cx: &mut Context) {
    let scripts = crate::rules::supply_chain::scripts(doc, cx);
    let mut reports: Vec<(Span, String)> = Vec::new();
    for script in &scripts {
        for cmd in &script.commands {
            let Some(program) = cmd.program() else {
                continue;
            };
            // `echo 'user:pass' | chpasswd`: the literal is the echoed word.
            if matches!(program, "chpasswd" | "passwd") {
                for other in script
                    .pipeline_of(cmd)
                    .filter(|c| c.position < cmd.position)
                {
                    if matches!(other.program(), Some("echo" | "printf")) {
                        for w in other.args() {
                            let secret = w.text.split_once(':').map_or(w.text.as_str(), |(_, p)| p);
                            if !w.text.starts_with('-') && literal(secret) {
                                reports.push((w.span, format!("A password is written into the command that feeds `{program}`")));
                            }
                        }
                    }
                }
            }
            match program {
                "docker" | "podman" | "buildah" | "helm"
                    if cmd
                        .args()
                        .first()
                        .is_some_and(|a| a.text == "login" || a.text == "registry") =>
                {
                    if let Some((word, value)) = flag_value(cmd, &["-p", "--password"])
                        && literal(&value)
                    {
                        reports.push((
                            word.span,
                            format!("`{program} login` is given a literal password"),
                        ));
                    }
                }
                "aws" => {
                    let args: Vec<&str> = cmd.args().iter().map(|a| a.text.as_str()).collect();
                    if let Some(i) = args
                        .iter()
                        .position(|a| a.eq_ignore_ascii_case("aws_secret_access_key"))
                        && args[..i].contains(&"set")
                        && let Some(word) = cmd.args().get(i + 1)
                        && literal(&word.text)
                    {
                        reports.push((
                            word.span,
                            "`aws configure set aws_secret_access_key` is given a literal key"
                                .to_string(),
                        ));
                    }
                }
                "npm" | "yarn" | "pnpm" => {
                    for w in cmd.args() {
                        if let Some((_, token)) = w.text.split_once("_authToken=")
                            && literal(token)
                        {
                            reports.push((
                                w.span,
                                format!("`{program} config` is given a literal auth token"),
                            ));
                        }
                    }
                }
                "curl" => {
                    if let Some((word, value)) = flag_value(cmd, &["-u", "--user"])
                        && let Some((_, password)) = value.split_once(':')
                        && literal(password)
                    {
                        reports.push((
                            word.span,
                            "`curl -u` is given a literal password".to_string(),
                        ));
                    }
                }
                _ => {}
            }
            if matches!(program, "curl" | "wget" | "http" | "https" | "xh") {
                for (word, header) in headers(cmd) {
                    if let Some(name) = credential_header(&header) {
                        reports.push((
                            word.span,
                            format!("`{program}` is given a literal `{name}` header"),
                        ));
                    }
                }
            }
            for w in cmd.args() {
                if let Some((user, password, _)) = url_credentials(&w.text)
                    && !password.contains('$')
                    && classify(&password, Some(&user)) != Class::Placeholder
                {
                    reports.push((
                        w.span,
                        format!("`{program}` is given a URL with a literal password"),
                    ));
                }
            }
        }
    }
    reports.sort();
    reports.dedup();
    for (span, message) in reports {
        cx.redact(span, 0);
        cx.report(span, message)
            .help("pass the credential from a secret (`RUN --mount=type=secret`, `${{ secrets.NAME }}` through `env:`) and read it from a file or variable, or use the tool's `--password-stdin`");
    }
}
