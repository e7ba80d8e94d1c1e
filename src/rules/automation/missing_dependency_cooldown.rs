use super::dependabot_updates;
use crate::parse::Document;
use crate::parse::yaml::Node;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags a Dependabot `updates[]` item that proposes new releases without a cooldown of at
    /// least `min-days` (default 3): no `cooldown`, or an effective cooldown below it. The
    /// effective cooldown is the smallest of `default-days` (0 when absent) and each of
    /// `semver-major-days`, `semver-minor-days` and `semver-patch-days` that is set; a
    /// `cooldown.exclude` holding `"*"` makes it 0. Items with `open-pull-requests-limit: 0`
    /// (security updates only, which ignore cooldowns) are skipped. Each item is judged on its
    /// own. The finding points at the item's first line when it has no `cooldown`, at
    /// `cooldown:` when `default-days` is missing, at a value that is too small, or at the `"*"`
    /// of `exclude`. (Renovate configuration is not read yet.)
    ///
    /// ## Why is this bad?
    /// Malicious releases of popular packages are usually found and pulled within days. A bot
    /// that proposes every release the hour it appears brings them into the repository while
    /// they are live; a short wait lets the ecosystem catch them first.
    ///
    /// ## Example
    /// ```yaml
    /// version: 2
    /// updates:
    ///   - package-ecosystem: npm
    ///     directory: /
    ///     schedule:
    ///       interval: daily
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// version: 2
    /// updates:
    ///   - package-ecosystem: npm
    ///     directory: /
    ///     schedule:
    ///       interval: daily
    ///     cooldown:
    ///       default-days: 7
    /// ```
    pub static MISSING_DEPENDENCY_COOLDOWN = {
        id: "missing-dependency-cooldown",
        summary: "dependency bot proposes releases without a cooldown",
        level: Note,
        kinds: [DependencyBot],
        tags: ["security", "supply-chain", "external/cwe/cwe-1357"],
        security_severity: Some("3.0"),
        options: [("min-days", "the shortest cooldown accepted, in days (1 to 90; default 3)")],
        check: Some(check),
    }
}

const DEFAULT_MIN_DAYS: u64 = 3;

fn check(doc: &Document, cx: &mut Context) {
    let Document::DependencyBot(root) = doc else {
        return;
    };
    let min_days = cx
        .option("min-days")
        .first()
        .and_then(|d| d.trim().parse::<u64>().ok())
        .filter(|d| (1..=90).contains(d))
        .unwrap_or(DEFAULT_MIN_DAYS);
    let mut reports: Vec<(Span, String)> = Vec::new();
    for item in dependabot_updates(root) {
        let number = |node: &Node| node.as_str().and_then(|t| t.trim().parse::<u64>().ok());
        if item
            .get("open-pull-requests-limit")
            .and_then(number)
            .is_some_and(|n| n == 0)
        {
            continue;
        }
        let ecosystem = item
            .get("package-ecosystem")
            .and_then(Node::as_str)
            .unwrap_or("?")
            .to_string();
        let Some(cooldown) = item.entry("cooldown") else {
            // The item's first line.
            let first = item
                .as_map()
                .and_then(|e| e.first())
                .map_or(item.span, |e| e.key.span.to(e.value.span));
            reports.push((
                first,
                format!(
                    "Dependabot proposes `{ecosystem}` releases the day they appear: no `cooldown`"
                ),
            ));
            continue;
        };
        if let Some(star) = cooldown
            .value
            .get("exclude")
            .and_then(Node::as_seq)
            .and_then(|items| items.iter().find(|i| i.as_str() == Some("*")))
        {
            reports.push((
                star.span,
                format!(
                    "`exclude: [\"*\"]` takes every `{ecosystem}` dependency out of the cooldown"
                ),
            ));
            continue;
        }
        let keys = [
            "semver-major-days",
            "semver-minor-days",
            "semver-patch-days",
        ];
        let default = cooldown.value.entry("default-days");
        // The shortest setting, and where it is written.
        let mut shortest: Option<(u64, Span, &str)> = default.and_then(|e| {
            number(&e.value).map(|d| (d, e.key.span.to(e.value.span), "default-days"))
        });
        for key in keys {
            if let Some(entry) = cooldown.value.entry(key)
                && let Some(days) = number(&entry.value)
                && shortest.is_none_or(|(d, ..)| days < d)
            {
                shortest = Some((days, entry.key.span.to(entry.value.span), key));
            }
        }
        match (default, shortest) {
            (None, _) => reports.push((
                cooldown.key.span,
                format!("the `{ecosystem}` cooldown has no `default-days`: releases not covered by a semver setting wait 0 days"),
            )),
            (Some(_), Some((days, span, key))) if days < min_days => reports.push((
                span,
                format!("`{key}: {days}` is below the {min_days}-day cooldown for `{ecosystem}` updates"),
            )),
            _ => {}
        }
    }
    for (span, message) in reports {
        cx.report(span, message).help(format!(
            "add `cooldown: {{default-days: {min_days}}}` (or longer) to the item"
        ));
    }
}
