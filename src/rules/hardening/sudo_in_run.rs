use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `sudo` (or `doas`) in command position in a `RUN` instruction: at the start of a
    /// command, after `&&`, `;` or `|`, inside `$(…)`, behind wrappers such as `env` or `xargs`,
    /// and inside `sh -c '…'` strings. `apt-get install sudo` names a package, not a command, and
    /// is not reported.
    ///
    /// ## Why is this bad?
    /// `RUN` already runs as the current `USER`; `sudo` means the image ships a sudo binary and a
    /// sudoers entry, so any process in the container can become root. It also behaves
    /// unpredictably without a TTY (hadolint DL3004, CIS 4.x).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12-slim@sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3
    /// RUN sudo apt-get update
    /// ```
    ///
    /// ## Use instead
    /// Run the step as root, then drop privileges:
    /// ```dockerfile
    /// FROM debian:12-slim@sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3
    /// USER root
    /// RUN apt-get update
    /// USER 10001
    /// ```
    pub static SUDO_IN_RUN = {
        id: "sudo-in-run",
        summary: "`sudo` used in `RUN`",
        level: Warning,
        kinds: [Dockerfile],
        tags: ["security", "hardening"],
        security_severity: Some("4.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Dockerfile(file) = doc else {
        return;
    };
    for (_, _, cmd) in file.run_commands() {
        if let Some(program @ ("sudo" | "doas")) = cmd.program() {
            cx.report(
                cmd.words[0].span,
                format!("`{program}` in `RUN`: build steps already run as the current `USER`, and a {program} left in the image lets processes become root"),
            )
            .help("remove it; run root-only steps after `USER root` and switch back to a non-root `USER` afterwards");
        }
    }
}
