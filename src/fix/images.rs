//! Images: `name:tag` → `name:tag@sha256:…` wherever the scan finds an image reference
//! (Dockerfile `FROM`, `COPY --from`, `RUN --mount=…,from=`; compose `image:`; workflow
//! `container:`, `services:`, `docker://`). The digest is inserted after the tag; nothing else
//! on the line changes.

use std::path::Path;

use crate::parse::image::ImageRef;
use crate::parse::{self, Document};
use crate::rules::images::sites;
use crate::rules::{Context, Project};
use crate::source::{FileKind, SourceFile};

/// An image reference to pin: where the digest goes, and the reference to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePin {
    /// Byte offset just after the reference.
    pub offset: usize,
    pub reference: String,
    /// 1-based line, for messages.
    pub line: u32,
}

/// The references of `text` that `fix --pin` can pin, and (in `skipped`) those it leaves with
/// the reason: written with a variable, or naming no version.
pub fn candidates(
    path: &Path,
    display: &str,
    kind: FileKind,
    text: &str,
    skipped: &mut Vec<String>,
) -> Vec<ImagePin> {
    let (doc, _) = parse::parse(kind, text);
    let Some(doc) = doc.filter(|d| !matches!(d, Document::Unparsed)) else {
        return Vec::new();
    };
    let source = SourceFile::new(display.to_string(), kind, text.to_string());
    let project = Project::default();
    let mut cx = Context::new(&source, path, &project);
    let mut out: Vec<ImagePin> = Vec::new();
    for site in sites(&doc, &mut cx) {
        let image = ImageRef::parse(&site.image);
        if image.has_digest() {
            continue;
        }
        let line = source.line_col(site.span.start as usize).line;
        if !site.verbatim {
            skipped.push(format!(
                "{display}:{line}: `{}` is written with a variable; pin it where the value is set",
                site.image
            ));
            continue;
        }
        match image.tag() {
            None | Some("latest") => skipped.push(format!(
                "{display}:{line}: `{}` names no version; name one (`{}:<version>`), then pin it",
                site.image,
                image.name()
            )),
            // The digest goes right after the reference as it stands in the source; one
            // written with escapes (or split) is left for a person.
            Some(_) => {
                let end = site.span.end as usize;
                let written = end
                    .checked_sub(site.image.len())
                    .and_then(|start| text.get(start..end));
                if written == Some(site.image.as_str()) {
                    out.push(ImagePin {
                        offset: end,
                        reference: site.image,
                        line,
                    });
                } else {
                    skipped.push(format!(
                        "{display}:{line}: `{}` is written with escapes; pin it by hand",
                        site.image
                    ));
                }
            }
        }
    }
    // One reference used by several services through an anchor is one place in the text.
    out.sort_by_key(|p| p.offset);
    out.dedup_by_key(|p| p.offset);
    out
}

/// `text` with `@<digest>` inserted after each reference whose digest is known.
pub fn insert_digests(
    text: &str,
    pins: &[ImagePin],
    digests: &std::collections::HashMap<String, String>,
) -> (String, usize) {
    let mut out = text.to_string();
    let mut pinned = 0;
    for pin in pins.iter().rev() {
        if let Some(digest) = digests.get(&pin.reference) {
            out.insert_str(pin.offset, &format!("@{digest}"));
            pinned += 1;
        }
    }
    (out, pinned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tagged_references_and_explains_the_others() {
        let text = "ARG BASE=alpine:3.20\nFROM ${BASE} AS a\nFROM node:22 AS b\nCOPY --from=busybox:1.36 /bin/sh /sh\nFROM nginx\nFROM b\nFROM redis:7@sha256:aaaa\n";
        let mut skipped = Vec::new();
        let pins = candidates(
            Path::new("Dockerfile"),
            "Dockerfile",
            FileKind::Dockerfile,
            text,
            &mut skipped,
        );
        let refs: Vec<(&str, u32)> = pins
            .iter()
            .map(|p| (p.reference.as_str(), p.line))
            .collect();
        assert_eq!(refs, [("node:22", 3), ("busybox:1.36", 4)]);
        assert_eq!(
            &text[..pins[0].offset],
            "ARG BASE=alpine:3.20\nFROM ${BASE} AS a\nFROM node:22"
        );
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped[0].contains("Dockerfile:2: `alpine:3.20` is written with a variable"));
        assert!(skipped[1].contains("Dockerfile:5: `nginx` names no version"));
    }

    #[test]
    fn inserts_after_the_tag_and_keeps_quotes_and_comments() {
        let text =
            "services:\n  a:\n    image: \"postgres:17\" # db\n  b:\n    image: postgres:17\n";
        let mut skipped = Vec::new();
        let pins = candidates(
            Path::new("compose.yaml"),
            "compose.yaml",
            FileKind::Compose,
            text,
            &mut skipped,
        );
        let digest = format!("sha256:{}", "b".repeat(64));
        let digests = [("postgres:17".to_string(), digest.clone())]
            .into_iter()
            .collect();
        let (new, pinned) = insert_digests(text, &pins, &digests);
        assert_eq!(pinned, 2);
        assert_eq!(
            new,
            format!(
                "services:\n  a:\n    image: \"postgres:17@{digest}\" # db\n  b:\n    image: postgres:17@{digest}\n"
            )
        );
    }
}
