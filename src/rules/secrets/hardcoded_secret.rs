use super::providers::{COMPILED, KNOWN_EXAMPLES, PROVIDERS, entropy, is_placeholder};
use super::{Secret, redacted};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags a value in the format of a known credential, anywhere in a scanned file
    /// (Dockerfiles, compose files, workflows, action metadata, `.env` files), whether or not the
    /// file parses: GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`),
    /// npm tokens, AWS access key IDs and secret access keys, PEM and OpenSSH private keys,
    /// Slack tokens and webhook URLs, Stripe secret and restricted keys.
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
    ///   GH_TOKEN: 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
    /// ```
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
        kinds: [Dockerfile, Compose, Workflow, Action, Env, Dockerignore],
        tags: ["security", "secret", "external/cwe/cwe-798"],
        security_severity: Some("9.5"),
        check: Some(check),
    }
}

const HELP: &str = "revoke it at the provider (it stays in the history), then supply it at run time: `${{ secrets.NAME }}` in workflows, `RUN --mount=type=secret` in Dockerfiles, an untracked env file or `secrets:` in compose";

fn check(_doc: &Document, cx: &mut Context) {
    let compiled = &*COMPILED;
    let text = cx.file.text.as_str();
    let mut wanted = vec![false; PROVIDERS.len()];
    let mut pem = false;
    for hit in compiled.keywords.find_overlapping_iter(text) {
        match compiled.keyword_provider[hit.pattern().as_usize()] {
            usize::MAX => pem = true,
            i => wanted[i] = true,
        }
    }
    for (i, provider) in PROVIDERS.iter().enumerate() {
        if !wanted[i] {
            continue;
        }
        for caps in compiled.patterns[i].captures_iter(text) {
            let m = caps.get(1).expect("every provider pattern has group 1");
            let secret = Secret::new(m.as_str());
            let value = secret.expose();
            if KNOWN_EXAMPLES.contains(&value) {
                continue;
            }
            let body = &value[provider.visible.min(value.len())..];
            if is_placeholder(body) || entropy(body) < provider.min_entropy {
                continue;
            }
            if let Some(verify) = provider.verify
                && !verify(&secret)
            {
                continue;
            }
            let span = Span::new(m.start(), m.end());
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
    }
    if pem {
        for m in compiled.pem_header.captures_iter(text) {
            let header = m.get(0).expect("whole match");
            let after = &text[header.end()..];
            let window =
                &after[..crate::source::floor_char_boundary(after, after.len().min(16 * 1024))];
            let Some(end) = window.find("-----END") else {
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
            let kind = m.get(1).map_or("PRIVATE KEY", |k| k.as_str());
            cx.report(
                Span::new(header.start(), header.end()),
                format!("Private key (`{kind}`) is committed: anyone who can read the repository holds it"),
            )
            .help("revoke and replace the key pair, then mount the key at run time (`RUN --mount=type=secret`, compose `secrets:`, `${{ secrets.NAME }}`)");
        }
    }
}
