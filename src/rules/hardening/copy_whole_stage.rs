use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `COPY --from=<stage or image> / <dest>`: copying the root of another filesystem
    /// (`/` or `/.`) instead of the files the image needs.
    ///
    /// ## Why is this bad?
    /// The whole build filesystem lands in the image: compilers, package caches, shell history,
    /// and any credential a build step left behind. It defeats the point of a multi-stage build
    /// and makes the image larger and easier to attack (hadolint DL3067).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f AS build
    /// RUN go build -o /out/app .
    /// FROM scratch
    /// COPY --from=build / /
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM golang:1.23@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f AS build
    /// RUN go build -o /out/app .
    /// FROM scratch
    /// COPY --from=build /out/app /app
    /// ```
    pub static COPY_WHOLE_STAGE = {
        id: "copy-whole-stage",
        summary: "`COPY --from` copies a whole filesystem",
        level: Note,
        kinds: [Dockerfile],
        tags: ["security", "hardening"],
        security_severity: Some("3.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Dockerfile(file) = doc else {
        return;
    };
    for ins in &file.instructions {
        if ins.keyword != "COPY" {
            continue;
        }
        let Some(from) = ins
            .flags
            .iter()
            .find(|f| f.name == "from")
            .and_then(|f| f.value.as_deref())
        else {
            continue;
        };
        let Some((_, sources)) = ins.words.split_last() else {
            continue;
        };
        for source in sources {
            let path = crate::parse::dockerfile::unquote(&source.text);
            if matches!(path.as_str(), "/" | "/." | "/*" | "./" | ".") {
                cx.report(
                    source.span,
                    format!("`COPY --from={from} {path}` copies the whole filesystem of `{from}` into the image"),
                )
                .help("copy only the build outputs the image needs, e.g. `COPY --from=build /out/app /app`");
            }
        }
    }
}
