use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `chmod` in `RUN` that gives write permission to other users: octal modes whose last
    /// digit includes write (`777`, `666`, `0757`, …) and symbolic modes `o+w`, `a+w`, `+w`,
    /// `ugo+w`, `o=rwx`, in Dockerfile `RUN` and in workflow `run:` steps. Also
    /// `COPY --chmod=777` and `ADD --chmod=…`. Modes with the sticky bit
    /// (`1777`, as `/tmp` uses) are not reported. A recursive `chmod -R` says so in the message.
    ///
    /// ## Why is this bad?
    /// A world-writable file or directory can be modified by any process in the container: a
    /// compromised low-privilege process can replace a binary, a script or a configuration that a
    /// more privileged one later runs.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// RUN chmod -R 777 /app
    /// ```
    ///
    /// ## Use instead
    /// Give ownership to the user that needs to write, and keep others read-only:
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// RUN chown -R 10001:10001 /app/data && chmod -R 755 /app
    /// ```
    pub static WORLD_WRITABLE = {
        id: "world-writable",
        summary: "file permissions writable by every user",
        level: Warning,
        kinds: [Dockerfile, Workflow, Action],
        tags: ["security", "hardening", "external/cwe/cwe-732"],
        security_severity: Some("5.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let scripts = crate::rules::supply_chain::scripts(doc, cx);
    let mut reports = Vec::new();
    for cmd in crate::rules::supply_chain::commands(&scripts) {
        if cmd.program() != Some("chmod") {
            continue;
        }
        let recursive = cmd.has_flag(&["-R", "--recursive"]);
        let Some(mode) = cmd.args().iter().find(|a| !a.text.starts_with('-')) else {
            continue;
        };
        if world_writable(&mode.text) {
            let scope = if recursive { ", recursively" } else { "" };
            reports.push((
                mode.span,
                format!(
                    "`chmod {}` makes files writable by every user{scope}",
                    mode.text
                ),
            ));
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("grant write access to the owning user or group only (`chmod 755`, `chmod 644`, or `chown` to the writer)");
    }
    let Document::Dockerfile(file) = doc else {
        return;
    };
    for ins in &file.instructions {
        if !matches!(ins.keyword.as_str(), "COPY" | "ADD") {
            continue;
        }
        for flag in &ins.flags {
            if flag.name == "chmod"
                && let (Some(value), Some(span)) = (&flag.value, flag.value_span)
                && world_writable(value)
            {
                cx.report(
                    span,
                    format!(
                        "`{} --chmod={value}` makes the copied files writable by every user",
                        ins.keyword
                    ),
                )
                .help("use a mode without write for others, e.g. `--chmod=755` or `--chmod=644`");
            }
        }
    }
}

/// Does `mode` (octal or symbolic) give write permission to others?
pub fn world_writable(mode: &str) -> bool {
    if !mode.is_empty() && mode.len() <= 4 && mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let digits: Vec<u8> = mode.bytes().map(|b| b - b'0').collect();
        let others = digits[digits.len() - 1];
        let sticky = digits.len() == 4 && digits[0] & 1 == 1;
        return digits.len() >= 3 && others & 2 != 0 && !sticky;
    }
    mode.split(',').any(|clause| {
        let Some(op_at) = clause.find(['+', '=']) else {
            return false;
        };
        let (who, rest) = clause.split_at(op_at);
        let grants_write = rest[1..].contains('w');
        let all_or_others = who.is_empty() || who.contains('o') || who.contains('a');
        who.chars().all(|c| "ugoa".contains(c)) && grants_write && all_or_others
    })
}

#[cfg(test)]
mod tests {
    use super::world_writable;

    #[test]
    fn modes() {
        for yes in [
            "777", "0777", "666", "757", "o+w", "a+w", "+w", "ugo+rwx", "o=rwx", "u+x,o+w", "0002",
        ] {
            assert!(world_writable(yes), "{yes}");
        }
        for no in [
            "755", "644", "1777", "u+w", "g+w", "o-w", "a-w", "+x", "700", "4755", "go-w",
        ] {
            assert!(!world_writable(no), "{no}");
        }
    }
}
