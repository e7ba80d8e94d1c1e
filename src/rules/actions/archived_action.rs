use super::action_uses;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// With `scan --online`: flags every `uses:` of an action or reusable workflow whose
    /// repository GitHub reports as archived, at the `owner/repo` part of the value (steps and
    /// reusable-workflow jobs, in workflows and composite actions). One request per repository
    /// and run, shared with the other online rules. A repository that is missing, renamed or
    /// private (404, 301) is not this rule's concern; a lookup that fails is listed as not
    /// checked. Option `allow`: `owner/repo` patterns accepted although archived.
    ///
    /// ## Why is this bad?
    /// An archived repository is read-only: no fix will come for a vulnerability found in it,
    /// nor for a runtime GitHub retires. What it runs is frozen at its last release.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// jobs:
    ///   release:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/create-release@0cb9c9b65d5d1901c1f53e5e66eaf4afd303e70e # v1.1.4
    /// ```
    ///
    /// ## Use instead
    /// A maintained action that does the same:
    /// ```yaml
    /// on: push
    /// jobs:
    ///   release:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: softprops/action-gh-release@72f2c25fcb47643c292f7107632f7a47c1df5cd8 # v2.3.2
    /// ```
    pub static ARCHIVED_ACTION = {
        id: "archived-action",
        summary: "action's repository is archived",
        level: Warning,
        kinds: [Workflow, Action],
        tags: ["security", "supply-chain", "online", "external/cwe/cwe-1104"],
        security_severity: Some("5.0"),
        options: [("allow", "`owner/repo` patterns accepted although archived")],
        online: true,
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Some(online) = cx.project.online.clone() else {
        return;
    };
    let allow = cx.option("allow").to_vec();
    let mut reports = Vec::new();
    for u in action_uses(doc, cx) {
        let reference = u.reference.unwrap_or("");
        if allow
            .iter()
            .any(|p| super::forbidden_action::matches(p, u.target, reference))
        {
            continue;
        }
        let Some(info) = online.repository_info(&u.repository) else {
            continue;
        };
        if !info.archived {
            continue;
        }
        let text = u.value.as_str().unwrap_or("");
        let lead = text.len() - text.trim_start().len();
        let span = u
            .value
            .subspan(&cx.file.text, lead..lead + u.repository.len());
        reports.push((
            span,
            format!(
                "`{}` is archived on GitHub: read-only, it will get no more fixes",
                u.repository
            ),
        ));
    }
    for (span, message) in reports {
        cx.report(span, message).help(
            "move to a maintained action that does the same (or fork it and maintain the fork); add it to `rules.archived-action.allow` to accept it as it is",
        );
    }
}
