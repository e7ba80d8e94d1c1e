use super::sites;
use crate::parse::Document;
use crate::parse::image::ImageRef;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags an image reference with no tag, or with the `latest` tag, and no digest: a
    /// Dockerfile `FROM` (after substituting `ARG` defaults), `COPY --from=<image>` or
    /// `RUN --mount=…,from=<image>`; a compose `image:` (after interpolating `${VAR:-default}`
    /// and the project `.env`); a workflow job's `container:` or `services:` image; and
    /// `uses: docker://…` steps. A workflow image written as `${{ matrix.<name> }}` is checked
    /// for every literal value of that matrix entry (including `include:` entries).
    ///
    /// `scratch`, earlier build stages (`FROM builder`), compose services that are built
    /// (`build:` names what `image:` tags) and references pinned by digest are not reported.
    /// References that cannot be resolved statically (`image: ${TAG}` with no value) are not
    /// guessed at: they are counted as "not checked" in the run's notifications.
    ///
    /// ## Why is this bad?
    /// `latest` is whatever was pushed last. Builds stop being reproducible, a new major version
    /// arrives without review, and a compromised registry account reaches you on the next pull.
    /// An untagged reference means `latest`.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node
    /// FROM python:latest
    /// ```
    ///
    /// ## Use instead
    /// Name a version, and pin its digest so the content cannot change under the tag:
    /// ```dockerfile
    /// FROM node:22.11-bookworm-slim@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// ```
    pub static LATEST_TAG = {
        id: "latest-tag",
        summary: "image has no tag or uses `latest`",
        level: Warning,
        kinds: [Dockerfile, Compose, Workflow, Action],
        tags: ["security", "supply-chain", "reproducibility"],
        security_severity: Some("4.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    for site in sites(doc, cx) {
        let image = ImageRef::parse(&site.image);
        if image.has_digest() {
            continue;
        }
        match image.tag() {
            None => {
                cx.report(
                    site.span,
                    format!(
                        "Image `{}` ({}) has no tag, so it pulls whatever `latest` is at build time",
                        site.image, site.place
                    ),
                )
                .help(format!(
                    "name a version and pin its digest: `{}:<version>@sha256:<digest>`",
                    image.name()
                ));
            }
            Some("latest") => {
                let tag = image.tag.clone().expect("has a tag");
                cx.report(
                    site.subspan(tag),
                    format!(
                        "Image `{}` ({}) uses the mutable `latest` tag",
                        site.image, site.place
                    ),
                )
                .help(format!(
                    "name a version and pin its digest: `{}:<version>@sha256:<digest>`",
                    image.name()
                ));
            }
            Some(_) => {}
        }
    }
}
