use crate::parse::Document;
use crate::parse::shell::{Command, Origin, SHELLS, Script};
use crate::rules::{Context, declare_rule, span_to};

/// Programs that run code read from standard input or given as an argument.
const INTERPRETERS: &[&str] = &[
    "python", "python2", "python3", "perl", "ruby", "node", "nodejs", "php", "pwsh", "deno", "bun",
];

declare_rule! {
    /// ## What it does
    /// Flags downloaded code that is run without verification, in a Dockerfile `RUN` or a
    /// workflow or composite-action `run:` step:
    /// - `curl … | sh` and `wget -O- … | bash` (any POSIX shell or interpreter — `python`,
    ///   `perl`, `ruby`, `node`, `php` — later in the pipeline, also behind `sudo` or `env`);
    /// - `sh -c "$(curl …)"`, `eval "$(curl …)"`;
    /// - `bash <(curl …)` and `source <(wget -O- …)`.
    ///
    /// A download written to a file (`curl -o install.sh`) is not reported: that is the first
    /// step of verifying it.
    ///
    /// ## Why is this bad?
    /// The script runs with the build's privileges exactly as the server sends it: a compromised
    /// server or CDN, a hijacked domain or a truncated download runs arbitrary code in your build,
    /// and nothing records what ran. It cannot be reviewed, pinned or reproduced.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12-slim@sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3
    /// RUN curl -fsSL https://get.example.com/install.sh | sh
    /// ```
    ///
    /// ## Use instead
    /// Download to a file, check it against a published checksum, then run it:
    /// ```dockerfile
    /// FROM debian:12-slim@sha256:b1211f6d19afd012477bd34fdcabb6b663d680e0f4b0537da6e6b0fd057a3ec3
    /// RUN curl -fsSLo install.sh https://get.example.com/v1.2.3/install.sh \
    ///  && echo "5d41402abc4b2a76b9719d911017c592ae2d7c0d2ab1ea8c6ea4b1a2f3e4d5c6  install.sh" | sha256sum -c - \
    ///  && sh install.sh
    /// ```
    pub static REMOTE_SCRIPT_EXEC = {
        id: "remote-script-exec",
        summary: "downloaded script run without verification",
        level: Warning,
        kinds: [Dockerfile, Workflow, Action],
        tags: ["security", "supply-chain", "external/cwe/cwe-494"],
        security_severity: Some("7.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    for script in super::scripts(doc, cx) {
        {
            for (download, runner) in remote_executions(&script) {
                let d = &script.commands[download];
                let r = &script.commands[runner];
                // `curl … | sh` reads left to right; `sh -c "$(curl …)"` has the runner first.
                let (a, b) = if d.words[0].span <= r.words[0].span {
                    (d.words[0].span, r.words[0].span)
                } else {
                    (r.words[0].span, d.words[0].span)
                };
                let span = span_to(&cx.file.text, a, b);
                cx.report(
                    span,
                    format!(
                        "`{}` output is run by `{}` without verification",
                        d.program().unwrap_or(""),
                        r.program().unwrap_or("")
                    ),
                )
                .help("download to a file, verify its checksum or signature (`sha256sum -c`), then run it");
            }
        }
    }
}

/// (downloader, runner) command indices of every download that is executed directly.
pub fn remote_executions(script: &Script) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (i, cmd) in script.commands.iter().enumerate() {
        if !downloads_to_stdout(cmd) {
            continue;
        }
        match cmd.origin {
            // curl … | sh: a runner later in the same pipeline (or the command a wrapper there runs).
            Origin::Direct | Origin::Wrapped => {
                let runner = script.commands.iter().enumerate().find(|(_, c)| {
                    c.pipeline == cmd.pipeline && c.position > cmd.position && runs_stdin(c)
                });
                if let Some((r, _)) = runner {
                    out.push((i, r));
                }
            }
            // sh -c "$(curl …)", bash <(curl …), eval "$(curl …)", source <(curl …).
            Origin::Substitution => {
                if let Some(parent) = cmd.parent
                    && runs_argument(&script.commands[parent])
                {
                    out.push((i, parent));
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn downloads_to_stdout(cmd: &Command) -> bool {
    match cmd.program() {
        Some("curl") => {
            !cmd.has_flag(&[
                "-o",
                "-O",
                "--output",
                "--remote-name",
                "--remote-name-all",
                "-J",
            ]) || output_is_stdout(cmd, &["-o", "--output"])
        }
        Some("wget") => output_is_stdout(cmd, &["-O", "--output-document"]),
        Some("fetch") => output_is_stdout(cmd, &["-o"]),
        _ => false,
    }
}

/// `-O -`, `-O-`, `-qO-`, `--output-document=-`, `-O /dev/stdout`.
fn output_is_stdout(cmd: &Command, flags: &[&str]) -> bool {
    let args = cmd.args();
    args.iter().enumerate().any(|(i, a)| {
        let t = a.text.as_str();
        let short = flags
            .iter()
            .filter(|f| !f.starts_with("--"))
            .filter_map(|f| f.strip_prefix('-'));
        for s in short {
            // A cluster ending in the flag takes the next word; `-O-` carries it inline.
            if t.starts_with('-')
                && !t.starts_with("--")
                && let Some(pos) = t.rfind(s)
            {
                let inline = &t[pos + s.len()..];
                let value = if inline.is_empty() {
                    args.get(i + 1).map(|w| w.text.as_str())
                } else {
                    Some(inline)
                };
                if pos > 0 && matches!(value, Some("-") | Some("/dev/stdout")) {
                    return true;
                }
            }
        }
        flags.iter().filter(|f| f.starts_with("--")).any(|f| {
            t.strip_prefix(f)
                .and_then(|r| r.strip_prefix('='))
                .is_some_and(|v| v == "-" || v == "/dev/stdout")
                || (t == *f
                    && args
                        .get(i + 1)
                        .is_some_and(|n| n.text == "-" || n.text == "/dev/stdout"))
        })
    })
}

fn is_runner(program: &str) -> bool {
    SHELLS.contains(&program)
        || INTERPRETERS.contains(&program)
        || program
            .strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// A shell or interpreter reading its program from standard input: no script file argument.
fn runs_stdin(cmd: &Command) -> bool {
    let Some(program) = cmd.program() else {
        return false;
    };
    if !is_runner(program) {
        return false;
    }
    let mut args = cmd.args().iter().map(|a| a.text.as_str());
    loop {
        match args.next() {
            None | Some("-") | Some("--") | Some("-s") => return true,
            Some("-c") | Some("-e") | Some("-m") => return false,
            Some(a) if a.starts_with('-') => continue,
            Some(_) => return false,
        }
    }
}

/// A command that runs code given to it as an argument: `sh -c`, `bash <(…)`, `eval`, `source`.
fn runs_argument(cmd: &Command) -> bool {
    match cmd.program() {
        Some("eval" | "source" | ".") => true,
        Some(p) => is_runner(p),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::shell::parse;
    use crate::source::Span;

    fn count(text: &str) -> usize {
        remote_executions(&parse(text, &|r| Span::new(r.start, r.end))).len()
    }

    #[test]
    fn patterns() {
        for yes in [
            "curl -fsSL https://x | sh",
            "curl https://x | sudo bash -s -- --yes",
            "wget -qO- https://x | bash",
            "wget -O - https://x | python3",
            "wget --output-document=- https://x | sh",
            "sh -c \"$(curl -fsSL https://x)\"",
            "bash <(curl -s https://x)",
            "eval \"$(curl https://x)\"",
            "curl https://x | tee /tmp/log | sh",
        ] {
            assert_eq!(count(yes), 1, "{yes}");
        }
        for no in [
            "curl -fsSLo install.sh https://x && sh install.sh",
            "wget https://x/file.tar.gz | tar xz",
            "wget -O file https://x | sh",
            "curl https://x | tar xz",
            "curl https://x | python3 script.py",
            "echo \"$(curl https://x)\"",
            "curl https://x -o - > file && bash file",
        ] {
            assert_eq!(count(no), 0, "{no}");
        }
    }
}
