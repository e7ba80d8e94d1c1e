use super::credential_files::credential_file;
use crate::parse::Document;
use crate::parse::dockerfile::unquote;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `COPY` or `ADD` of a credential file from the build context into a stage that
    /// reaches the final image: `.env` files (not `.env.example`), SSH private keys (`id_rsa*`,
    /// `id_ed25519*`, not `*.pub`), `*.pem`, `*.key`, `*.p12`, `*.pfx`, `*.jks`, `.npmrc`,
    /// `.pypirc`, `.netrc`, `.git-credentials`, `.aws/credentials`, `.docker/config.json`,
    /// kubeconfigs and service-account JSON files. Copies into build stages the final image does
    /// not derive from are not reported (they do not ship). Key and PEM files whose name says
    /// they are public are not reported either: public keys (`*pub*`), repository signing keys
    /// (`*.gpg.key`, `*keyring*`), certificates and chains (`cert`, `crt`, `chain`, `bundle`,
    /// `ca.pem`) and Diffie-Hellman parameters (`dhparam.pem`, `ffdhe4096.pem`).
    ///
    /// ## Why is this bad?
    /// Everything copied into an image layer stays there — even if a later `RUN rm` deletes it —
    /// and anyone who can pull the image can extract it.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22-slim@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// COPY .npmrc /app/.npmrc
    /// RUN npm ci
    /// ```
    ///
    /// ## Use instead
    /// Mount the credential for the one step that needs it:
    /// ```dockerfile
    /// FROM node:22-slim@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// RUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci
    /// ```
    pub static SECRET_FILE_IN_IMAGE = {
        id: "secret-file-in-image",
        summary: "credential file copied into the image",
        level: Error,
        kinds: [Dockerfile],
        tags: ["security", "secret", "external/cwe/cwe-538"],
        security_severity: Some("8.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Dockerfile(file) = doc else {
        return;
    };
    let mut reports = Vec::new();
    for stage in file.final_chain() {
        for idx in file.stages[stage].body.clone() {
            let ins = &file.instructions[idx];
            if !matches!(ins.keyword.as_str(), "COPY" | "ADD")
                || ins.flags.iter().any(|f| f.name == "from")
                || !ins.heredocs.is_empty()
            {
                continue;
            }
            let Some((_, sources)) = ins.words.split_last() else {
                continue;
            };
            for source in sources {
                let path = unquote(&source.text);
                if let Some(what) = credential_file(&path) {
                    reports.push((
                        source.span,
                        format!("`{} {path}` puts {what} into the image", ins.keyword),
                    ));
                }
            }
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("do not copy it: use `RUN --mount=type=secret,id=…` for the step that needs it, and list the file in `.dockerignore`");
    }
}
