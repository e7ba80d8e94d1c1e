use super::sites;
use crate::parse::Document;
use crate::parse::image::ImageRef;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an image pulled from a registry that is not on the configured allow-list, wherever
    /// images are referenced (Dockerfile `FROM`, `COPY --from`, `RUN --mount=…,from=`; compose
    /// `image:`; workflow `container:`, `services:` and `docker://` steps).
    ///
    /// The rule does nothing until the allow-list is configured. Entries are registries
    /// (`ghcr.io`) or registry paths (`ghcr.io/acme`, `docker.io/library`); an image without a
    /// registry is on `docker.io`, and official images (`nginx`) are `docker.io/library/nginx`:
    /// ```toml
    /// [rules.untrusted-registry]
    /// allow = ["registry.acme.internal", "docker.io/library", "ghcr.io/acme"]
    /// ```
    ///
    /// ## Why is this bad?
    /// Organisations mirror, scan and sign the images they trust in a registry they control. An
    /// image from anywhere else bypasses that review: typosquatted names, abandoned accounts and
    /// unscanned content reach production (hadolint DL3026).
    ///
    /// ## Example
    /// ```toml
    /// [rules.untrusted-registry]
    /// allow = ["registry.acme.internal"]
    /// ```
    /// ```dockerfile
    /// FROM randomuser/node:22@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM registry.acme.internal/node:22@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// ```
    pub static UNTRUSTED_REGISTRY = {
        id: "untrusted-registry",
        summary: "image from a registry outside the allow-list",
        level: Error,
        kinds: [Dockerfile, Compose, Workflow, Action],
        tags: ["security", "supply-chain"],
        security_severity: Some("7.0"),
        options: [("allow", "registries or registry paths images may come from; the rule is inactive while this is empty")],
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let allow: Vec<String> = cx
        .option("allow")
        .iter()
        .map(|a| a.trim_end_matches('/').to_ascii_lowercase())
        .collect();
    if allow.is_empty() {
        return;
    }
    for site in sites(doc, cx) {
        let image = ImageRef::parse(&site.image);
        let full = full_name(&image);
        let trusted = allow
            .iter()
            .any(|entry| full == *entry || full.starts_with(&format!("{entry}/")));
        if !trusted {
            let registry = full.split('/').next().unwrap_or("");
            cx.report(
                site.span,
                format!("Image `{}` ({}) comes from `{registry}`, which is not an allowed registry", site.image, site.place),
            )
            .help(format!("use an image from an allowed registry ({}), or add this one to `[rules.untrusted-registry] allow`", allow.join(", ")));
        }
    }
}

/// `registry/repository` with Docker Hub's defaults made explicit, lower-cased.
pub fn full_name(image: &ImageRef) -> String {
    let registry = match image.registry.map(str::to_ascii_lowercase) {
        None => "docker.io".to_string(),
        Some(r) if r == "index.docker.io" || r == "registry-1.docker.io" => "docker.io".to_string(),
        Some(r) => r,
    };
    let repository = if registry == "docker.io" && !image.repository.contains('/') {
        format!("library/{}", image.repository)
    } else {
        image.repository.to_string()
    };
    format!("{registry}/{}", repository.to_ascii_lowercase())
}
