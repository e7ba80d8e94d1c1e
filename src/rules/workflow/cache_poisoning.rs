use super::steps;
use crate::parse::Document;
use crate::parse::workflow::{action_name, triggers};
use crate::rules::{Context, declare_rule};

/// Setup actions that cache when asked with `cache:` (or by default, the second field).
const SETUP_ACTIONS: &[(&str, bool)] = &[
    ("actions/setup-node", false),
    ("actions/setup-python", false),
    ("actions/setup-java", false),
    ("actions/setup-dotnet", false),
    ("actions/setup-go", true),
    ("astral-sh/setup-uv", false),
    ("pnpm/action-setup", false),
];

declare_rule! {
    /// ## What it does
    /// Flags caching in a release workflow — one triggered by `release` or by pushing tags
    /// (`push: tags:`): `actions/cache` (and its `restore`), a `cache:` input on a setup action
    /// (`actions/setup-node`, `setup-python`, `setup-java`, `setup-dotnet`, `setup-go`), and
    /// `actions/setup-go`, which caches by default unless `cache: false`. The finding points at
    /// the step's `uses:` line or its `cache:` input.
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
        if name == "actions/cache" || name == "actions/cache/restore" {
            reports.push((
                uses_span,
                format!("`{name}` restores a cache into a release build"),
            ));
            continue;
        }
        let Some((_, default_on)) = SETUP_ACTIONS.iter().find(|(a, _)| *a == name) else {
            continue;
        };
        let input = step
            .get("with")
            .and_then(|w| w.entry("cache").or_else(|| w.entry("enable-cache")));
        match input {
            Some(entry) => {
                let off = entry.value.as_bool() == Some(false)
                    || entry.value.as_str().is_some_and(|v| v.trim().is_empty());
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
