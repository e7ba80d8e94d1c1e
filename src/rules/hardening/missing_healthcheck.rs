use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a Dockerfile whose final image has no `HEALTHCHECK`: neither the final stage nor a
    /// stage it is built `FROM` sets one, or the last one is `HEALTHCHECK NONE`. The finding
    /// points at the final stage's `FROM` (or at `HEALTHCHECK NONE`).
    ///
    /// A base image from a registry may define a health check that Portcullis cannot see; that
    /// is why this rule is a note. Images that never serve (build tools, CLI images) can disable
    /// it with an ignore comment or in `portcullis.toml`.
    ///
    /// ## Why is this bad?
    /// Without a health check, Docker and Compose only know whether the process is running, not
    /// whether it works: a hung server stays "up", `depends_on: condition: service_healthy`
    /// cannot wait for it, and restarts never happen (CIS Docker Benchmark 4.6).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM nginx:1.27@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// COPY site/ /usr/share/nginx/html/
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM nginx:1.27@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// COPY site/ /usr/share/nginx/html/
    /// HEALTHCHECK --interval=30s --timeout=3s CMD curl -fsS http://localhost/ || exit 1
    /// ```
    pub static MISSING_HEALTHCHECK = {
        id: "missing-healthcheck",
        summary: "image defines no health check",
        level: Note,
        kinds: [Dockerfile],
        tags: ["security", "availability"],
        security_severity: Some("1.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Dockerfile(file) = doc else {
        return;
    };
    let chain = file.final_chain();
    let Some(&final_stage) = chain.first() else {
        return;
    };
    match healthcheck(file, &chain) {
        Some((true, idx)) => {
            let ins = &file.instructions[idx];
            cx.report(
                ins.keyword_span.to(ins.words[0].span),
                "`HEALTHCHECK NONE` disables the image's health check",
            )
            .help("define a check instead: `HEALTHCHECK CMD <command that fails when the service does not work>`");
        }
        Some((false, _)) => {}
        None => {
            let stage = &file.stages[final_stage];
            let from = &file.instructions[stage.from];
            cx.report(
                from.keyword_span.to(stage.image.span),
                "The image defines no `HEALTHCHECK`: only whether its process runs can be observed",
            )
            .help("add `HEALTHCHECK CMD <command>` to the final stage, e.g. a request to the service's health endpoint");
        }
    }
}

/// The last `HEALTHCHECK` of `chain` (final stage first): (is it `NONE`, instruction index).
pub fn healthcheck(
    file: &crate::parse::dockerfile::Dockerfile,
    chain: &[usize],
) -> Option<(bool, usize)> {
    let idx = chain.iter().find_map(|&stage| {
        file.stages[stage]
            .body
            .clone()
            .rev()
            .find(|&idx| file.instructions[idx].keyword == "HEALTHCHECK")
    })?;
    let none = file.instructions[idx]
        .words
        .first()
        .is_some_and(|w| w.text.eq_ignore_ascii_case("NONE"));
    Some((none, idx))
}
