use crate::rules::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports an ignore comment, `# portcullis: ignore[rule-id, …] reason`, that names a rule
    /// Portcullis does not know, or that suppresses nothing (the finding it was written for is
    /// gone). One finding per such id, pointing at the id in the comment.
    ///
    /// An ignore comment on a line of its own applies to the next line (in a Dockerfile, to
    /// every line of the next instruction); a trailing comment in a YAML file applies to its
    /// own line. Ids of rules disabled in the configuration are not reported.
    ///
    /// ## Why is this bad?
    /// A stale ignore silently hides the next real problem on that line, and a misspelt rule id
    /// suppresses nothing while looking as if it did.
    ///
    /// ## Example
    /// ```dockerfile
    /// # portcullis: ignore[latset-tag] base image tracked by renovate
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// ```
    ///
    /// ## Use instead
    /// Remove the comment, or fix the id.
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// ```
    pub static UNUSED_IGNORE = {
        id: "unused-ignore",
        summary: "ignore comment suppresses nothing or names an unknown rule",
        level: Note,
        kinds: [Dockerfile, Compose, Workflow, Action, Env, Dockerignore, DependencyBot],
        tags: ["maintainability"],
        security_severity: None,
        check: None,
    }
}
