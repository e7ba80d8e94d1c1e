use crate::parse::Document;
use crate::parse::dockerfile::Dockerfile;
use crate::parse::image::ImageRef;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a Dockerfile whose final image runs as root: the final stage (and the stages it is
    /// built `FROM`) sets no `USER`, or the last `USER` is `root`, `0`, `root:<group>` or
    /// `0:<group>`. Only the stages that reach the shipped image count; a build stage may run as
    /// root.
    ///
    /// With no `USER` at all the finding points at the final stage's `FROM`; otherwise at the
    /// last `USER`. A final stage based on an image that runs as a non-root user by convention
    /// (a `nonroot` tag, as distroless images use) is not reported. `USER` with a variable
    /// (`USER ${UID}`) counts as non-root unless its default resolves to root.
    ///
    /// In compose files: `user: root`, `user: "0"` or `root:<group>` (after interpolation and
    /// `extends`) is reported at `user:`. A service without `user:` that is built from a
    /// Dockerfile is reported at its name when that Dockerfile's image runs as root, with the
    /// Dockerfile's deciding line as a related location; a service whose Dockerfile sets a
    /// non-root `USER` is fine. A service that only names a registry image and sets no `user:`
    /// is not reported: the image's user cannot be seen from here.
    ///
    /// GitHub runs container actions as root and forbids `USER` in an action's Dockerfile: keep
    /// such a Dockerfile honest with `# portcullis: ignore[root-user] <reason>`.
    ///
    /// ## Why is this bad?
    /// A process running as root in a container is root on the host as soon as anything else
    /// goes wrong: a kernel bug, a mounted socket, a privileged flag, a writable host path. A
    /// non-root user turns those into a much smaller problem (CIS Docker Benchmark 4.1).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22-slim@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// COPY . /app
    /// CMD ["node", "/app/server.js"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM node:22-slim@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// COPY --chown=node:node . /app
    /// USER node
    /// CMD ["node", "/app/server.js"]
    /// ```
    pub static ROOT_USER = {
        id: "root-user",
        summary: "image runs as root",
        level: Warning,
        kinds: [Dockerfile, Compose],
        tags: ["security", "hardening", "external/cwe/cwe-250"],
        security_severity: Some("6.0"),
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
    let Some((true, span, user)) = verdict(file, &chain) else {
        return;
    };
    match user {
        Some(user) => {
            cx.report(span, format!("The image runs as root: the last `USER` is `{user}`"))
                .help("switch to an unprivileged user for the final stage: `USER 10001` (create it with `useradd` or `adduser` first if the image needs a name)");
        }
        None => {
            cx.report(
                span,
                "The image runs as root: no `USER` is set in the final stage",
            )
            .help(
                "add `USER <uid>` (a non-root user) before `CMD`/`ENTRYPOINT` in the final stage",
            );
        }
    }
}

/// Whether the image of `chain` (final stage first) runs as root, the span that decides it (the
/// last `USER` word, or the final `FROM` when there is no `USER`) and the resolved user.
pub fn verdict(
    file: &Dockerfile,
    chain: &[usize],
) -> Option<(bool, crate::source::Span, Option<String>)> {
    let &final_stage = chain.first()?;
    if let Some((idx, user)) = last_user(file, chain) {
        let ins = &file.instructions[idx];
        let resolved = crate::parse::dockerfile::substitute(&user, &|v| {
            file.lookup_in_stage(file.stage_of(idx).unwrap_or(final_stage), idx, v)
        });
        let name = resolved.unwrap_or_default();
        let account = name.split(':').next().unwrap_or("");
        let span = ins.words.first().map_or(ins.keyword_span, |w| w.span);
        let root = account == "root" || account == "0";
        return Some((root, span, Some(name)));
    }
    let base = &file.stages[*chain.last()?];
    let stage = &file.stages[final_stage];
    let from_span = file.instructions[stage.from]
        .keyword_span
        .to(stage.image.span);
    let nonroot_base = base
        .resolved
        .as_deref()
        .and_then(|r| ImageRef::parse(r).tag())
        .is_some_and(|t| t.contains("nonroot"));
    Some((!nonroot_base, from_span, None))
}

/// The last `USER` instruction of the chain (final stage first): (instruction, user).
fn last_user(file: &Dockerfile, chain: &[usize]) -> Option<(usize, String)> {
    for &stage in chain {
        let body = file.stages[stage].body.clone();
        for idx in body.rev() {
            let ins = &file.instructions[idx];
            if ins.keyword == "USER"
                && let Some(word) = ins.words.first()
            {
                return Some((idx, crate::parse::dockerfile::unquote(&word.text)));
            }
        }
    }
    None
}

fn check_compose(root: &crate::parse::yaml::Node, cx: &mut Context) {
    use crate::rules::runtime::{Values, entry_span, service_dockerfile};
    let values = Values::new(cx);
    let mut reports = Vec::new();
    for service in &crate::parse::compose::services(root) {
        if let Some(entry) = service.entry("user") {
            let Some(user) = values.text(&entry.value) else {
                continue;
            };
            let account = user.split(':').next().unwrap_or("").trim();
            if account == "root" || account == "0" {
                reports.push((
                    entry_span(entry),
                    format!("Service `{}` runs as root (`user: {user}`)", service.name),
                    None,
                ));
            }
            continue;
        }
        if crate::rules::runtime::is_override_file(cx.path)
            || crate::rules::runtime::Elsewhere::new(cx, service, &values)
                .sets(|s| s.get("user").is_some())
        {
            continue;
        }
        let Some(path) = service_dockerfile(service, cx.path, &values) else {
            continue;
        };
        if let Some(facts) = cx.project.dockerfile_facts(&path)
            && let Some((true, location)) = &facts.runs_as_root
        {
            reports.push((
                service.key.span,
                format!("Service `{}` runs as root: its Dockerfile sets no non-root `USER` and the service sets no `user:`", service.name),
                Some(location.clone()),
            ));
        }
    }
    values.finish(cx);
    for (span, message, related) in reports {
        let draft = cx.report(span, message);
        draft.help("set `user: \"10001:10001\"` on the service, or a non-root `USER` in the Dockerfile's final stage");
        if let Some(location) = related {
            draft.related_elsewhere(location, "the image's user is decided here");
        }
    }
}
