use super::sites;
use crate::parse::Document;
use crate::parse::image::ImageRef;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags an image referenced by a version tag without an `@sha256:` digest, in the same
    /// places `latest-tag` looks (Dockerfile `FROM`, `COPY --from`, `RUN --mount=…,from=`;
    /// compose `image:`; workflow `container:`, `services:` and `docker://` steps).
    ///
    /// A reference with no tag or with `latest` is reported by `latest-tag` only, never by both.
    ///
    /// With `scan --online`, the digest each tag names now is asked of the image's registry
    /// (anonymously, once per reference) and SARIF carries `@sha256:…` as a fix.
    ///
    /// ## Why is this bad?
    /// A tag is a movable name: the publisher (or whoever takes over their account) can point
    /// `node:22` at different content tomorrow. Only a digest names exact bytes, so only a digest
    /// makes a build reproducible and a supply-chain review meaningful. Tools such as Dependabot
    /// and Renovate keep digests up to date.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17@sha256:8b2e5c8e6d0f4b7b6c1a9e3d2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a
    /// ```
    pub static UNPINNED_IMAGE = {
        id: "unpinned-image",
        summary: "image is pinned by tag, not by digest",
        level: Note,
        kinds: [Dockerfile, Compose, Workflow, Action],
        tags: ["security", "supply-chain"],
        security_severity: Some("2.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    for site in sites(doc, cx) {
        let image = ImageRef::parse(&site.image);
        if image.has_digest() {
            continue;
        }
        let Some(tag) = image.tag() else { continue };
        if tag == "latest" {
            continue;
        }
        // Online, the digest the tag names now is the fix (for a reference written as is).
        let digest = match &cx.project.online {
            Some(online) if site.verbatim => online.image_digest(&site.image),
            _ => None,
        };
        let draft = cx
            .report(
                site.span,
                format!(
                    "Image `{}` ({}) is pinned by tag only; the tag can be moved to other content",
                    site.image, site.place
                ),
            )
            .help(format!(
                "pin the digest too: `{}:{tag}@sha256:<digest>` (`docker buildx imagetools inspect {}:{tag}` shows it)",
                image.name(),
                image.name()
            ));
        if let Some(digest) = digest {
            draft.fix(
                format!(
                    "Pin `{}` to {digest}, the digest its tag names now",
                    site.image
                ),
                vec![(Span::empty(site.span.end as usize), format!("@{digest}"))],
            );
        }
    }
}
