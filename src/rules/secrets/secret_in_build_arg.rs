use super::assignments::secret_named;
use crate::parse::expr::find_all;
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a secret passed as a build argument, which persists in the image's metadata and
    /// history:
    /// - a Dockerfile `ARG` with a secret name (see `secret-in-config`) that a later `RUN` of
    ///   its stage uses (`$NAME`, `${NAME}`), reported at the `ARG`;
    /// - a compose `build.args` entry with a secret name, whatever its value — even
    ///   `NPM_TOKEN: ${NPM_TOKEN}` hands the secret over as a build argument;
    /// - in workflows, `docker build … --build-arg X=${{ secrets.Y }}` in `run:` and the
    ///   `build-args` input of `docker/build-push-action` holding `${{ secrets.… }}`.
    ///
    /// ## Why is this bad?
    /// Build arguments are recorded in the image: `docker history --no-trunc` shows the values
    /// used by `RUN` steps to anyone who can pull the image, and they end up in build caches.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22-slim@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// ARG NPM_TOKEN
    /// RUN echo "//registry.npmjs.example/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc
    /// ```
    ///
    /// ## Use instead
    /// A BuildKit secret mount is not recorded anywhere:
    /// ```dockerfile
    /// FROM node:22-slim@sha256:4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1
    /// RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
    /// ```
    pub static SECRET_IN_BUILD_ARG = {
        id: "secret-in-build-arg",
        summary: "secret passed as a build argument",
        level: Warning,
        kinds: [Dockerfile, Compose, Workflow, Action],
        tags: ["security", "secret", "external/cwe/cwe-538"],
        security_severity: Some("6.0"),
        check: Some(check),
    }
}

const HELP: &str = "use a BuildKit secret mount (`RUN --mount=type=secret,id=NAME`) and pass the secret with `docker build --secret id=NAME,env=VAR` (compose: `build.secrets`; build-push-action: `secrets:`)";

fn check(doc: &Document, cx: &mut Context) {
    let mut reports = Vec::new();
    match doc {
        Document::Dockerfile(file) => {
            for stage in &file.stages {
                // The last RUN of the stage that mentions each variable: one pass, not one per ARG.
                let mut last_use: std::collections::HashMap<String, usize> =
                    std::collections::HashMap::new();
                for idx in stage.body.clone() {
                    let ins = &file.instructions[idx];
                    if ins.keyword != "RUN" {
                        continue;
                    }
                    let texts = std::iter::once(ins.rest.text.as_str())
                        .chain(ins.heredocs.iter().map(|h| h.body.as_str()));
                    for text in texts {
                        for name in variables(text) {
                            last_use.insert(name.to_string(), idx);
                        }
                    }
                }
                for idx in stage.body.clone() {
                    let ins = &file.instructions[idx];
                    if ins.keyword != "ARG" {
                        continue;
                    }
                    for word in &ins.words {
                        let name = word.text.split('=').next().unwrap_or("");
                        if secret_named(name) && last_use.get(name).is_some_and(|&used| used > idx)
                        {
                            reports.push((word.span, format!("Build argument `{name}` is a secret used by `RUN`: its value is recorded in the image history")));
                        }
                    }
                }
            }
        }
        Document::Compose(root) => {
            for service in &compose::services(root) {
                let Some(args) = service.get("build").and_then(|b| b.get("args")) else {
                    continue;
                };
                if let Some(entries) = args.as_map() {
                    for e in entries {
                        if let Some(key) = e.key_str().filter(|k| secret_named(k)) {
                            reports.push((
                                e.key.span,
                                format!(
                                    "Service `{}` passes secret `{key}` as a build argument",
                                    service.name
                                ),
                            ));
                        }
                    }
                } else {
                    for item in args.as_seq().unwrap_or(&[]) {
                        let Some(text) = item.as_str() else { continue };
                        let key = text.split('=').next().unwrap_or("");
                        if secret_named(key) {
                            reports.push((
                                item.span,
                                format!(
                                    "Service `{}` passes secret `{key}` as a build argument",
                                    service.name
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Document::Workflow(_) | Document::Action(_) => {
            for (_, step) in crate::rules::workflow::steps(doc) {
                if let Some(run) = step.get("run")
                    && let Some(text) = run.as_str()
                {
                    for e in find_all(text) {
                        let before = &text[..e.range.start];
                        let arg = before
                            .rfind("--build-arg")
                            .is_some_and(|p| !before[p..].contains('\n'));
                        let secret = e.expr.as_ref().is_ok_and(|x| {
                            let mut found = false;
                            x.walk(&mut |n| {
                                found |= n.path_name().is_some_and(|p| p.starts_with("secrets."))
                            });
                            found
                        });
                        if arg && secret {
                            reports.push((
                                run.subspan(&cx.file.text, e.range.clone()),
                                "A secret is passed to `docker build` as `--build-arg`".to_string(),
                            ));
                        }
                    }
                }
                if crate::parse::workflow::action_name(step).as_deref()
                    == Some("docker/build-push-action")
                    && let Some(entry) = step.get("with").and_then(|w| w.entry("build-args"))
                    && entry.value.as_str().is_some_and(|v| v.contains("secrets."))
                {
                    reports.push((
                        entry.key.span,
                        "`docker/build-push-action` receives a secret in `build-args`".to_string(),
                    ));
                }
            }
        }
        _ => {}
    }
    for (span, message) in reports {
        cx.report(span, message).help(HELP);
    }
}

/// Names referenced as `$NAME` or `${NAME…}` in shell text.
fn variables(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('$').filter_map(move |(at, _)| {
        let rest = &text[at + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}
