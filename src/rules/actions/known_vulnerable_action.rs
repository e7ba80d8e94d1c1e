use super::{ActionUse, action_uses};
use crate::finding::Level;
use crate::online::{Advisory, Online, in_range, is_commit_sha, version, version_of_commit};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// With `scan --online`: flags `uses: owner/repo@ref` whose version is in the affected range
    /// of a reviewed GitHub security advisory for that action (GitHub's advisory database,
    /// ecosystem `actions`). The version is the ref when it is a full version (`v45.0.7`);
    /// otherwise the most precise version tag on the commit the ref or SHA names (`v4` →
    /// `v4.2.2`). A ref with no version tag on its commit is not judged.
    ///
    /// The level follows the advisory: `error` for critical and high, `warning` for moderate,
    /// `note` for low. One advisory lookup per repository, one ref lookup per action and ref.
    /// When the repository has a tag for the first patched version, the finding carries a fix
    /// that pins its commit (and updates or adds the version comment).
    ///
    /// ## Why is this bad?
    /// A published advisory means the flaw is public, and so is how to exploit it: the
    /// `tj-actions/changed-files` compromise (GHSA-mrrh-fwg8-r2c3) printed secrets to
    /// public logs of every workflow still using an affected version.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: tj-actions/changed-files@v45.0.7
    /// ```
    ///
    /// ## Use instead
    /// Upgrade to the first patched version or later, and pin its commit:
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: tj-actions/changed-files@0123456789abcdef0123456789abcdef01234567 # v46.0.1
    /// ```
    pub static KNOWN_VULNERABLE_ACTION = {
        id: "known-vulnerable-action",
        summary: "action version has a published security advisory",
        level: Error,
        kinds: [Workflow, Action],
        tags: ["security", "supply-chain", "online"],
        security_severity: Some("8.0"),
        online: true,
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Some(online) = cx.project.online.clone() else {
        return;
    };
    for u in action_uses(doc, cx) {
        let Some(reference) = u.reference else {
            continue;
        };
        let Some(advisories) = online.advisories(&u.repository) else {
            continue;
        };
        let relevant: Vec<_> = advisories
            .iter()
            .filter(|a| {
                a.package.eq_ignore_ascii_case(&u.repository)
                    || a.package.eq_ignore_ascii_case(u.target)
            })
            .collect();
        if relevant.is_empty() {
            continue;
        }
        let Some((label, numbers)) = version_in_use(&online, &u, reference) else {
            continue;
        };
        let mut affecting: Vec<&Advisory> = relevant
            .into_iter()
            .filter(|a| in_range(&numbers, &a.vulnerable_range))
            .collect();
        if affecting.is_empty() {
            continue;
        }
        // One finding per `uses:`: the most severe advisory first, the others named after it.
        affecting.sort_by_key(|a| std::cmp::Reverse(severity_rank(&a.severity)));
        let worst = affecting[0];
        let shown = if label == reference {
            String::new()
        } else {
            format!(" ({label})")
        };
        let summary = worst
            .summary
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(160)
            .collect::<String>()
            .trim_end_matches('.')
            .to_string();
        let others = match &affecting[1..] {
            [] => String::new(),
            rest => format!(
                "; also {}",
                rest.iter()
                    .map(|a| format!("{} ({})", a.id, a.severity))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let level = match severity_rank(&worst.severity) {
            0 => Level::Note,
            1 => Level::Warning,
            _ => Level::Error,
        };
        // Every advisory must be fixed: the highest first-patched version of them all.
        let fixed = affecting
            .iter()
            .map(|a| {
                a.first_patched
                    .as_deref()
                    .and_then(|f| Some((version(f)?, f)))
            })
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().max_by(|a, b| a.0.cmp(&b.0)).map(|(_, f)| f));
        let help = match fixed {
            Some(fixed) => format!(
                "upgrade to {fixed} or later and pin its commit: `{}@<40-hex-sha> # {fixed}`",
                u.target
            ),
            None => "no patched version is published for every advisory: replace the action, or remove it"
                .to_string(),
        };
        // The first patched release's tag, when the repository has one: pin its commit.
        let fix = fixed.and_then(|fixed| {
            let wanted = version(fixed)?;
            let facts = online.repository(&u.repository)?;
            let (tag, commit) = facts
                .tags
                .iter()
                .find(|(name, _)| version(name).is_some_and(|v| compare_eq(&v, &wanted)))?;
            Some((
                format!("Pin `{}` to {commit}, the commit of {tag}", u.target),
                u.pin_edits(commit, tag),
            ))
        });
        let draft = cx
            .report(
                u.ref_span,
                format!(
                    "`{}@{reference}`{shown} is affected by {} ({} severity, versions {}): {summary}{others}",
                    u.target, worst.id, worst.severity, worst.vulnerable_range
                ),
            )
            .level(level)
            .help(help);
        if let Some((description, edits)) = fix {
            draft.fix(description, edits);
        }
    }
}

/// `4.2` and `4.2.0` name the same version.
fn compare_eq(a: &[u64], b: &[u64]) -> bool {
    (0..a.len().max(b.len())).all(|i| a.get(i).unwrap_or(&0) == b.get(i).unwrap_or(&0))
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "low" => 0,
        "moderate" | "medium" => 1,
        "high" => 2,
        _ => 3,
    }
}

/// The version a `uses:` runs: the ref itself when it is a full version, otherwise the most
/// precise version tag on its commit.
fn version_in_use(online: &Online, u: &ActionUse, reference: &str) -> Option<(String, Vec<u64>)> {
    if let Some(numbers) = version(reference).filter(|v| v.len() >= 3) {
        return Some((reference.to_string(), numbers));
    }
    let commit = if is_commit_sha(reference) {
        reference.to_ascii_lowercase()
    } else {
        online.reference(&u.repository, reference)?.commit?
    };
    version_of_commit(&*online.repository(&u.repository)?, &commit)
}
