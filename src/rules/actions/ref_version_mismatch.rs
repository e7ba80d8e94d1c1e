use super::action_uses;
use crate::online::{Membership, is_commit_sha, version, version_of_commit};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// With `scan --online`: flags a `uses:` pinned to a full commit SHA whose trailing version
    /// comment (`# v4.2.2`) names a tag that points at another commit, or a tag that does not
    /// exist. The comment's first word is read after `tag=`, `version=` or `@` (Ratchet's
    /// `ratchet:owner/repo@v4.2.2` too); words without a digit, branch names and pins without
    /// a comment are not checked. The tag is looked up as written, then with or without a
    /// leading `v`; namespaced monorepo tags (`create-github-app-token/v0.2.2`) work as they
    /// are. A partial version (`# v4`, `# v4.2`) is fine when some tag with those numbers
    /// (`v4.x.y`, `v4.2.y`) points at the pinned commit. A pin that `impostor-commit` reports
    /// is left to it. The finding points at the version word, with the SHA as related location;
    /// its fix writes the most precise tag of the pinned commit, when it has one. A lookup that
    /// fails is listed as not checked.
    ///
    /// ## Why is this bad?
    /// Reviewers read the comment, not the SHA. A comment that lies — after a hand edit, a bad
    /// merge, or on purpose — makes an old, vulnerable or foreign commit look like the release
    /// it names, and version-update tools keep the wrong belief going.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v4.2.2
    /// ```
    ///
    /// ## Use instead
    /// The comment names the tag of the pinned commit:
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    /// ```
    pub static REF_VERSION_MISMATCH = {
        id: "ref-version-mismatch",
        summary: "version comment does not match the pinned commit",
        level: Warning,
        kinds: [Workflow, Action],
        tags: ["security", "supply-chain", "online"],
        security_severity: Some("4.0"),
        online: true,
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Some(online) = cx.project.online.clone() else {
        return;
    };
    let mut reports = Vec::new();
    let mut unchecked = Vec::new();
    for u in action_uses(doc, cx) {
        let (Some(commit), Some(written), Some(word_span)) = (
            u.reference.filter(|r| is_commit_sha(r)),
            u.comment_version,
            u.comment_span,
        ) else {
            continue;
        };
        let Some(word) = version_word(written) else {
            continue;
        };
        // The version itself, past `tag=` or a Ratchet prefix.
        let word_span =
            crate::source::Span::new(word_span.end as usize - word.len(), word_span.end as usize);
        // A pin impostor-commit reports is left to it.
        if matches!(
            online.membership(&u.repository, commit, Some(word)),
            Some(Membership::Unreachable | Membership::Missing)
        ) {
            continue;
        }
        let Some(facts) = online.repository(&u.repository) else {
            unchecked.push((
                word_span,
                format!(
                    "the version comment of `{}` (GitHub could not be asked)",
                    u.target
                ),
            ));
            continue;
        };
        let mut candidates = vec![word.to_string()];
        match word.strip_prefix('v') {
            Some(bare) => candidates.push(bare.to_string()),
            None => candidates.push(format!("v{word}")),
        }
        // The commit the tag names: from the tag list, else asked directly (peeled).
        let mut named: Option<(String, String)> = None;
        for candidate in &candidates {
            if let Some((name, sha)) = facts.tags.iter().find(|(name, _)| name == candidate) {
                named = Some((name.clone(), sha.clone()));
                break;
            }
        }
        if named.is_none() {
            for candidate in &candidates {
                match online.reference(&u.repository, candidate) {
                    Some(r) if r.is_tag => {
                        if let Some(sha) = r.commit {
                            named = Some((candidate.clone(), sha));
                            break;
                        }
                    }
                    Some(_) => {}
                    None => {
                        unchecked.push((
                            word_span,
                            format!(
                                "the version comment of `{}` (GitHub could not be asked)",
                                u.target
                            ),
                        ));
                        named = None;
                        break;
                    }
                }
            }
        }
        if named
            .as_ref()
            .is_some_and(|(_, sha)| sha.eq_ignore_ascii_case(commit))
        {
            continue;
        }
        // A partial version is satisfied by any tag with those numbers that names the pin.
        let (prefix, numbers) = split_version(word);
        if let Some(numbers) = numbers.filter(|n| n.len() < 3) {
            let satisfied = facts.tags.iter().any(|(name, sha)| {
                let (tag_prefix, tag_numbers) = split_version(name);
                sha.eq_ignore_ascii_case(commit)
                    && tag_prefix == prefix
                    && tag_numbers.is_some_and(|t| t.starts_with(&numbers))
            });
            if satisfied {
                continue;
            }
        }
        let actual = version_of_commit(&facts, commit).map(|(tag, _)| tag);
        let short = &commit[..7];
        let message = match (&named, &actual) {
            (Some((tag, sha)), Some(actual)) => format!(
                "`# {word}` does not match the pin: {tag} of {} is {}, and {short}… is {actual}",
                u.repository,
                &sha[..sha.len().min(7)]
            ),
            (Some((tag, sha)), None) => format!(
                "`# {word}` does not match the pin: {tag} of {} is {}, and no tag names {short}…",
                u.repository,
                &sha[..sha.len().min(7)]
            ),
            (None, _) => format!("`# {word}`: {} has no such tag", u.repository),
        };
        reports.push((word_span, u.ref_span, message, actual));
    }
    for (span, what) in unchecked {
        cx.not_checked(span, what);
    }
    for (span, sha_span, message, actual) in reports {
        let draft = cx.report(span, message);
        draft
            .help("make the comment name the tag of the pinned commit, or pin the commit of the release the comment names")
            .related(sha_span, "the pinned commit");
        if let Some(tag) = actual {
            draft.fix(format!("Name {tag} in the comment"), vec![(span, tag)]);
        }
    }
}

/// The version a comment word names, after `tag=`, `version=`, `@` or Ratchet's
/// `ratchet:owner/repo@`; `None` without a digit.
fn version_word(word: &str) -> Option<&str> {
    let word = word.trim();
    let word = word
        .strip_prefix("tag=")
        .or_else(|| word.strip_prefix("version="))
        .unwrap_or(word);
    let word = match word.strip_prefix("ratchet:") {
        Some(rest) => rest.rsplit_once('@').map_or(rest, |(_, v)| v),
        None => word.strip_prefix('@').unwrap_or(word),
    };
    word.chars().any(|c| c.is_ascii_digit()).then_some(word)
}

/// A tag's namespace (`create-github-app-token/` of a monorepo tag, else empty) and numbers.
fn split_version(tag: &str) -> (&str, Option<Vec<u64>>) {
    let (prefix, last) = match tag.rfind('/') {
        Some(at) => (&tag[..=at], &tag[at + 1..]),
        None => ("", tag),
    };
    (prefix, version(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_words() {
        assert_eq!(version_word("v4.2.2"), Some("v4.2.2"));
        assert_eq!(version_word("tag=v4"), Some("v4"));
        assert_eq!(
            version_word("ratchet:actions/checkout@v4.2.2"),
            Some("v4.2.2")
        );
        assert_eq!(version_word("@2.7.0"), Some("2.7.0"));
        assert_eq!(version_word("main"), None);
        assert_eq!(
            split_version("create-github-app-token/v0.2.2").0,
            "create-github-app-token/"
        );
    }
}
