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
    let scripts = super::scripts(doc, &cx.file.text);
    for cmd in super::commands(&scripts) {
        let Some(program) = cmd.program() else {
            continue;
        };
        for (programs, flags) in FLAGS {
            if programs.contains(&program)
                && let Some(flag) = cmd.flag(flags)
            {
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
        for word in cmd.args() {
            let lower = word.text.to_ascii_lowercase().replace(' ', "");
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
