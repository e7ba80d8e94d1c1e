use super::steps;
use crate::parse::Document;
use crate::parse::workflow::{action_name, triggers};
use crate::rules::{Context, declare_rule};

/// Actions that cache: (action, input that turns caching on or off, cached unless turned off).
/// An action with no input always caches.
const CACHING_ACTIONS: &[(&str, Option<&str>, bool)] = &[
    ("actions/cache", None, true),
    ("actions/cache/restore", None, true),
    ("swatinem/rust-cache", None, true),
    ("ramsey/composer-install", None, true),
    ("mozilla-actions/sccache-action", None, true),
    ("actions/setup-node", Some("cache"), false),
    ("actions/setup-python", Some("cache"), false),
    ("actions/setup-java", Some("cache"), false),
    ("actions/setup-dotnet", Some("cache"), false),
    ("actions/setup-go", Some("cache"), true),
    ("astral-sh/setup-uv", Some("enable-cache"), true),
    ("docker/setup-buildx-action", Some("cache-binary"), true),
    ("pyo3/maturin-action", Some("sccache"), false),
    ("oven-sh/setup-bun", Some("no-cache"), true),
];

declare_rule! {
    /// ## What it does
    /// Flags caching in a release workflow — one triggered by `release` or by pushing tags
    /// (`push: tags:`): actions that always cache (`actions/cache` and its `restore`,
    /// `Swatinem/rust-cache`, `ramsey/composer-install`, `mozilla-actions/sccache-action`), a
    /// caching input turned on (`cache:` of `actions/setup-node`, `setup-python`, `setup-java`,
    /// `setup-dotnet`; `sccache:` of `PyO3/maturin-action`), and actions that cache unless told
    /// not to (`actions/setup-go`, `astral-sh/setup-uv`, `docker/setup-buildx-action`,
    /// `oven-sh/setup-bun`). An expression as the input's value counts as on. The finding points
    /// at the step's `uses:` line or at the input.
    ///
    /// ## Why is this bad?
    /// Caches are shared across workflows of a repository. Any workflow that can write a cache
    /// entry — including one run for a pull request — can plant poisoned dependencies or build
    /// outputs that the release build then restores and ships.
    ///
    /// ## Example
    /// ```yaml
    /// on:
    ///   push:
    ///     tags: ["v*"]
    /// jobs:
    ///   release:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af # v4.1.0
    ///         with:
    ///           cache: npm
    ///       - run: npm ci && npm publish
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on:
    ///   push:
    ///     tags: ["v*"]
    /// jobs:
    ///   release:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af # v4.1.0
    ///       - run: npm ci && npm publish
    /// ```
    pub static CACHE_POISONING = {
        id: "cache-poisoning",
        summary: "release workflow restores a cache",
        level: Warning,
        kinds: [Workflow],
        tags: ["security", "supply-chain"],
        security_severity: Some("6.0"),
        check: Some(check),
    }
}

fn is_release_workflow(doc: &Document) -> bool {
    let Document::Workflow(root) = doc else {
        return false;
    };
    if triggers(root).iter().any(|(t, _)| t == "release") {
        return true;
    }
    let on = root.get("on").or_else(|| root.get("true"));
    on.and_then(|o| o.get("push"))
        .is_some_and(|push| push.get("tags").is_some())
}

fn check(doc: &Document, cx: &mut Context) {
    if !is_release_workflow(doc) {
        return;
    }
    let mut reports = Vec::new();
    for (_, step) in steps(doc) {
        let Some(name) = action_name(step) else {
            continue;
        };
        let uses_span = step
            .entry("uses")
            .map_or(step.span, |e| e.key.span.to(e.value.span));
        let Some((_, input, default_on)) = CACHING_ACTIONS.iter().find(|(a, _, _)| *a == name)
        else {
            continue;
        };
        let Some(input) = input else {
            reports.push((
                uses_span,
                format!("`{name}` restores a cache into a release build"),
            ));
            continue;
        };
        match step.get("with").and_then(|w| w.entry(input)) {
            Some(entry) => {
                let value = entry
                    .value
                    .as_str()
                    .map(|v| v.trim().to_ascii_lowercase())
                    .unwrap_or_default();
                // `no-cache: true` turns caching off; for the others `false` or empty does.
                let off = if input.starts_with("no-") {
                    value == "true"
                } else {
                    value.is_empty() || value == "false"
                };
                if !off {
                    reports.push((
                        entry.key.span.to(entry.value.span),
                        format!("`{name}` restores a cache into a release build"),
                    ));
                }
            }
            None if *default_on => reports.push((
                uses_span,
                format!("`{name}` caches by default, restoring a cache into a release build"),
            )),
            None => {}
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("do not restore caches in workflows that build releases; install dependencies from the lock file instead (for setup-go, `cache: false`)");
    }
}
