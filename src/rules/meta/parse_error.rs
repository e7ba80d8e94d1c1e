use crate::rules::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a file Portcullis is meant to check but could not check, fully or in part:
    /// - invalid YAML, a Dockerfile instruction BuildKit does not know, an unterminated
    ///   heredoc, a YAML alias bomb (expansion both over a million nodes and far beyond the
    ///   document's size) or nesting deeper than 1,000 levels;
    /// - a compose file or workflow holding bytes that are not UTF-8 (Compose and GitHub refuse
    ///   it): the file is read with U+FFFD in their place and every rule still runs;
    /// - a file larger than the size limit (10 MiB unless `max-file-size` is configured): the
    ///   secret scan still streams over it, the other rules do not run;
    /// - a file that cannot be read, is not a regular file (a FIFO, a device), or is a
    ///   symbolic link that leaves the scan root or points nowhere;
    /// - a rule that failed on the file (an internal error): the message names the rule, and
    ///   the other rules' findings for the file are still reported.
    ///
    /// The message gives the reason and the finding the position the parser reported. The
    /// scan goes on, and text-level rules (`hardcoded-secret`) still look at a file that did
    /// not parse. The same message is also a SARIF tool notification.
    ///
    /// The level is **error**: a gate that cannot check a file must not pass it, so the
    /// default `--fail-on error` fails. Lower it in the configuration (`[rules.parse-error]
    /// level = "warning"`) to let such files through knowingly.
    ///
    /// Not reported: a Dockerfile, `.env` or `.dockerignore` with a few bytes that are not
    /// UTF-8 (in a comment, say) — BuildKit reads bytes, so the file is checked whole and the
    /// run's notes say which line was read with U+FFFD; and a template (a file whose
    /// instructions or keys hold `{{ … }}` or `{% … %}`), which is listed in the run's
    /// notes as not checked while the secret scan still runs over it.
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
        level: Error,
        kinds: [Dockerfile, Compose, Workflow, Action, Env, Dockerignore, DependencyBot],
        tags: ["correctness"],
        security_severity: None,
        check: None,
    }
}
