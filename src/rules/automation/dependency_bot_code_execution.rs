use super::dependabot_updates;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a Dependabot `updates[]` item with `insecure-external-code-execution: allow`
    /// (any case), at that key. `deny`, or no key, is fine. The setting applies whether or not
    /// the item names `registries`: it lets manifest code run with whatever access the update
    /// job has, now or once `registries` is extended. In a Renovate configuration
    /// (`renovate.json`, `renovate.json5`, `.renovaterc`, `.renovaterc.json`/`.json5`),
    /// `"ignoreScripts": false` at the top level or in a `packageRules` entry, at that key.
    /// (`postUpgradeTasks` is a deliberate command hook and is not this rule's concern.)
    ///
    /// ## Why is this bad?
    /// Some ecosystems run code from the manifest while resolving updates (`setup.py`, Gradle
    /// and Bundler files). With this setting, a dependency or a change to the manifest runs code
    /// inside the update job, next to the credentials of the private registries it uses.
    ///
    /// ## Example
    /// ```yaml
    /// version: 2
    /// updates:
    ///   - package-ecosystem: pip
    ///     directory: /
    ///     schedule:
    ///       interval: weekly
    ///     insecure-external-code-execution: allow
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// version: 2
    /// updates:
    ///   - package-ecosystem: pip
    ///     directory: /
    ///     schedule:
    ///       interval: weekly
    ///     cooldown:
    ///       default-days: 7
    /// ```
    pub static DEPENDENCY_BOT_CODE_EXECUTION = {
        id: "dependency-bot-code-execution",
        summary: "dependency bot allowed to run manifest code",
        level: Error,
        kinds: [DependencyBot],
        tags: ["security", "supply-chain", "external/cwe/cwe-829"],
        security_severity: Some("7.5"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::DependencyBot(root) = doc else {
        return;
    };
    let mut reports = Vec::new();
    if super::is_renovate(cx.path) {
        let places = std::iter::once(root).chain(super::package_rules(root));
        for (i, place) in places.enumerate() {
            if let Some(entry) = place.entry("ignoreScripts")
                && entry.value.as_bool() == Some(false)
            {
                let whose = if i == 0 {
                    "every dependency"
                } else {
                    "the dependencies this `packageRules` entry matches"
                };
                reports.push((
                    entry.key.span.to(entry.value.span),
                    format!("Renovate runs the install scripts of {whose} while it updates them (`ignoreScripts: false`)"),
                ));
            }
        }
        for (span, message) in reports {
            cx.report(span, message)
                .help("remove `ignoreScripts: false`: Renovate then updates lock files without running what the packages ship");
        }
        return;
    }
    for item in dependabot_updates(root) {
        if let Some(entry) = item.entry("insecure-external-code-execution")
            && entry
                .value
                .as_str()
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("allow"))
        {
            let ecosystem = item
                .get("package-ecosystem")
                .and_then(|e| e.as_str())
                .unwrap_or("?");
            reports.push((
                entry.key.span.to(entry.value.span),
                format!(
                    "Dependabot may run code from `{ecosystem}` manifests while it updates them"
                ),
            ));
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("remove `insecure-external-code-execution: allow` (or set `deny`); vendor what the manifest needs to resolve instead");
    }
}
