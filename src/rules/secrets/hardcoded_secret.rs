use super::providers::{COMPILED, PROVIDERS, is_placeholder};
use super::redacted;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags a value in the format of a known credential, anywhere in a scanned file
    /// (Dockerfiles, compose files, workflows, action metadata, `.env` files), whether or not the
    /// file parses. About 290 formats: GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`,
    /// `github_pat_`), GitLab (personal, deploy, runner, trigger, CI/CD job, feed, incoming
    /// mail, agent, OAuth application, SCIM, feature-flag tokens), npm, PyPI, RubyGems, Docker Hub, AWS access keys and secret keys,
    /// Google API keys and OAuth secrets, Azure storage keys, Alibaba, DigitalOcean, Heroku,
    /// Fly.io, Cloudflare, HashiCorp Vault and Terraform Cloud, Doppler, Pulumi, Databricks,
    /// Grafana, New Relic, Sentry, Dynatrace, Slack tokens and webhooks, Discord webhooks,
    /// Telegram bots, Stripe, Square, Shopify, Flutterwave, Shippo, Twilio, SendGrid, Mailgun,
    /// Mailchimp, OpenAI, Anthropic, Hugging Face, Perplexity, Notion, Linear, Postman, Airtable,
    /// Contentful, Mapbox, PlanetScale, Supabase, Sourcegraph, Prefect, Infracost, Readme,
    /// Frame.io, Age keys, Atlassian, Microsoft Entra ID client secrets, Twilio API keys, Adobe,
    /// Clojars, Duffel, EasyPost, Meta access tokens, Harness, Octopus Deploy, 1Password secret
    /// keys and service-account tokens, Scalingo, Typeform, JFrog reference
    /// tokens, Slack configuration tokens, New Relic browser keys, Dropbox, Buildkite, CircleCI,
    /// Figma, Groq, Replicate, xAI, Netlify, Render, Resend, Brevo, LangSmith, Tailscale,
    /// Sentry organization tokens, SonarQube, Deno Deploy, OpenRouter, HubSpot, Plaid, Zapier
    /// webhooks, Azure Service Bus/Event Hubs shared access keys, Bitbucket app passwords,
    /// Braintree, Cloudinary, Firebase Cloud Messaging server keys, Segment, Tavily, Yandex Cloud,
    /// Vercel Blob, Adafruit IO, Sidekiq, Azure App Configuration, SignalR and Communication
    /// Services keys, Azure Logic Apps (Teams workflow) webhook signatures, Langfuse, E2B, Tines,
    /// ClickUp, WooCommerce, Mercado Pago, Backblaze B2, Tencent Cloud, Rancher, TeamCity,
    /// OneSignal, MailerSend, Klaviyo, PostHog, dbt Cloud, the Rust package registry, kubeconfig client keys,
    /// JSON Web Tokens, Microsoft's identifiable Azure keys (Functions, AI Search, Relay, Event
    /// Hubs, Service Bus, IoT Hub, Cache for Redis, Event Grid, Storage, Cosmos DB, Batch,
    /// Machine Learning, API Management, Container Registry, common annotated keys such as new
    /// Azure DevOps tokens) and shared access signatures, ClickHouse Cloud, GitLab session
    /// cookies, Pinecone, npm `.npmrc` tokens and `_auth`, Docker `config.json` registry
    /// credentials, AWS session tokens, Amazon MWS, Google OAuth refresh tokens, Salesforce
    /// sessions, Django `django-insecure-` keys, Authress, Fly.io macaroons, NuGet
    /// `ClearTextPassword` source credentials, NVIDIA, Supabase secret keys, Bitbucket Data
    /// Center, DataStax Astra, Login with Amazon, Slack `xoxc-` client tokens,
    /// Kubernetes `Secret` manifests, and
    /// private keys: PEM (PKCS#1, PKCS#8, SEC1, PGP), OpenSSH, SSH2 (ssh.com,
    /// `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----`) and PuTTY. An encrypted key (PKCS#8
    /// `ENCRYPTED PRIVATE KEY`, `Proc-Type: 4,ENCRYPTED`, an OpenSSH or SSH2 key whose blob
    /// names a cipher, PuTTY `Encryption:` other than `none`) is reported as a warning: it is
    /// only as safe as its passphrase. Each format's source is named beside it in `providers.rs`. A value two
    /// formats would both match is reported once, by the first in the table.
    ///
    /// About 95 formats have no prefix of their own and are known by the name they are assigned
    /// to: a Datadog API key is 32 hex digits after `DD_API_KEY=` or `datadog_api_key:`, a
    /// Snyk token a UUID after `SNYK_TOKEN=`. The service's name must be in the setting's name
    /// (in lower, camel or upper case), followed by `=`, `:`, `=>` or `:=` and the value in the
    /// service's shape, on the same line. A name whose last word says the value is no secret
    /// (`CLOUDFLARE_ZONE_ID`, `SENTRY_RELEASE`, `DATADOG_SITE`, `SNYK_ORG`, `…_URL`, `…_USER`)
    /// or that says it is public or a digest anywhere (`ALGOLIA_SEARCH_API_KEY`,
    /// `MAPBOX_PUBLIC_TOKEN`, `…_SHA256`) is not reported, nor is a value with a typed run such as
    /// `0123456789abcdef`. Datadog, Okta, Snyk, Asana, Twitter/X, Fastly, Algolia, PagerDuty,
    /// Cloudflare, Heroku, Bitbucket, Codecov, Cohere, Coinbase, Confluent, Contentful, Discord,
    /// Dropbox, Etsy, Facebook, Finicity, Flickr, FreshBooks, Gitter, GoCardless, Intercom,
    /// Kraken, KuCoin, LaunchDarkly, Mailgun, Mattermost, MessageBird, Netlify, New York Times,
    /// Plaid, RapidAPI, Sendbird, Sentry, Squarespace, Sumo Logic, Travis CI, Twitch, Zendesk,
    /// Yandex, Linear, LinkedIn, Alibaba Cloud, Beamer, Bittrex, Cisco Meraki, Drone, Finnhub,
    /// JFrog, SonarQube, CircleCI, Azure DevOps, Jenkins, Vercel, Railway, Pusher, Mixpanel,
    /// Amplitude, Rollbar, Postmark, SparkPost, Mandrill, Vonage, Twilio auth tokens, Atlassian,
    /// Auth0, Codacy, Coveralls, Sauce Labs, BrowserStack, Cypress, Percy, HashiCorp Vault,
    /// Consul and Nomad, ngrok, Airtable and HubSpot legacy keys, Lob, Private AI, and Azure
    /// AI services (Azure OpenAI, Speech, Translator) are matched this way. Where a service's
    /// public key has the shape of its secret (Facebook, Mixpanel, Amplitude, Pusher), only a
    /// name that says `secret` is read; of Contentful's, only the Preview API token (the
    /// Delivery API token serves published content to browsers).
    ///
    /// A Kubernetes `Secret` manifest (`kind: Secret`, found among other text files with
    /// `--secrets-scope all`) is one finding, at its first literal value, naming its keys:
    /// `data:` values that decode from base64 and `stringData:` values, but not templates
    /// (`{{ .Values.x }}`), references, placeholders, empty values, or keys that name no secret
    /// (`username`, `host`, `port`, `database`). `SealedSecret` and `ExternalSecret` objects
    /// hold no plain value and are not reported.
    ///
    /// With `--secrets-scope all` (or `secrets-scope = "all"` in the configuration) every other
    /// text file the walk finds is scanned for these formats too; binary, lock and minified files
    /// are skipped.
    ///
    /// Formats with a checksum (GitHub's and npm's CRC32) are verified offline: a string that
    /// fails the checksum is not a token and is not reported. Documented example values (AWS's
    /// `AKIAIOSFODNN7EXAMPLE`, Slack's `T00000000/B00000000/XXXX…` webhook), placeholders
    /// (`xxxx…`, `0000…`) and low-entropy strings are not reported. Template files such as
    /// `.env.example` are scanned too: a real-format token there is a real token.
    ///
    /// The message names the provider and shows only the public prefix (`ghp_…[redacted]`).
    /// No output of Portcullis — terminal, SARIF, JSON, annotations, baseline — contains the
    /// value, and fingerprints are computed from the redacted text.
    ///
    /// ## Why is this bad?
    /// A credential in a repository is readable by everyone who can clone it, forever: it stays
    /// in the history after the line is deleted, in every fork and in every image built from it.
    /// Attackers scan public commits for these formats within minutes.
    ///
    /// ## Example
    /// ```yaml
    /// env:
    ///   GH_TOKEN: ghp_…  # `ghp_` and 36 letters and digits: a GitHub token
    /// ```
    /// (The token is elided here: these docs are embedded in every SARIF file, which secret
    /// scanners would otherwise flag.)
    ///
    /// ## Use instead
    /// Revoke the credential at the provider first (deleting the line does not un-publish it),
    /// then provide it at run time:
    /// ```yaml
    /// env:
    ///   GH_TOKEN: ${{ secrets.GH_TOKEN }}
    /// ```
    /// In a Dockerfile use a BuildKit secret mount (`RUN --mount=type=secret,id=token …`); in
    /// compose, an untracked env file or `secrets:`.
    pub static HARDCODED_SECRET = {
        id: "hardcoded-secret",
        summary: "credential committed in the repository",
        level: Error,
        kinds: [Dockerfile, Compose, Workflow, Action, Env, Dockerignore, DependencyBot, Text],
        tags: ["security", "secret", "external/cwe/cwe-798"],
        security_severity: Some("9.5"),
        check: Some(check),
    }
}

const HELP: &str = "revoke it at the provider (it stays in the history), then supply it at run time: `${{ secrets.NAME }}` in workflows, `RUN --mount=type=secret` in Dockerfiles, an untracked env file or `secrets:` in compose";

fn check(_doc: &Document, cx: &mut Context) {
    let text = cx.file.text.as_str();
    let found = cx.credentials();
    for detection in &found.credentials {
        let provider = &PROVIDERS[detection.provider];
        let value = &text[detection.start..detection.end];
        let span = Span::new(detection.start, detection.end);
        cx.redact(span, provider.visible);
        let shown = redacted(&value[..provider.visible]);
        let checked = if provider.checksummed {
            ", checksum valid"
        } else {
            ""
        };
        cx.report(
            span,
            format!("{} (`{shown}`{checked}) is committed: anyone who can read the repository can use it", provider.name),
        )
        .help(HELP);
    }
    if found.kubernetes_secret {
        for manifest in super::kubernetes::secret_manifests(text) {
            for value in &manifest.values {
                cx.redact(value.span, 0);
            }
            let keys: Vec<String> = manifest
                .values
                .iter()
                .take(3)
                .map(|v| format!("`{}`", v.key))
                .collect();
            let more = if manifest.values.len() > 3 {
                ", …"
            } else {
                ""
            };
            let name = manifest
                .name
                .as_deref()
                .map_or(String::new(), |n| format!(" `{n}`"));
            cx.report(
                manifest.values[0].span,
                format!(
                    "Kubernetes Secret{name} is committed with its values ({}{more}): anyone who can read the repository can use them",
                    keys.join(", ")
                ),
            )
            .help("revoke the values, then keep them out of the repository: create the Secret at deploy time (`kubectl create secret`, an external secret store) or commit it encrypted (Sealed Secrets, SOPS)");
        }
    }
    let compiled = &*COMPILED;
    let pem = found.key_material;
    if pem {
        for m in compiled.pem_header().captures_iter(text) {
            let header = m.get(0).expect("whole match");
            let after = &text[header.end()..];
            let window =
                &after[..crate::source::floor_char_boundary(after, after.len().min(16 * 1024))];
            // SSH2 (ssh.com, RFC 4716 framing) keys close with `---- END`, PEM with `-----END`.
            let end_marker = if m.get(2).is_some() {
                "---- END"
            } else {
                "-----END"
            };
            let Some(end) = window.find(end_marker) else {
                continue;
            };
            let body = &window[..end];
            let key_chars = body
                .lines()
                .filter(|l| !l.contains(':'))
                .flat_map(str::chars)
                .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
                .count();
            if key_chars < 64 || is_placeholder(body.trim()) {
                continue;
            }
            cx.redact(Span::new(header.end(), header.end() + end), 0);
            let kind = m.get(1).or(m.get(2)).map_or("PRIVATE KEY", |k| k.as_str());
            report_key(
                cx,
                Span::new(header.start(), header.end()),
                kind,
                encrypted_pem(kind, body),
            );
        }
        // PuTTY keys: `PuTTY-User-Key-File-2: ssh-rsa`, then `Encryption:` and the private lines.
        for m in putty_header().captures_iter(text) {
            let header = m.get(0).expect("whole match");
            let after = &text[header.end()..];
            let window =
                &after[..crate::source::floor_char_boundary(after, after.len().min(16 * 1024))];
            let Some(private) = window.find("Private-Lines:") else {
                continue;
            };
            let encryption = window
                .lines()
                .find_map(|l| l.trim_start().strip_prefix("Encryption:"))
                .map_or("none", str::trim);
            let body_end = window[private..]
                .find("Private-MAC:")
                .map_or(window.len(), |e| private + e);
            cx.redact(Span::new(header.end(), header.end() + body_end), 0);
            let algorithm = m.get(1).map_or("", |a| a.as_str());
            report_key(
                cx,
                Span::new(header.start(), header.end()),
                &format!("PuTTY {algorithm}"),
                encryption != "none",
            );
        }
    }
}

fn putty_header() -> &'static regex::Regex {
    static HEADER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"PuTTY-User-Key-File-[23]: ([A-Za-z0-9@.\-]+)").expect("valid")
    });
    &HEADER
}

/// Whether a PEM or OpenSSH private key is encrypted: the header says so (PKCS#8
/// `ENCRYPTED PRIVATE KEY`), the legacy `Proc-Type: 4,ENCRYPTED` line, or an OpenSSH key whose
/// cipher is not `none`.
fn encrypted_pem(kind: &str, body: &str) -> bool {
    if kind.starts_with("SSH2") {
        // The ssh.com format always says ENCRYPTED; its cipher says whether it is.
        return ssh_com_cipher(body).is_none_or(|cipher| cipher != b"none");
    }
    if kind.contains("ENCRYPTED") || body.contains("Proc-Type: 4,ENCRYPTED") {
        return true;
    }
    if kind.starts_with("OPENSSH") {
        use base64::Engine;
        let b64: String = body
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
            .take(64)
            .collect();
        let usable = b64.len() / 4 * 4;
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&b64[..usable]) {
            // `openssh-key-v1\0`, then the cipher name as a length-prefixed string.
            let magic = b"openssh-key-v1\0";
            if let Some(rest) = bytes.strip_prefix(magic)
                && rest.len() >= 4
            {
                let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
                if let Some(cipher) = rest.get(4..4 + len) {
                    return cipher != b"none";
                }
            }
        }
    }
    false
}

/// The cipher name of an ssh.com private key: its base64 body (after the `Header: value` lines
/// and their `\` continuations) starts with the magic `3f6ff9eb`, the total length, the key
/// type and the cipher as length-prefixed strings.
fn ssh_com_cipher(body: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let mut in_header = false;
    let mut b64 = String::new();
    for line in body.lines().map(str::trim) {
        if in_header || line.contains(':') {
            in_header = line.ends_with('\\');
            continue;
        }
        b64.extend(
            line.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/')),
        );
        if b64.len() >= 256 {
            break;
        }
    }
    let usable = b64.len() / 4 * 4;
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(&b64[..usable])
        .ok()?;
    let rest = bytes.strip_prefix(&[0x3f, 0x6f, 0xf9, 0xeb])?.get(4..)?;
    let string = |data: &[u8]| -> Option<(Vec<u8>, usize)> {
        let len = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
        Some((data.get(4..4 + len)?.to_vec(), 4 + len))
    };
    let (_, used) = string(rest)?;
    string(rest.get(used..)?).map(|(cipher, _)| cipher)
}

/// A private key finding: an error, or a warning for an encrypted key (only as safe as its
/// passphrase).
fn report_key(cx: &mut Context, span: Span, kind: &str, encrypted: bool) {
    let help = "revoke and replace the key pair, then mount the key at run time (`RUN --mount=type=secret`, compose `secrets:`, `${{ secrets.NAME }}`)";
    if encrypted {
        cx.report(
            span,
            format!("Encrypted private key (`{kind}`) is committed: it is only as safe as its passphrase"),
        )
        .level(crate::finding::Level::Warning)
        .help(help);
    } else {
        cx.report(
            span,
            format!(
                "Private key (`{kind}`) is committed: anyone who can read the repository holds it"
            ),
        )
        .help(help);
    }
}

#[cfg(test)]
mod tests {
    use super::super::providers::{PROVIDERS, SAMPLES, expand};
    use crate::parse::Document;
    use crate::rules::{Context, Project};
    use crate::source::{FileKind, SourceFile};

    fn findings(text: &str) -> Vec<String> {
        findings_in("compose.yaml", FileKind::Compose, text)
    }

    fn findings_in(name: &str, kind: FileKind, text: &str) -> Vec<String> {
        let file = SourceFile::new(name, kind, text.to_string());
        let project = Project::default();
        let path = std::path::PathBuf::from(name);
        let mut cx = Context::new(&file, &path, &project);
        cx.set_rule(&super::HARDCODED_SECRET);
        super::check(&Document::Unparsed, &mut cx);
        cx.drafts.iter().map(|d| d.message.clone()).collect()
    }

    fn rng(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    /// Every provider finds 200 tokens generated in its format (recall), in quoted and
    /// unquoted settings of workflows, compose files, Dockerfiles and `.env` files.
    #[test]
    fn recall_on_generated_tokens() {
        let mut next = rng(0x9E37_79B9_7F4A_7C15);
        let mut missed = Vec::new();
        for provider in PROVIDERS {
            let template = SAMPLES
                .iter()
                .find(|(name, _)| *name == provider.name)
                .unwrap_or_else(|| panic!("{} has no sample template", provider.name))
                .1;
            // A format known by its setting's name is generated with the name: `NAME=value`.
            let (name, template) = match template.split_once('=') {
                Some((name, value)) if provider.assigned => (name, value),
                _ => ("KEY", template),
            };
            for i in 0..200 {
                let token = expand(template, &mut next);
                // Quoted and unquoted, in each kind of file.
                let (file, kind, text) = match i % 4 {
                    0 => (
                        ".github/workflows/ci.yml",
                        FileKind::Workflow,
                        format!("env:\n  {name}: \"{token}\"\n"),
                    ),
                    1 => (
                        "compose.yaml",
                        FileKind::Compose,
                        format!("    environment:\n      - {name}={token}\n"),
                    ),
                    2 => (
                        "Dockerfile",
                        FileKind::Dockerfile,
                        format!("ENV {name}={token}\n"),
                    ),
                    _ => (".env", FileKind::Env, format!("{name}='{token}'\n")),
                };
                if !findings_in(file, kind, &text)
                    .iter()
                    .any(|m| m.starts_with(provider.name))
                {
                    missed.push(format!("{}: {}", provider.name, token.len()));
                }
            }
        }
        assert!(PROVIDERS.len() >= 60, "{} providers", PROVIDERS.len());
        // Read by `scripts/bench-secrets.sh` (with `--nocapture`).
        #[allow(clippy::disallowed_macros, reason = "a test's report line")]
        {
            eprintln!(
                "secret formats: {}; generated tokens found: {} of {}",
                PROVIDERS.len(),
                PROVIDERS.len() * 200 - missed.len(),
                PROVIDERS.len() * 200
            );
        }
        assert!(
            missed.is_empty(),
            "{} of {} missed: {:?}",
            missed.len(),
            PROVIDERS.len() * 200,
            &missed[..missed.len().min(20)]
        );
    }

    /// A committed Kubernetes Secret is one finding, at its first literal value, naming its
    /// keys; a Secret of templates and references is none.
    #[test]
    fn kubernetes_secret_manifests() {
        let manifest = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\ndata:\n  password: S3g4LXZRMm1aN3BMNG5SOQ==\n  api-key: cTdXOXRMMnhWOG1OM2tQNQ==\n";
        assert_eq!(
            findings(manifest),
            vec![
                "Kubernetes Secret `db-credentials` is committed with its values (`data.password`, `data.api-key`): anyone who can read the repository can use them"
            ]
        );
        let templated =
            "kind: Secret\nstringData:\n  password: {{ .Values.password }}\n  token: ${TOKEN}\n";
        assert!(findings(templated).is_empty());
    }

    /// SSH2 (ssh.com) private keys: four dashes and spaces around the header; the cipher in the
    /// key blob decides between error and warning.
    #[test]
    fn ssh2_private_keys() {
        use base64::Engine;
        let blob = |cipher: &str| {
            let mut bytes = vec![0x3f, 0x6f, 0xf9, 0xeb, 0, 0, 1, 0];
            for field in [
                "if-modn{sign{rsa-pkcs1-sha1},encrypt{rsa-pkcs1v2-oaep}}",
                cipher,
            ] {
                bytes.extend((field.len() as u32).to_be_bytes());
                bytes.extend(field.as_bytes());
            }
            bytes.extend((0..96u8).map(|i| i.wrapping_mul(37)));
            let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
            let lines: Vec<&str> = b64
                .as_bytes()
                .chunks(70)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            format!(
                "key: |\n  ---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n  Comment: \"deploy key, \\\n  2026\"\n  {}\n  ---- END SSH2 ENCRYPTED PRIVATE KEY ----\n",
                lines.join("\n  ")
            )
        };
        assert_eq!(
            findings(&blob("none")),
            vec![
                "Private key (`SSH2 ENCRYPTED PRIVATE KEY`) is committed: anyone who can read the repository holds it"
            ]
        );
        assert_eq!(
            findings(&blob("3des-cbc")),
            vec![
                "Encrypted private key (`SSH2 ENCRYPTED PRIVATE KEY`) is committed: it is only as safe as its passphrase"
            ]
        );
    }

    /// Realistic values that are not credentials produce nothing.
    #[test]
    fn no_false_positives_on_non_secret_text() {
        let mut next = rng(0xD1B5_4A32_D192_ED03);
        let hex = |n: usize, next: &mut dyn FnMut() -> u64| expand(&format!("{{h:{n}}}"), next);
        let mut lines = Vec::new();
        for _ in 0..300 {
            let uuid = format!(
                "{}-{}-4{}-a{}-{}",
                hex(8, &mut next),
                hex(4, &mut next),
                hex(3, &mut next),
                hex(3, &mut next),
                hex(12, &mut next)
            );
            lines.push(format!("id: {uuid}"));
            lines.push(format!("commit: {}", hex(40, &mut next)));
            lines.push(format!("image: nginx@sha256:{}", hex(64, &mut next)));
            lines.push(format!("md5: {}", hex(32, &mut next)));
            lines.push(format!(
                "\"integrity\": \"sha512-{}==\"",
                expand("{b:86}", &mut next)
            ));
            lines.push(format!("blob: {}", expand("{b:120}", &mut next)));
            lines.push(format!(
                "resolved \"https://registry.example.com/pkg/-/pkg-1.2.3.tgz#{}\"",
                hex(40, &mut next)
            ));
            lines.push(format!("checksum: {}", expand("{A:44}", &mut next)));
            // Lock files.
            lines.push(format!("checksum = \"{}\"", hex(64, &mut next)));
            lines.push(format!(
                "golang.org/x/net v0.38.0 h1:{}=",
                expand("{b:43}", &mut next)
            ));
            lines.push(format!(
                "    {{file = \"pkg-1.2.3-py3-none-any.whl\", hash = \"sha256:{}\"}},",
                hex(64, &mut next)
            ));
            lines.push(format!(
                "    resolution: {{integrity: sha512-{}==}}",
                expand("{b:86}", &mut next)
            ));
            // Minified bundles and base64 assets.
            lines.push(format!(
                "!function(e){{var t={{}};e.exports=\"{}\",t.k=\"{}\"}}(this);",
                expand("{A:32}", &mut next),
                expand("{u:40}", &mut next)
            ));
            lines.push(format!(
                "background: url(data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAA{}AAAAAElFTkSuQmCC);",
                expand("{b:200}", &mut next)
            ));
            // Hashes and test vectors.
            lines.push(format!("sha1: {}", hex(40, &mut next)));
            lines.push(format!("hash: $2b$12${}", expand("{b:53}", &mut next)));
            lines.push(format!("expected_mac = \"{}\"", hex(64, &mut next)));
        }
        // Settings named for a service but holding what is not its secret: identifiers,
        // digests, public keys, references and placeholders.
        for provider in PROVIDERS.iter().filter(|p| p.assigned) {
            let template = SAMPLES
                .iter()
                .find(|(name, _)| *name == provider.name)
                .map_or("", |s| s.1);
            let Some((name, value)) = template.split_once('=') else {
                continue;
            };
            let stem = name.rsplit_once('_').map_or(name, |(stem, _)| stem);
            for suffix in ["ID", "SHA256", "URL", "USER", "VERSION"] {
                lines.push(format!("{stem}_{suffix}={}", expand(value, &mut next)));
            }
            lines.push(format!(
                "{stem}_PUBLIC_KEY: \"{}\"",
                expand(value, &mut next)
            ));
            lines.push(format!("{name}: ${{{{ secrets.{name} }}}}"));
            lines.push(format!("{name}=${{{name}}}"));
            lines.push(format!("{name}=<your-{}>", name.to_ascii_lowercase()));
            lines.push(format!("{name}: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
            lines.push(format!("{name}: 0123456789abcdef0123456789abcdef"));
        }
        for placeholder in [
            "GITHUB_TOKEN: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
            "AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE",
            "AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "SLACK: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "STRIPE: sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            "TOKEN: <your-token-here>",
            "KEY: -----BEGIN RSA PRIVATE KEY----- ... -----END RSA PRIVATE KEY-----",
            "version: 1.2.3-alpha.4+build.5",
            "url: https://example.com/path/to/resource?query=value",
            "LANG: cs_CZ.UTF-8",
            "STRIPE_PUBLISHABLE_KEY: pk_test_TYooMQauvdEDq54NiTphI7jx",
            "auth: token-abc12",
            "part: K00123-rev2",
            "AWS_SIGV4_EXAMPLE: AKIDEXAMPLE",
            "header: x-token-refresh",
            "note: see os_v2_ migration guide",
            "text: the social precision of ciphers",
            "posthog_project_key: phc_not_a_secret",
            // Public values of the same shape as a service's secret.
            "MIXPANEL_TOKEN: 7c4e9a1f3b8d2e6a0c5f9b1d4e8a2c7f",
            "AMPLITUDE_API_KEY=9e2b7d4a1c8f3e6b0d5a9c2e7f4b1d8a",
            "PUSHER_APP_KEY=4f8a2c9e1b7d3f6a0c5e",
            "FACEBOOK_CLIENT_TOKEN: 2d9f6b1e8a4c7f3b0e5d9a2c6f1b8e4d",
            "CONTENTFUL_DELIVERY_TOKEN=Xq7Lm2Rt9Vb4Nk8Pw3Zh6Jd1Fs5Gc0Ty7Ue2Io9Aa4w",
        ] {
            lines.push(placeholder.to_string());
        }
        let text = lines.join("\n");
        let found = findings(&text);
        #[allow(clippy::disallowed_macros, reason = "a test's report line")]
        {
            eprintln!(
                "non-secret lines: {}; findings on them: {}",
                lines.len(),
                found.len()
            );
        }
        assert!(
            found.is_empty(),
            "{} false positives in {} lines: {:?}",
            found.len(),
            lines.len(),
            &found[..found.len().min(10)]
        );
    }
}
