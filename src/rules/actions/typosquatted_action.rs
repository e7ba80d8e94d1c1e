use std::sync::LazyLock;

use super::action_uses;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a remote `uses:` (step or reusable workflow) whose owner looks like the owner of a
    /// popular action with the same repository name — an action published to be mistaken for
    /// it. The popular actions are a reviewed list of about 240 (`actions/*`, `github/*` and the
    /// most used third-party actions), plus the `protect` option. A `uses:` is reported when it
    /// is neither on the list nor in `allow`, some entry `po/pr` has the same repository name
    /// and another owner, and the owner:
    /// - is one edit from `po` — an insertion, deletion, substitution or swap of neighbours
    ///   (`actoins/checkout`), when `po` has at least 4 characters;
    /// - equals `po` once look-alike characters are folded (`0`→`o`, `1`→`l`, `rn`→`m`,
    ///   `vv`→`w`, `_`→`-`: `acti0ns/setup-node`);
    /// - is `po` decorated with `official`, `org`, `hq`, `team`, `inc`, `dev`, `ci`, `app`,
    ///   `bot`, `gh`, `github`, `actions` or `action`, joined by `-`, `_` or nothing
    ///   (`docker-official/login-action`).
    ///
    /// Near misses under the same owner (`actions/chekout`: GitHub fails the run, and the owner
    /// controls the name), organisations whose repositories are not popular entries
    /// (`actions-rs/toolchain`) and case-only differences are not reported. The finding points at
    /// the `owner/repo` part of the value.
    ///
    /// ## Why is this bad?
    /// Anyone can register a look-alike organisation and publish an action under a popular
    /// name. A workflow that uses it runs the impostor's code with the job's token and secrets;
    /// a single typo in a reviewed pull request is enough.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// permissions: {}
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actoins/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: push
    /// permissions: {}
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    /// ```
    pub static TYPOSQUATTED_ACTION = {
        id: "typosquatted-action",
        summary: "action under a look-alike owner of a popular action",
        level: Error,
        kinds: [Workflow, Action],
        tags: ["security", "supply-chain", "external/cwe/cwe-829"],
        security_severity: Some("8.0"),
        options: [
            ("protect", "extra `owner/repo` entries to guard, such as the organisation's own actions"),
            ("allow", "look-alike `owner/repo` pairs known to be legitimate"),
        ],
        check: Some(check),
    }
}

/// The reviewed list, lowercase `(owner, repo)`.
static POPULAR: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    let mut list: Vec<(String, String)> = include_str!("../../../data/popular-actions.txt")
        .lines()
        .filter_map(split)
        .collect();
    list.sort();
    list.dedup();
    list
});

fn split(line: &str) -> Option<(String, String)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (owner, repo) = line
        .to_ascii_lowercase()
        .split_once('/')
        .map(|(o, r)| (o.to_string(), r.to_string()))?;
    Some((owner, repo))
}

const AFFIXES: &[&str] = &[
    "official", "org", "hq", "team", "inc", "dev", "ci", "app", "bot", "gh", "github", "actions",
    "action",
];

fn check(doc: &Document, cx: &mut Context) {
    let protect: Vec<(String, String)> = cx
        .option("protect")
        .iter()
        .filter_map(|p| split(p))
        .collect();
    let allow: Vec<(String, String)> = cx.option("allow").iter().filter_map(|p| split(p)).collect();
    let mut reports = Vec::new();
    for u in action_uses(doc, cx) {
        let Some((owner, repo)) = split(&u.repository) else {
            continue;
        };
        let known = |(o, r): &(String, String)| *o == owner && *r == repo;
        if POPULAR.iter().any(known) || protect.iter().any(known) || allow.iter().any(known) {
            continue;
        }
        let Some((popular, how)) = POPULAR
            .iter()
            .chain(&protect)
            .filter(|(po, pr)| *pr == repo && *po != owner)
            .find_map(|(po, pr)| resemblance(&owner, po).map(|how| (format!("{po}/{pr}"), how)))
        else {
            continue;
        };
        // The `owner/repo` part of the value, where it is written as read.
        let span = u.value.subspan(
            &cx.file.text,
            offset(u.value.as_str().unwrap_or(""), &u.repository),
        );
        reports.push((
            span,
            format!(
                "`{}` looks like the popular action `{popular}` ({how}): it may be an impostor",
                u.repository
            ),
        ));
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("use the action of the real owner; if this one is legitimate, add it to `rules.typosquatted-action.allow`");
    }
}

/// The byte range of `repository` in the `uses:` value.
fn offset(value: &str, repository: &str) -> std::ops::Range<usize> {
    let lead = value.len() - value.trim_start().len();
    let at = value[lead..]
        .to_ascii_lowercase()
        .find(&repository.to_ascii_lowercase())
        .map_or(lead, |p| lead + p);
    at..at + repository.len()
}

/// How `owner` resembles the popular owner `po`, if it does.
fn resemblance(owner: &str, po: &str) -> Option<&'static str> {
    if fold(owner) == fold(po) {
        return Some("a homoglyph of the owner");
    }
    if po.chars().count() >= 4 && one_edit(owner, po) {
        return Some("the owner differs by one letter");
    }
    let decorated = AFFIXES.iter().any(|affix| {
        ["-", "_", ""]
            .iter()
            .any(|sep| owner == format!("{po}{sep}{affix}") || owner == format!("{affix}{sep}{po}"))
    });
    decorated.then_some("a decorated owner")
}

fn fold(text: &str) -> String {
    text.replace('0', "o")
        .replace('1', "l")
        .replace("rn", "m")
        .replace("vv", "w")
        .replace('_', "-")
}

/// Damerau–Levenshtein distance of exactly one (adjacent transpositions count as one).
fn one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a == b {
        return false;
    }
    match a.len() as isize - b.len() as isize {
        0 => {
            let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            diffs.len() == 1
                || (diffs.len() == 2
                    && diffs[1] == diffs[0] + 1
                    && a[diffs[0]] == b[diffs[1]]
                    && a[diffs[1]] == b[diffs[0]])
        }
        1 | -1 => {
            let (long, short) = if a.len() > b.len() {
                (&a, &b)
            } else {
                (&b, &a)
            };
            let first = (0..short.len())
                .find(|&i| long[i] != short[i])
                .unwrap_or(short.len());
            long[first + 1..] == short[first..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resemblances() {
        assert_eq!(
            resemblance("actoins", "actions"),
            Some("the owner differs by one letter")
        );
        assert_eq!(
            resemblance("acti0ns", "actions"),
            Some("a homoglyph of the owner")
        );
        assert_eq!(
            resemblance("docker-official", "docker"),
            Some("a decorated owner")
        );
        assert_eq!(resemblance("githubhq", "github"), Some("a decorated owner"));
        assert_eq!(
            resemblance("rnicrosoft", "microsoft"),
            Some("a homoglyph of the owner")
        );
        assert_eq!(resemblance("actions-rs", "actions"), None);
        assert_eq!(resemblance("aws", "azure"), None);
        assert!(POPULAR.len() >= 200, "{}", POPULAR.len());
    }
}
