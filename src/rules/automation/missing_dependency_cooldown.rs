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
    /// of `exclude`.
    ///
    /// In a Renovate configuration, the effective minimum release age is the top-level
    /// `minimumReleaseAge` (or the legacy `stabilityDays`), else the largest one among
    /// `packageRules`, else 3 days when `extends` holds `config:best-practices` or
    /// `security:minimumReleaseAgeNpm`/`…Crates`; durations (`12 hours`, `3 days`, `1 week`,
    /// `2d`) are compared in hours. It is reported when below `min-days`, at the
    /// `minimumReleaseAge` key, else at `extends`, else at the first key. When `extends` names a
    /// preset Renovate does not ship (`github>…`, `local>…`, `@scope/…`, an npm package), which
    /// may set the age, the file is listed as not checked instead.
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
    if super::is_renovate(cx.path) {
        renovate(root, min_days, cx);
        return;
    }
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

/// Namespaces of presets Renovate ships: a preset from elsewhere may set anything.
const BUILT_IN_PRESETS: &[&str] = &[
    "config",
    "default",
    "docker",
    "group",
    "helpers",
    "monorepo",
    "npm",
    "packages",
    "preview",
    "customManagers",
    "regexManagers",
    "replacements",
    "schedule",
    "security",
    "workarounds",
    "abandonments",
    "mergeConfidence",
    "compatibility",
];

/// Built-in presets that set `minimumReleaseAge` to 3 days.
const AGE_PRESETS: &[&str] = &[
    "config:best-practices",
    "security:minimumReleaseAgeNpm",
    "security:minimumReleaseAgeCrates",
];

/// Renovate: the effective minimum release age (top level, else the largest in
/// `packageRules`, else a built-in preset's), compared in hours with `min_days`.
fn renovate(root: &Node, min_days: u64, cx: &mut Context) {
    let extends_entry = root.entry("extends");
    let presets: Vec<&str> = extends_entry
        .and_then(|e| e.value.as_seq())
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .chain(extends_entry.and_then(|e| e.value.as_str()))
        .collect();
    let foreign = presets.iter().find(|p| {
        let p = p.trim();
        if p.contains('>') || p.starts_with('@') {
            return true;
        }
        match p.split_once(':') {
            // `:name` is the `default` namespace.
            Some((namespace, _)) => !namespace.is_empty() && !BUILT_IN_PRESETS.contains(&namespace),
            // A bare name is an npm package (`renovate-config-<name>`).
            None => true,
        }
    });
    let age = |node: &Node| node.as_str().and_then(hours);
    let top = root
        .entry("minimumReleaseAge")
        .map(|e| (e, age(&e.value)))
        .or_else(|| {
            root.entry("stabilityDays").map(|e| {
                let days = e.value.as_str().and_then(|d| d.trim().parse::<u64>().ok());
                (e, days.map(|d| d * 24))
            })
        });
    let from_rules = super::package_rules(root)
        .iter()
        .filter_map(|rule| rule.entry("minimumReleaseAge"))
        .filter_map(|e| age(&e.value).map(|h| (e, h)))
        .max_by_key(|(_, h)| *h);
    let from_preset = presets
        .iter()
        .any(|p| AGE_PRESETS.contains(&p.trim()))
        .then_some(72);
    let wanted = min_days * 24;
    let (hours_set, at) = match (top, from_rules, from_preset) {
        (Some((entry, Some(h))), _, _) => (h, entry.key.span.to(entry.value.span)),
        (Some((entry, None)), _, _) => {
            cx.not_checked(
                entry.value.span,
                "a `minimumReleaseAge` that is not a duration Portcullis reads",
            );
            return;
        }
        (None, Some((entry, h)), _) => (h, entry.key.span.to(entry.value.span)),
        (None, None, Some(h)) => (h, extends_entry.map_or(root.span, |e| e.key.span)),
        (None, None, None) => {
            if let Some(preset) = foreign {
                cx.not_checked(
                    extends_entry.map_or(root.span, |e| e.key.span),
                    format!("`extends` names `{preset}`, a preset Renovate does not ship, which may set `minimumReleaseAge`"),
                );
                return;
            }
            let at = extends_entry
                .map(|e| e.key.span)
                .or_else(|| root.as_map().and_then(|m| m.first()).map(|e| e.key.span))
                .unwrap_or(root.span);
            cx.report(at, "Renovate proposes releases the day they appear: no `minimumReleaseAge`")
                .help(format!("add `\"minimumReleaseAge\": \"{min_days} days\"` (or extend `config:best-practices`)"));
            return;
        }
    };
    if hours_set < wanted {
        if top.is_none() && foreign.is_some() {
            // A foreign preset may set a longer top-level age than the rules or presets seen.
            return;
        }
        cx.report(
            at,
            format!(
                "Renovate's minimum release age is {} — below the {min_days}-day cooldown",
                shown(hours_set)
            ),
        )
        .help(format!(
            "set `\"minimumReleaseAge\": \"{min_days} days\"` (or longer)"
        ));
    }
}

/// A Renovate duration (`3 days`, `12 hours`, `1 week`, `90 minutes`, `3d`) in whole hours.
fn hours(text: &str) -> Option<u64> {
    let text = text.trim().to_ascii_lowercase();
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().ok()?;
    let unit = text[digits.len()..].trim();
    let per = match unit {
        "m" | "min" | "mins" | "minute" | "minutes" => return Some(n / 60),
        "h" | "hr" | "hrs" | "hour" | "hours" => 1,
        "d" | "day" | "days" => 24,
        "w" | "week" | "weeks" => 24 * 7,
        _ => return None,
    };
    Some(n * per)
}

fn shown(hours: u64) -> String {
    if hours.is_multiple_of(24) {
        let days = hours / 24;
        format!("{days} day{}", if days == 1 { "" } else { "s" })
    } else {
        format!("{hours} hour{}", if hours == 1 { "" } else { "s" })
    }
}
