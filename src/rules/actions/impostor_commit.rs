use super::action_uses;
use crate::online::{Membership, is_commit_sha};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// With `scan --online`: flags `uses: owner/repo@<sha>` whose commit is not in the history
    /// of `owner/repo`. A commit counts as the repository's when it is the head of one of its
    /// first 300 tags or branches, or an ancestor of its default branch, of the tag a trailing
    /// comment names (`@<sha> # v4.2.2`) or of one of its first five release branches
    /// (`releases/…`, `v2`, …). A commit GitHub does not know at all is reported too. One set of
    /// lookups per distinct action and commit; the tag and branch lists once per repository.
    /// When a trailing comment names a tag of the repository, the finding carries a fix that
    /// pins that tag's commit.
    ///
    /// ## Why is this bad?
    /// GitHub stores the commits of a repository and all its forks together, and serves any of
    /// them under the parent's name: `actions/checkout@<sha>` runs a commit pushed to *any*
    /// fork of `actions/checkout`, which anyone can create. A SHA pin is only as good as the
    /// commit it names; an "impostor" commit looks like a pinned official action and is not.
    ///
    /// ## Example
    /// The commit exists only in a fork of `acme/deploy`:
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: acme/deploy@c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff
    /// ```
    ///
    /// ## Use instead
    /// Pin the commit of a release of the repository itself:
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: acme/deploy@0123456789abcdef0123456789abcdef01234567 # v1.4.0
    /// ```
    pub static IMPOSTOR_COMMIT = {
        id: "impostor-commit",
        summary: "pinned commit is not in the action's repository",
        level: Error,
        kinds: [Workflow, Action],
        tags: ["security", "supply-chain", "online"],
        security_severity: Some("8.5"),
        online: true,
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Some(online) = cx.project.online.clone() else {
        return;
    };
    for u in action_uses(doc, cx) {
        let Some(commit) = u.reference.filter(|r| is_commit_sha(r)) else {
            continue;
        };
        let message = match online.membership(&u.repository, commit, u.comment_version) {
            Some(Membership::Unreachable) => format!(
                "`{}@{commit}` is not a commit of {}: no branch or tag of it contains the commit, so it can come from any fork",
                u.target, u.repository
            ),
            Some(Membership::Missing) => format!(
                "`{}@{commit}`: GitHub knows no such commit in {} or its forks",
                u.target, u.repository
            ),
            Some(Membership::Reachable) | None => continue,
        };
        // The comment names a release the repository has: its commit is what was meant.
        let fix = u.comment_version.and_then(|version| {
            let facts = online.repository(&u.repository)?;
            let (tag, commit) = facts.tags.iter().find(|(name, _)| name == version)?;
            Some((
                format!("Pin `{}` to {commit}, the commit of {tag}", u.target),
                u.pin_edits(commit, tag),
            ))
        });
        let draft = cx.report(u.ref_span, message).help(format!(
            "pin the commit of one of the repository's own releases: `{}@<40-hex-sha> # vX.Y.Z`, and find out who changed the pin",
            u.target
        ));
        if let Some((description, edits)) = fix {
            draft.fix(description, edits);
        }
    }
}
