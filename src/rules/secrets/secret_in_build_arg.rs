use super::assignments::secret_named;
use crate::parse::dockerfile::unquote;
use crate::parse::expr::find_all;
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a secret passed as a build argument, which persists in the image's metadata and
    /// history:
    /// - a Dockerfile `ARG` with a secret name (see `secret-in-config`) that a later `RUN` of
    ///   its stage uses (`$NAME`, `${NAME}`), reported at the `ARG`;
    /// - such an `ARG`, with no literal default and in scope (declared in the stage; a global
    ///   `ARG` only when re-declared there), expanded into an `ENV` or `LABEL` value (`$N`,
    ///   `${N}`, `${N:-…}`, `${N:+…}`), reported at that `key=value` word — an **error** when
    ///   the stage reaches the final image (the final stage or one it is built `FROM`), where
    ///   anyone who pulls the image reads the value in its configuration; a warning in a builder
    ///   stage. Such an `ARG` is not reported again for its `RUN` uses. `*_FILE` names and
    ///   `RUN --mount=type=secret` are never reported;
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
    // (span, message, in the final image, the ARG word).
    let mut config_reports: Vec<(crate::source::Span, String, bool, crate::source::Span)> =
        Vec::new();
    match doc {
        Document::Dockerfile(file) => {
            let final_chain = file.final_chain();
            // ARGs whose value reaches an ENV/LABEL, by stage: reported there, not again for RUN.
            let mut copied: std::collections::HashSet<(usize, String)> =
                std::collections::HashSet::new();
            for (stage_idx, stage) in file.stages.iter().enumerate() {
                // Secret-named ARGs in scope with no literal default: name → the ARG word.
                let mut secret_args: std::collections::HashMap<String, crate::source::Span> =
                    std::collections::HashMap::new();
                for idx in stage.body.clone() {
                    let ins = &file.instructions[idx];
                    match ins.keyword.as_str() {
                        "ARG" => {
                            for word in &ins.words {
                                let (name, default) = match word.text.split_once('=') {
                                    Some((n, v)) => (n, Some(unquote(v))),
                                    None => (word.text.as_str(), None),
                                };
                                // A global ARG re-declared in the stage brings its default.
                                let default = default.or_else(|| {
                                    file.global_args
                                        .iter()
                                        .rev()
                                        .find(|(n, _)| n == name)
                                        .and_then(|(_, d)| d.clone())
                                });
                                if !secret_named(name) || default.is_some_and(|d| !d.is_empty()) {
                                    // A literal default is `secret-in-config`'s, at the ARG.
                                    secret_args.remove(name);
                                    continue;
                                }
                                secret_args.insert(name.to_string(), word.span);
                            }
                        }
                        "ENV" | "LABEL" => {
                            for (key, value, span) in config_pairs(ins) {
                                for var in variables(&value) {
                                    let Some(&arg_span) = secret_args.get(var) else {
                                        continue;
                                    };
                                    copied.insert((stage_idx, var.to_string()));
                                    let shipped = final_chain.contains(&stage_idx);
                                    let message = if shipped {
                                        format!(
                                            "Secret build argument `{var}` is copied into `{} {key}`: anyone who pulls the image reads it in the image's configuration",
                                            ins.keyword
                                        )
                                    } else {
                                        format!(
                                            "Secret build argument `{var}` is copied into `{} {key}` of a builder stage: it stays in the build cache and intermediate images",
                                            ins.keyword
                                        )
                                    };
                                    config_reports.push((span, message, shipped, arg_span));
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            for (stage_idx, stage) in file.stages.iter().enumerate() {
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
                        if secret_named(name)
                            && last_use.get(name).is_some_and(|&used| used > idx)
                            && !copied.contains(&(stage_idx, name.to_string()))
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
    for (span, message, shipped, arg) in config_reports {
        let level = if shipped {
            crate::finding::Level::Error
        } else {
            crate::finding::Level::Warning
        };
        cx.report(span, message)
            .level(level)
            .related(arg, "the build argument is declared here")
            .help(HELP);
    }
}

/// The `key=value` pairs of an `ENV` or `LABEL` with the span each is reported at: the word,
/// or the instruction's arguments for the legacy `ENV KEY value` form.
fn config_pairs(
    ins: &crate::parse::dockerfile::Instruction,
) -> Vec<(String, String, crate::source::Span)> {
    if ins.keyword == "ENV" {
        return crate::parse::dockerfile::Dockerfile::assignments(ins)
            .into_iter()
            .filter_map(|(name, value, span)| Some((name, value?, span)))
            .collect();
    }
    ins.words
        .iter()
        .filter_map(|w| {
            let (key, value) = w.text.split_once('=')?;
            Some((unquote(key), value.to_string(), w.span))
        })
        .collect()
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
