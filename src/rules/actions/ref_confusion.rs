use super::action_uses;
use crate::online::is_commit_sha;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// With `scan --online`: flags `uses: owner/repo@ref` whose `ref` is the name of a branch
    /// *and* of a tag in the action's repository. Asks GitHub once per distinct action and ref
    /// (`git/ref/heads/<ref>`, `git/ref/tags/<ref>`).
    ///
    /// ## Why is this bad?
    /// A reader (and a reviewer of a version bump) takes `@v1` for the release tag, but a branch
    /// of the same name can hold other code, and anyone allowed to push a branch to the action's
    /// repository can create one. Which of the two a runner fetches is not what the workflow
    /// says. Pinning a commit SHA removes the ambiguity.
    ///
    /// ## Example
    /// `v1` is both a tag and a branch of `acme/deploy`:
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: acme/deploy@v1
    /// ```
    ///
    /// ## Use instead
    /// Pin the commit of the release tag:
    /// ```yaml
    /// on: push
    /// jobs:
    ///   deploy:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: acme/deploy@0123456789abcdef0123456789abcdef01234567 # v1.4.0
    /// ```
    pub static REF_CONFUSION = {
        id: "ref-confusion",
        summary: "action ref names both a branch and a tag",
        level: Warning,
        kinds: [Workflow, Action],
        tags: ["security", "supply-chain", "online"],
        security_severity: Some("5.0"),
        online: true,
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Some(online) = cx.project.online.clone() else {
        return;
    };
    for u in action_uses(doc, cx) {
        let Some(reference) = u.reference.filter(|r| !is_commit_sha(r)) else {
            continue;
        };
        let Some(facts) = online.reference(&u.repository, reference) else {
            continue;
        };
        if facts.is_branch && facts.is_tag {
            cx.report(
                u.ref_span,
                format!(
                    "`{}@{reference}`: `{reference}` is both a branch and a tag of {}, so the code that runs is not the release the workflow names",
                    u.target, u.repository
                ),
            )
            .help(format!(
                "pin the commit of the tag: `{}@<40-hex-sha> # {reference}` (`portcullis fix --pin` resolves tags)",
                u.target
            ));
        }
    }
}
