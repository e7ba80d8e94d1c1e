use super::untrusted_checkout::line_offsets;
use super::{PRIVILEGED_TRIGGERS, expressions, steps_with_env, tainted, trigger_names};
use crate::parse::Document;
use crate::parse::expr::find_all;
use crate::parse::yaml::Node;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a write to `$GITHUB_ENV` or `$GITHUB_PATH` in a `run:` (`>> $GITHUB_ENV`,
    /// `>> "${GITHUB_ENV}"`, `tee -a $GITHUB_PATH`, PowerShell's `$env:GITHUB_ENV` with `>>`,
    /// `Out-File`, `Add-Content`, cmd's `%GITHUB_ENV%`) or through `actions/github-script`'s
    /// `core.exportVariable`/`core.addPath`, when the workflow has a privileged trigger
    /// (`pull_request_target`, `workflow_run`, `issue_comment`), or when the write expands
    /// attacker-controlled data: an expression on the line, a variable of `env:` (step, job or
    /// workflow) set from one (`T: ${{ github.event.issue.title }}` … `echo "T=$T" >>
    /// "$GITHUB_ENV"`), any line of a block redirected as a whole (`{ …; } >> "$GITHUB_ENV"`),
    /// or an outsider's field of `context.payload` in github-script. The finding points at the
    /// line of the write.
    ///
    /// ## Why is this bad?
    /// Every later step of the job reads these files. Whoever controls what is written can set
    /// `LD_PRELOAD`, `NODE_OPTIONS`, `BASH_ENV` or prepend a directory to `PATH`, and so run code
    /// in the steps that hold secrets. Under a privileged trigger the written data usually comes
    /// from the pull request.
    ///
    /// ## Example
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: echo "BRANCH=$HEAD_REF" >> "$GITHUB_ENV"
    ///         env:
    ///           HEAD_REF: ${{ github.head_ref }}
    /// ```
    ///
    /// ## Use instead
    /// Keep the value in a step output or an `env:` of the step that needs it:
    /// ```yaml
    /// on: pull_request_target
    /// jobs:
    ///   build:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: echo "branch is $HEAD_REF"
    ///         env:
    ///           HEAD_REF: ${{ github.head_ref }}
    /// ```
    pub static GITHUB_ENV_INJECTION = {
        id: "github-env-injection",
        summary: "untrusted data written to GITHUB_ENV or GITHUB_PATH",
        level: Error,
        kinds: [Workflow, Action],
        tags: ["security", "injection", "external/cwe/cwe-94"],
        security_severity: Some("8.0"),
        check: Some(check),
    }
}

/// Which environment file a line of a script writes, if it writes one: a redirect or `tee`
/// to `$GITHUB_ENV` (any quoting, `${…}`), PowerShell's `$env:GITHUB_ENV` with `>`,
/// `Out-File`, `Add-Content` or `Set-Content`, and cmd's `%GITHUB_ENV%`.
fn writes_env_file(line: &str) -> Option<&'static str> {
    let compact: String = line
        .chars()
        .filter(|c| !matches!(c, '"' | '\'' | '{' | '}'))
        .collect();
    let lower = compact.to_ascii_lowercase();
    for (file, shown) in [
        ("GITHUB_ENV", "$GITHUB_ENV"),
        ("GITHUB_PATH", "$GITHUB_PATH"),
    ] {
        let names = [
            format!("${file}"),
            format!("$env:{file}"),
            format!("%{file}%"),
        ];
        for target in &names {
            let target_lower = target.to_ascii_lowercase();
            let Some(at) = lower.find(&target_lower) else {
                continue;
            };
            let before = lower[..at].trim_end();
            let redirect = before.ends_with('>');
            let tee = lower.contains("tee ") || lower.starts_with("tee");
            let cmdlet = ["out-file", "add-content", "set-content"]
                .iter()
                .any(|c| lower.contains(c));
            if redirect || tee || cmdlet {
                return Some(shown);
            }
        }
    }
    None
}

/// Shell variables set from attacker-controlled expressions in `env:` maps (workflow, job and
/// step levels): writing `$TITLE` to `$GITHUB_ENV` is writing the title.
fn tainted_env(maps: &[&Node]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for map in maps {
        for entry in map.as_map().unwrap_or(&[]) {
            let (Some(name), Some(value)) = (entry.key_str(), entry.value.as_str()) else {
                continue;
            };
            let context = find_all(value)
                .into_iter()
                .filter_map(|e| e.expr.ok())
                .find_map(|e| tainted(&e).into_iter().next().map(|(c, _)| c));
            if let Some(context) = context {
                out.push((name.to_string(), context));
            }
        }
    }
    out
}

/// Whether `line` expands the shell variable `name` (`$NAME`, `${NAME}`, `$env:NAME`).
fn expands(line: &str, name: &str) -> bool {
    let powershell = format!("$env:{name}");
    crate::parse::shell::expansion_of(line, name).is_some()
        || line.match_indices(&powershell).any(|(at, m)| {
            !line[at + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// `actions/github-script` calls that write the environment files.
const SCRIPT_WRITES: &[(&str, &str)] = &[
    ("core.exportVariable(", "$GITHUB_ENV"),
    ("core.addPath(", "$GITHUB_PATH"),
];

/// Event fields an outsider writes, as github-script reads them (`context.payload.…`).
fn payload_tainted(line: &str) -> Option<&'static str> {
    [
        "context.payload.pull_request.title",
        "context.payload.pull_request.body",
        "context.payload.pull_request.head.ref",
        "context.payload.issue.title",
        "context.payload.issue.body",
        "context.payload.comment.body",
        "context.payload.review.body",
        "context.payload.discussion.title",
        "context.payload.discussion.body",
        "context.payload.head_commit.message",
        "context.payload.workflow_run.head_branch",
    ]
    .into_iter()
    .find(|field| line.contains(field))
}

fn check(doc: &Document, cx: &mut Context) {
    let triggers = trigger_names(doc);
    let privileged = triggers
        .iter()
        .find(|t| PRIVILEGED_TRIGGERS.contains(&t.as_str()))
        .cloned();
    let mut reports = Vec::new();
    for (step, maps) in steps_with_env(doc) {
        // The script, and how it writes: a `run:` (shell) or a github-script `script:`.
        let script_step =
            crate::parse::workflow::action_name(step).as_deref() == Some("actions/github-script");
        let node = if script_step {
            step.get("with").and_then(|w| w.get("script"))
        } else {
            step.get("run")
        };
        let Some(node) = node else { continue };
        let Some(script) = node.as_str() else {
            continue;
        };
        let tainted_spans: Vec<(crate::source::Span, String)> = expressions(node, &cx.file.text)
            .into_iter()
            .filter_map(|(span, e)| tainted(&e).into_iter().next().map(|(c, _)| (span, c)))
            .collect();
        let env = tainted_env(&maps);
        let mut block_start = 0;
        for (offset, line) in line_offsets(script) {
            let trimmed = line.trim_start();
            // A block opens here (`{ … } >> "$GITHUB_ENV"`, a loop, a subshell): what it
            // writes is everything up to its closing line.
            if trimmed.starts_with('{')
                || trimmed.starts_with('(')
                || trimmed.starts_with("for ")
                || trimmed.starts_with("while ")
            {
                block_start = offset;
            }
            let file = if script_step {
                SCRIPT_WRITES
                    .iter()
                    .find(|(call, _)| line.contains(call))
                    .map(|(_, file)| *file)
            } else {
                writes_env_file(line)
            };
            let Some(file) = file else { continue };
            let lead = line.len() - trimmed.len();
            let span = node.subspan(&cx.file.text, offset + lead..offset + line.len());
            let closes_block =
                trimmed.starts_with('}') || trimmed.starts_with(')') || trimmed.starts_with("done");
            let written = if closes_block {
                node.subspan(&cx.file.text, block_start..offset + line.len())
            } else {
                span
            };
            let text = if closes_block {
                &script[block_start..offset + line.len()]
            } else {
                line
            };
            let context = tainted_spans
                .iter()
                .find(|(s, _)| written.contains(*s))
                .map(|(_, c)| format!("`{c}`"))
                .or_else(|| {
                    env.iter()
                        .find(|(name, _)| expands(text, name))
                        .map(|(name, c)| format!("`{c}` (through `${name}`)"))
                })
                .or_else(|| {
                    script_step
                        .then(|| payload_tainted(text))
                        .flatten()
                        .map(|c| format!("`{c}`"))
                });
            let why = match (context, &privileged) {
                (Some(context), _) => {
                    format!("writes attacker-controlled {context} to `{file}`")
                }
                (None, Some(trigger)) => {
                    format!("writes to `{file}` in a workflow triggered by `{trigger}`")
                }
                (None, None) => continue,
            };
            reports.push((
                span,
                format!("This step {why}: later steps run with what it sets"),
            ));
        }
    }
    for (span, message) in reports {
        cx.report(span, message)
            .help("do not write outside-controlled data to the environment files; pass it to the step that needs it through `env:` or a step output");
    }
}
