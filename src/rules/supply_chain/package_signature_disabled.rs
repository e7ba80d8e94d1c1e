use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags package installs that skip signature checks, in Dockerfile `RUN` and workflow
    /// `run:` steps:
    /// - `apk add --allow-untrusted`;
    /// - `apt-get`/`apt` `--allow-unauthenticated`, `--allow-insecure-repositories`,
    ///   `--force-yes`, `-o APT::Get::AllowUnauthenticated=true`, and `[trusted=yes]` sources;
    /// - `yum`/`dnf`/`microdnf`/`tdnf` `--nogpgcheck` or `--setopt=…gpgcheck=0`, and a
    ///   `gpgcheck=0` written into a repository file;
    /// - `rpm --nosignature`/`--nodigest`.
    ///
    /// A repository on the local disk is not a download: `[trusted=yes]` on a `file:` or
    /// `copy:` source, and `apk add --allow-untrusted` from a local `--repository`/`-X`
    /// (packages built earlier, as official database and web-server images do) are not
    /// reported. A lone local `.apk` file is: where it came from is not known.
    ///
    /// ## Why is this bad?
    /// Signatures are what ties a package to its publisher. Without them, anyone who can tamper
    /// with the mirror, a proxy or the network path can substitute packages, and the build
    /// installs them silently.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// RUN apk add --no-cache --allow-untrusted /tmp/tool.apk
    /// ```
    ///
    /// ## Use instead
    /// Add the publisher's key, then install normally:
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// COPY keys/publisher.rsa.pub /etc/apk/keys/
    /// RUN apk add --no-cache /tmp/tool.apk
    /// ```
    pub static PACKAGE_SIGNATURE_DISABLED = {
        id: "package-signature-disabled",
        summary: "package signature verification disabled",
        level: Error,
        kinds: [Dockerfile, Workflow, Action],
        tags: ["security", "supply-chain", "external/cwe/cwe-347"],
        security_severity: Some("7.5"),
        check: Some(check),
    }
}

const FLAGS: &[(&[&str], &[&str])] = &[
    (&["apk"], &["--allow-untrusted"]),
    (
        &["apt-get", "apt", "aptitude"],
        &[
            "--allow-unauthenticated",
            "--allow-insecure-repositories",
            "--force-yes",
            "--allow-downgrades-unauthenticated",
        ],
    ),
    (
        &[
            "yum",
            "dnf",
            "microdnf",
            "tdnf",
            "yum-config-manager",
            "dnf-3",
        ],
        &["--nogpgcheck"],
    ),
    (&["rpm"], &["--nosignature", "--nodigest"]),
];

fn check(doc: &Document, cx: &mut Context) {
    let scripts = super::scripts(doc, cx);
    for cmd in super::commands(&scripts) {
        let Some(program) = cmd.program() else {
            continue;
        };
        for (programs, flags) in FLAGS {
            if programs.contains(&program)
                && let Some(flag) = cmd.flag(flags)
            {
                // `apk add --allow-untrusted` of packages built or copied here, from a local
                // path: nothing is downloaded, so there is no signature to bypass.
                if program == "apk" && local_packages_only(cmd) {
                    continue;
                }
                cx.report(
                    flag.span,
                    format!(
                        "`{program} {}` installs packages without checking their signatures",
                        flag.text
                    ),
                )
                .help("remove the flag and import the repository's signing key instead");
            }
        }
        let args = cmd.args();
        for (i, word) in args.iter().enumerate() {
            let lower = word.text.to_ascii_lowercase().replace(' ', "");
            // `deb [trusted=yes] file:///tmp/pkgs ./`: a repository on the local disk (packages
            // built earlier in the same step), not a download.
            if lower.contains("[trusted=yes]") {
                let after = word.text.split("]").nth(1).unwrap_or("").trim();
                let source = if after.is_empty() {
                    args.get(i + 1).map_or("", |w| w.text.as_str())
                } else {
                    after
                };
                if local_source(source) {
                    continue;
                }
            }
            let disabled = lower.contains("gpgcheck=0")
                || lower.contains("gpgcheck=false")
                || lower.contains("gpgcheck=no")
                || lower.contains("allowunauthenticated=true")
                || lower.contains("allowunauthenticated=1")
                || lower.contains("[trusted=yes]");
            // `repo_gpgcheck=0` only skips metadata signatures, and is the default.
            let repo_only = !lower.replace("repo_gpgcheck", "").contains("gpgcheck=");
            if disabled && !(repo_only && lower.contains("repo_gpgcheck")) {
                cx.report(
                    word.span,
                    format!("`{}` turns off package signature checks", word.text),
                )
                .help("keep signature checks on (`gpgcheck=1`, signed-by keys for apt sources)");
            }
        }
    }
}

/// A package source on the local disk: `file:` and `copy:` URIs, absolute or relative paths.
fn local_source(text: &str) -> bool {
    let t = text.trim_matches(['"', '\'']).to_ascii_lowercase();
    t.starts_with("file:")
        || t.starts_with("copy:")
        || t.starts_with('/')
        || t.starts_with("./")
        || t.starts_with("${")
        || t.starts_with('$')
}

/// `apk add --allow-untrusted` from a repository on the local disk (`--repository /tmp/repo`,
/// `-X "$tmp/packages/"`: packages built earlier) and no URL. A lone `.apk` file is still
/// reported: where it came from is not known.
fn local_packages_only(cmd: &crate::parse::shell::Command) -> bool {
    let words: Vec<&str> = cmd.args().iter().map(|w| w.text.as_str()).collect();
    let mut local = false;
    for (i, word) in words.iter().enumerate() {
        let w = word.trim_matches(['"', '\'']);
        if w.contains("://") && !w.starts_with("file:") {
            return false;
        }
        let repository = match w {
            "--repository" | "-X" => words.get(i + 1).copied(),
            _ => w.strip_prefix("--repository="),
        };
        if let Some(repository) = repository {
            if !local_source(repository) {
                return false;
            }
            local = true;
        }
    }
    local
}
