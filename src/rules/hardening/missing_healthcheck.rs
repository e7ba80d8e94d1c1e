use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a Dockerfile whose final image has no `HEALTHCHECK`: neither the final stage nor a
    /// stage it is built `FROM` sets one, or the last one is `HEALTHCHECK NONE`. The finding
    /// points at the final stage's `FROM` (or at `HEALTHCHECK NONE`).
    ///
    /// In compose files: a service with `healthcheck: {disable: true}` or `test: ["NONE"]` is
    /// reported at that key; a service without `healthcheck:` at its name, unless it is built
    /// from a Dockerfile that defines one (the Dockerfile's final `FROM` is then a related
    /// location when it does not).
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
        kinds: [Dockerfile, Compose],
        tags: ["security", "availability"],
        security_severity: Some("1.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    if let Document::Compose(root) = doc {
        return check_compose(root, cx);
    }
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

fn check_compose(root: &crate::parse::yaml::Node, cx: &mut Context) {
    use crate::rules::runtime::{Values, entry_span, service_dockerfile, strings};
    if crate::rules::runtime::is_override_file(cx.path) {
        return;
    }
    let values = Values::new(cx);
    let mut reports = Vec::new();
    for service in &crate::parse::compose::services(root) {
        if crate::rules::runtime::Elsewhere::new(cx, service, &values)
            .sets(|s| s.get("healthcheck").is_some())
        {
            continue;
        }
        if let Some(healthcheck) = service.get("healthcheck") {
            if let Some(entry) = healthcheck.entry("disable")
                && values.bool(&entry.value) == Some(true)
            {
                reports.push((
                    entry_span(entry),
                    format!("Service `{}` disables its health check", service.name),
                    None,
                ));
            } else if let Some(entry) = healthcheck.entry("test") {
                let test = strings(&values, Some(&entry.value));
                if test
                    .first()
                    .is_some_and(|(_, t)| t.eq_ignore_ascii_case("NONE"))
                {
                    reports.push((
                        entry_span(entry),
                        format!(
                            "Service `{}` disables its health check (`test: [\"NONE\"]`)",
                            service.name
                        ),
                        None,
                    ));
                }
            }
            continue;
        }
        let facts = service_dockerfile(service, cx.path, &values)
            .and_then(|p| cx.project.dockerfile_facts(&p));
        match facts {
            Some(facts) if facts.has_healthcheck => {}
            Some(facts) => reports.push((
                service.key.span,
                format!("Service `{}` has no health check, and its Dockerfile defines none", service.name),
                Some(facts.final_from.clone()),
            )),
            None => reports.push((
                service.key.span,
                format!("Service `{}` defines no `healthcheck` (its image may have one Portcullis cannot see)", service.name),
                None,
            )),
        }
    }
    values.finish(cx);
    for (span, message, related) in reports {
        let draft = cx.report(span, message);
        draft.help("add a `healthcheck:` with a `test` that fails when the service does not work, so that `depends_on: condition: service_healthy` and restarts can rely on it");
        if let Some(location) = related {
            draft.related_elsewhere(
                location,
                "the final stage of the Dockerfile has no HEALTHCHECK",
            );
        }
    }
}
