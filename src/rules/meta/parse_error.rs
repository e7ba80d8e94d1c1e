use crate::rules::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a file Portcullis found but could not read or parse: invalid YAML, a Dockerfile
    /// instruction BuildKit does not know, an unterminated heredoc, a YAML alias bomb or nesting
    /// deeper than 256 levels, a file that is not UTF-8 or is binary, a file larger than the
    /// size limit (10 MiB unless `max-file-size` is configured), or one that cannot be read.
    /// The message gives the reason and the finding the position the parser reported.
    ///
    /// The scan goes on: other files are checked as usual, and text-level rules
    /// (`hardcoded-secret`) still look at a file that did not parse. The same message is also a
    /// SARIF tool notification.
    ///
    /// ## Why is this bad?
    /// A file that cannot be parsed cannot be checked: a security gate that skips it silently
    /// gives a false sense of safety. Usually the build or workflow fails on it too.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     image: "nginx:1.27
    /// ```
    ///
    /// ## Use instead
    /// Fix the syntax the message points at:
    /// ```yaml
    /// services:
    ///   web:
    ///     image: "nginx:1.27"
    /// ```
    pub static PARSE_ERROR = {
        id: "parse-error",
        summary: "file could not be parsed, so it was not checked",
        level: Warning,
        kinds: [Dockerfile, Compose, Workflow, Action, Env, Dockerignore],
        tags: ["correctness"],
        security_severity: None,
        check: None,
    }
}
