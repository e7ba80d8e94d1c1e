use crate::parse::Document;
use crate::parse::dockerfile::Dockerfile;
use crate::parse::shell::Command;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags TLS certificate verification turned off in a Dockerfile:
    /// - commands in Dockerfile `RUN` and workflow `run:` steps: `curl -k`/`--insecure` (also inside flag clusters such as `-fsSLk`),
    ///   `wget --no-check-certificate`, `pip … --trusted-host`, `npm`/`yarn`/`pnpm config set
    ///   strict-ssl false` and `--strict-ssl=false`, `git -c http.sslVerify=false` and
    ///   `git config http.sslVerify false`, `composer config disable-tls true`, and
    ///   `sslverify=0`/`Verify-Peer=false` written into package-manager configuration;
    /// - environment variables set by `ENV`, `ARG` defaults, `VAR=…`/`export VAR=…` in `RUN` or
    ///   `run:`, a workflow's `env:` (any level) or a compose service's `environment:`:
    ///   `NODE_TLS_REJECT_UNAUTHORIZED=0`, `PYTHONHTTPSVERIFY=0`, `GIT_SSL_NO_VERIFY`,
    ///   `NPM_CONFIG_STRICT_SSL=false`, `PIP_TRUSTED_HOST`, `GOINSECURE`, `GOFLAGS=-insecure`,
    ///   and `CURL_CA_BUNDLE`/`REQUESTS_CA_BUNDLE` set empty.
    ///
    /// ## Why is this bad?
    /// Without certificate checks, anyone on the network path — a proxy, a compromised Wi-Fi, a
    /// hostile CI neighbour — can answer in the server's place and feed the build their own
    /// packages, scripts or binaries. An `ENV` setting also stays active in the running image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22-slim@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// ENV NODE_TLS_REJECT_UNAUTHORIZED=0
    /// RUN curl -fsSLk https://example.com/tool -o /usr/local/bin/tool
    /// ```
    ///
    /// ## Use instead
    /// Trust the certificate authority you need instead of trusting everyone:
    /// ```dockerfile
    /// FROM node:22-slim@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// COPY corp-ca.crt /usr/local/share/ca-certificates/
    /// RUN update-ca-certificates && curl -fsSL https://example.com/tool -o /usr/local/bin/tool
    /// ```
    pub static TLS_VERIFICATION_DISABLED = {
        id: "tls-verification-disabled",
        summary: "TLS certificate verification disabled",
        level: Error,
        kinds: [Dockerfile, Workflow, Action, Compose],
        tags: ["security", "supply-chain", "external/cwe/cwe-295"],
        security_severity: Some("7.5"),
        check: Some(check),
    }
}

const HELP: &str = "keep certificate checks on; if a private certificate authority is involved, add it to the trust store (`update-ca-certificates`) or point the tool at it";

fn check(doc: &Document, cx: &mut Context) {
    if let Document::Dockerfile(file) = doc {
        for ins in &file.instructions {
            for (name, value, span) in Dockerfile::assignments(ins) {
                if let Some(value) = value
                    && let Some(why) = insecure_env(&name, &value)
                {
                    cx.report(span, format!("`{} {name}={value}` {why}", ins.keyword))
                        .help(HELP);
                }
            }
        }
    }
    // Workflow `env:` maps and compose `environment:` (map and list forms).
    let mut env_reports = Vec::new();
    let mut check_env = |env: &crate::parse::yaml::Node| {
        for (name, value, span) in env_pairs(env) {
            if let Some(why) = insecure_env(&name, &value) {
                env_reports.push((span, format!("`{name}={value}` {why}")));
            }
        }
    };
    match doc {
        Document::Workflow(_) | Document::Action(_) => crate::rules::workflow::env_maps(doc)
            .into_iter()
            .for_each(&mut check_env),
        Document::Compose(root) => {
            for service in &crate::parse::compose::services(root) {
                if let Some(env) = service.get("environment") {
                    check_env(env);
                }
            }
        }
        _ => {}
    }
    for (span, message) in env_reports {
        cx.report(span, message).help(HELP);
    }
    let scripts = super::scripts(doc, cx);
    for cmd in super::commands(&scripts) {
        let exported = cmd.program().is_some_and(|p| matches!(p, "export" | "env"));
        let assignments = cmd
            .assignments
            .iter()
            .chain(cmd.args().iter().filter(|_| exported));
        for word in assignments {
            if let Some((name, value)) = word.text.split_once('=')
                && let Some(why) = insecure_env(name, value)
            {
                cx.report(word.span, format!("`{}` {why}", word.text))
                    .help(HELP);
            }
        }
        if let Some((span, what)) = insecure_command(cmd) {
            cx.report(span, what).help(HELP);
        }
    }
}

/// Why setting `name` to `value` turns TLS verification off, if it does.
pub fn insecure_env(name: &str, value: &str) -> Option<&'static str> {
    let v = value.trim().trim_matches(['"', '\'']).to_ascii_lowercase();
    let falsy = matches!(v.as_str(), "0" | "false" | "no" | "off");
    match name {
        "NODE_TLS_REJECT_UNAUTHORIZED" if v == "0" => Some("makes Node.js accept any certificate"),
        "PYTHONHTTPSVERIFY" if v == "0" => Some("makes Python skip certificate checks"),
        "GIT_SSL_NO_VERIFY" if !v.is_empty() && !falsy => Some("makes Git skip certificate checks"),
        "NPM_CONFIG_STRICT_SSL" | "YARN_STRICT_SSL" if falsy => {
            Some("makes the package manager accept any certificate")
        }
        "PIP_TRUSTED_HOST" if !v.is_empty() => {
            Some("makes pip skip certificate checks for those hosts")
        }
        "GOINSECURE" if !v.is_empty() => {
            Some("makes Go fetch those modules without certificate checks")
        }
        "GOFLAGS" if v.contains("-insecure") => Some("makes Go fetch without certificate checks"),
        "CURL_CA_BUNDLE" | "REQUESTS_CA_BUNDLE" if v.is_empty() => {
            Some("empties the trusted certificate bundle, which turns verification off")
        }
        _ => None,
    }
}

fn insecure_command(cmd: &Command) -> Option<(Span, String)> {
    let program = cmd.program()?;
    let args = cmd.args();
    let found = |flags: &[&str]| cmd.flag(flags).map(|w| (w.span, w.text.clone()));
    let report = |(span, text): (Span, String), what: &str| {
        Some((span, format!("`{program} {text}` {what}")))
    };
    match program {
        "curl" => {
            if let Some(f) = found(&["-k", "--insecure", "--proxy-insecure"]) {
                return report(f, "accepts any certificate");
            }
        }
        "wget" => {
            if let Some(f) = found(&["--no-check-certificate"]) {
                return report(f, "accepts any certificate");
            }
        }
        p if p.starts_with("pip") => {
            if let Some(f) = found(&["--trusted-host"]) {
                return report(f, "skips certificate checks for that host");
            }
        }
        "npm" | "yarn" | "pnpm" => {
            if let Some(f) = found(&["--strict-ssl"]).filter(|(_, t)| t.ends_with("=false")) {
                return report(f, "accepts any certificate");
            }
            if let Some(i) = args.iter().position(|a| a.text == "strict-ssl")
                && args.get(i + 1).is_some_and(|v| v.text == "false")
            {
                return Some((
                    args[i].span.to(args[i + 1].span),
                    format!(
                        "`{program} … strict-ssl false` makes {program} accept any certificate"
                    ),
                ));
            }
        }
        "git" => {
            for (i, a) in args.iter().enumerate() {
                let lower = a.text.to_ascii_lowercase();
                let inline = lower.starts_with("http.sslverify=")
                    && matches!(&lower[15..], "false" | "0" | "no" | "off");
                let config = lower == "http.sslverify"
                    && args.get(i + 1).is_some_and(|v| {
                        matches!(
                            v.text.to_ascii_lowercase().as_str(),
                            "false" | "0" | "no" | "off"
                        )
                    });
                if inline || config {
                    return Some((
                        a.span,
                        format!("`git … {}` turns certificate checks off", a.text),
                    ));
                }
            }
        }
        "composer" => {
            if let Some(i) = args.iter().position(|a| a.text == "disable-tls")
                && args
                    .get(i + 1)
                    .is_some_and(|v| v.text == "true" || v.text == "1")
            {
                return Some((
                    args[i].span,
                    "`composer config disable-tls true` turns TLS off".to_string(),
                ));
            }
        }
        _ => {}
    }
    // Configuration written by any command: `echo "sslverify=0" >> /etc/yum.conf`,
    // `dnf config-manager --setopt=*.sslverify=false`, `-o Acquire::https::Verify-Peer=false`.
    for a in args {
        let lower = a.text.to_ascii_lowercase().replace(' ', "");
        let off = [
            "sslverify=0",
            "sslverify=false",
            "sslverify=no",
            "verify-peer=false",
            "verify-peer\"false\"",
            "verify-host=false",
        ]
        .iter()
        .any(|needle| lower.contains(needle));
        if off {
            return Some((a.span, format!("`{}` turns certificate checks off", a.text)));
        }
    }
    None
}

/// `KEY: value` entries of an `env:`/`environment:` map, or `KEY=value` items of a list:
/// (name, value, span of the setting).
fn env_pairs(env: &crate::parse::yaml::Node) -> Vec<(String, String, Span)> {
    if let Some(entries) = env.as_map() {
        return entries
            .iter()
            .filter_map(|e| {
                let value = e.value.as_scalar().map(|s| s.text.clone())?;
                Some((e.key_str()?.to_string(), value, e.key.span.to(e.value.span)))
            })
            .collect();
    }
    env.as_seq()
        .unwrap_or(&[])
        .iter()
        .filter_map(|item| {
            let (name, value) = item.as_str()?.split_once('=')?;
            Some((name.to_string(), value.to_string(), item.span))
        })
        .collect()
}
