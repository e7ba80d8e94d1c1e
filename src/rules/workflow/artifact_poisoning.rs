use std::collections::HashMap;

use super::{PRIVILEGED_TRIGGERS, condition, requires};
use crate::parse::Document;
use crate::parse::expr::Expr;
use crate::parse::shell::Command;
use crate::parse::workflow::{self, action_name};
use crate::parse::yaml::Node;
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags, in a privileged workflow (`workflow_run`, `pull_request_target`,
    /// `issue_comment`), a download of another run's artifacts that a later step then uses
    /// unsafely. Downloads: `actions/download-artifact` with a `run-id` other than
    /// `${{ github.run_id }}`, `dawidd6/action-download-artifact` with `run_id` or
    /// `allow_forks: true`, `gh run download <id>`, `gh api`/`curl`/`wget` of an artifact's
    /// `…/zip` or of `workflow_run.artifacts_url`, and `actions/github-script` calling
    /// `downloadArtifact(`. Unsafe uses, after the download in the same job: executing a file
    /// from the landing folder (as a command, a script given to an interpreter, `chmod +x`,
    /// `eval "$(cat …)"`, `require`/`import` in github-script, `uses: ./…`); running a
    /// workspace build or package tool (npm, make, pip, cargo, go, mvn, docker build, …) over a
    /// download that landed in the workspace; or writing the artifact's text to a step output
    /// that a later script expands — in the job, or in a job that needs it through the job's
    /// `outputs` — unless the value is checked to be a number.
    ///
    /// Trusted after all: a job or step `if:` that requires the triggering run to come from
    /// the repository itself (`head_repository.full_name == github.repository`, `fork ==
    /// false`, or its event being `push`, `schedule`, `workflow_dispatch`, `release`,
    /// `merge_group`), and, under `workflow_run`, triggering workflows that all resolve to
    /// workflows of the repository which run only on those events (matched by `name:`, or by
    /// path when they have none; an unresolved name counts as untrusted). An `environment:` is
    /// not a gate: approvers do not see the artifact. Extracting an archive only moves the
    /// landing folder. Writes to `$GITHUB_ENV` are `github-env-injection`'s.
    ///
    /// The finding points at the download (its `uses:`, or the command in `run:`), names the
    /// first unsafe use, and lists up to five unsafe uses and the trigger as related locations.
    ///
    /// ## Why is this bad?
    /// The other run may be a fork's pull request: whoever opened it decides what the artifact
    /// holds. Executed, built over or expanded into a script by a workflow with secrets and a
    /// write token, it runs the outsider's code with those privileges.
    ///
    /// ## Example
    /// ```yaml
    /// on:
    ///   workflow_run:
    ///     workflows: [CI]
    ///     types: [completed]
    /// jobs:
    ///   report:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
    ///         with:
    ///           run-id: ${{ github.event.workflow_run.id }}
    ///           github-token: ${{ github.token }}
    ///           path: ${{ runner.temp }}/pr
    ///       - run: bash "${{ runner.temp }}/pr/post-results.sh"
    /// ```
    ///
    /// ## Use instead
    /// Treat the artifact as data: read what you need, validate it, and keep the code in the
    /// privileged workflow.
    /// ```yaml
    /// on:
    ///   workflow_run:
    ///     workflows: [CI]
    ///     types: [completed]
    /// jobs:
    ///   report:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093 # v4.3.0
    ///         with:
    ///           run-id: ${{ github.event.workflow_run.id }}
    ///           github-token: ${{ github.token }}
    ///           path: ${{ runner.temp }}/pr
    ///       - id: pr
    ///         run: |
    ///           nr=$(cat "$RUNNER_TEMP/pr/NR")
    ///           [[ "$nr" =~ ^[0-9]+$ ]] || exit 1
    ///           echo "number=$nr" >> "$GITHUB_OUTPUT"
    ///       - run: gh pr comment ${{ steps.pr.outputs.number }} --body-file "$RUNNER_TEMP/pr/comment.md"
    ///         env:
    ///           GH_TOKEN: ${{ github.token }}
    /// ```
    pub static ARTIFACT_POISONING = {
        id: "artifact-poisoning",
        summary: "privileged workflow uses another run's artifact unsafely",
        level: Error,
        kinds: [Workflow],
        tags: ["security", "external/cwe/cwe-829"],
        security_severity: Some("9.0"),
        check: Some(check),
    }
}

const HELP: &str = "treat downloaded artifacts as untrusted data: land them outside the workspace (`${{ runner.temp }}`), never execute or build over them, validate any value read from them, or require `github.event.workflow_run.head_repository.full_name == github.repository`";

/// Events whose runs only the repository's own members can cause.
const SAFE_EVENTS: &[&str] = &[
    "push",
    "schedule",
    "workflow_dispatch",
    "release",
    "merge_group",
    "create",
    "delete",
];

/// Where a download's files land; `""` is the workspace root, `$TMP` the runner's temp folder.
struct Download {
    span: Span,
    what: String,
    step: usize,
    /// For a download inside a `run:`, the index of the command after which the script counts.
    command: Option<usize>,
    folder: String,
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Workflow(root) = doc else {
        return;
    };
    let triggers = workflow::triggers(root);
    let Some((trigger, trigger_span)) = triggers
        .iter()
        .find(|(t, _)| PRIVILEGED_TRIGGERS.contains(&t.as_str()))
        .cloned()
    else {
        return;
    };
    let only_workflow_run = triggers
        .iter()
        .filter(|(t, _)| PRIVILEGED_TRIGGERS.contains(&t.as_str()))
        .all(|(t, _)| t == "workflow_run");
    if only_workflow_run && trusted_workflows(root, cx) {
        return;
    }
    let mut reports = Vec::new();
    for job in workflow::jobs(root) {
        let job_cond = job.get("if").and_then(Node::as_str).and_then(condition);
        if job_cond.as_ref().is_some_and(same_repository) {
            continue;
        }
        let steps: Vec<&Node> = job.steps().collect();
        for download in downloads(&steps, cx) {
            let step_cond = steps[download.step]
                .get("if")
                .and_then(Node::as_str)
                .and_then(condition);
            if step_cond.as_ref().is_some_and(same_repository) {
                continue;
            }
            let (mut uses, tainted) = unsafe_uses(&steps, &download, cx);
            uses.extend(uses_in_needing_jobs(root, &job, &tainted, cx));
            if let Some((_, first)) = uses.first() {
                reports.push((download.span, download.what.clone(), first.clone(), uses));
            }
        }
    }
    for (span, what, first, uses) in reports {
        let draft = cx.report(
            span,
            format!(
                "{what} downloads another run's artifact in a workflow triggered by `{trigger}`, then {first}"
            ),
        );
        draft.help(HELP);
        for (at, use_) in uses.into_iter().take(5) {
            draft.related(at, use_);
        }
        draft.related(trigger_span, "privileged trigger");
    }
}

/// Whether a condition requires the triggering run (or pull request) to come from the
/// repository itself.
fn same_repository(cond: &Expr) -> bool {
    requires(cond, &|e| {
        let path = |e: &Expr| e.path_name().unwrap_or_default();
        match e {
            Expr::Not(inner) => matches!(
                path(inner).as_str(),
                "github.event.workflow_run.head_repository.fork"
                    | "github.event.pull_request.head.repo.fork"
            ),
            Expr::Binary { op, left, right } if matches!(*op, "==" | "!=") => {
                let (p, other) = if left.path_name().is_some() {
                    (path(left), &**right)
                } else {
                    (path(right), &**left)
                };
                let literal = match other {
                    Expr::String(s) => Some(s.as_str()),
                    _ => None,
                };
                match (p.as_str(), *op) {
                    (
                        "github.event.workflow_run.head_repository.full_name"
                        | "github.event.pull_request.head.repo.full_name",
                        "==",
                    ) => {
                        literal.is_some()
                            || other.path_name().as_deref() == Some("github.repository")
                    }
                    (
                        "github.event.workflow_run.head_repository.fork"
                        | "github.event.pull_request.head.repo.fork",
                        "==",
                    ) => matches!(other, Expr::Bool(false)) || literal == Some("false"),
                    ("github.event.workflow_run.event", "==") => {
                        literal.is_some_and(|l| SAFE_EVENTS[..5].contains(&l))
                    }
                    ("github.event.workflow_run.event", "!=") => literal == Some("pull_request"),
                    _ => false,
                }
            }
            _ => false,
        }
    })
}

/// Under `workflow_run`: every workflow named in `workflows:` is one of the repository's, and
/// each runs only on events outsiders cannot cause.
fn trusted_workflows(root: &Node, cx: &Context) -> bool {
    let names: Vec<String> = root
        .get("on")
        .or_else(|| root.get("true"))
        .and_then(|on| on.get("workflow_run"))
        .and_then(|w| w.get("workflows"))
        .map(|w| match w.as_seq() {
            Some(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            None => w.as_str().map(str::to_string).into_iter().collect(),
        })
        .unwrap_or_default();
    if names.is_empty() {
        return false;
    }
    let Some(folder) =
        super::local_callee(cx, "./.github/workflows", true).or_else(|| workflows_folder(cx))
    else {
        return false;
    };
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return false;
    };
    let mut known: HashMap<String, Vec<String>> = HashMap::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let is_yaml = path.extension().is_some_and(|e| e == "yml" || e == "yaml");
        if !is_yaml {
            continue;
        }
        // Read and parsed once per scan, whichever workflows ask.
        let Some(other) = cx.project.yaml_file(&path) else {
            continue;
        };
        let events: Vec<String> = workflow::triggers(&other)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        match other.get("name").and_then(Node::as_str) {
            Some(name) => {
                known.insert(name.to_string(), events);
            }
            None => {
                known.insert(format!(".github/workflows/{file}"), events.clone());
                known.insert(file, events);
            }
        }
    }
    names.iter().all(|name| {
        known.get(name).is_some_and(|events| {
            !events.is_empty() && events.iter().all(|e| SAFE_EVENTS.contains(&e.as_str()))
        })
    })
}

/// The folder holding this workflow (it is in `.github/workflows`).
fn workflows_folder(cx: &Context) -> Option<std::path::PathBuf> {
    let dir = cx.path.parent()?;
    dir.ends_with(".github/workflows")
        .then(|| dir.to_path_buf())
}

/// The untrusted downloads of a job, in step order.
fn downloads(steps: &[&Node], cx: &Context) -> Vec<Download> {
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let name = action_name(step).unwrap_or_default();
        let with = |key: &str| step.get("with").and_then(|w| w.get(key));
        let with_str = |key: &str| with(key).and_then(Node::as_str).map(str::trim);
        let uses_span = step
            .entry("uses")
            .map_or(step.span, |e| e.key.span.to(e.value.span));
        let landing = || normalize(with_str("path").unwrap_or(""));
        match name.as_str() {
            "actions/download-artifact" => {
                if let Some(run_id) = with_str("run-id")
                    && !is_this_run(run_id)
                {
                    out.push(Download {
                        span: uses_span,
                        what: "`actions/download-artifact` with `run-id`".into(),
                        step: i,
                        command: None,
                        folder: landing(),
                    });
                }
            }
            "dawidd6/action-download-artifact" => {
                let forks = with("allow_forks").and_then(Node::as_bool) == Some(true);
                if with("run_id").is_some() || forks {
                    out.push(Download {
                        span: uses_span,
                        what: format!(
                            "`dawidd6/action-download-artifact` with `{}`",
                            if forks { "allow_forks: true" } else { "run_id" }
                        ),
                        step: i,
                        command: None,
                        folder: landing(),
                    });
                }
            }
            "actions/github-script" => {
                if let Some(script) = with_str("script")
                    && script.contains("downloadArtifact(")
                {
                    let folder = write_file_target(script)
                        .map(|target| parent(&normalize(&target)))
                        .unwrap_or_default();
                    out.push(Download {
                        span: uses_span,
                        what: "`actions/github-script` (`downloadArtifact`)".into(),
                        step: i,
                        command: None,
                        folder,
                    });
                }
            }
            _ => {}
        }
        let Some(run) = step.get("run") else { continue };
        if run.as_str().is_none() {
            continue;
        }
        let script = cx.run_script(run);
        let working = working_directory(step);
        for (index, cmd) in script.commands.iter().enumerate() {
            let words: Vec<&str> = cmd.words.iter().map(|w| w.text.as_str()).collect();
            let span = || cmd.span().unwrap_or(run.span);
            if let ["gh", "run", "download", rest @ ..] = words.as_slice() {
                let Some(id) = positional(
                    rest,
                    &[
                        "-n",
                        "--name",
                        "-D",
                        "--dir",
                        "-p",
                        "--pattern",
                        "-R",
                        "--repo",
                    ],
                ) else {
                    continue;
                };
                if is_this_run(id) {
                    continue;
                }
                let dir = flag_value(rest, &["-D", "--dir"]).map(normalize);
                out.push(Download {
                    span: span(),
                    what: "`gh run download`".into(),
                    step: i,
                    command: Some(index),
                    folder: dir.unwrap_or_else(|| working.clone()),
                });
                continue;
            }
            let fetcher = matches!(cmd.program(), Some("curl" | "wget"))
                || matches!(words.as_slice(), ["gh", "api", ..]);
            let artifact_url = words.iter().any(|w| {
                (w.contains("/actions/artifacts/") && w.contains("/zip"))
                    || w.contains("workflow_run.artifacts_url")
            });
            if fetcher && artifact_url {
                let output =
                    flag_value(&words[1..], &["-o", "--output", "-O", "--output-document"])
                        .map(str::to_string)
                        .or_else(|| {
                            cmd.redirects
                                .iter()
                                .find(|(op, _)| op == ">")
                                .map(|(_, w)| w.text.clone())
                        });
                out.push(Download {
                    span: span(),
                    what: format!(
                        "`{}`",
                        words.iter().take(2).copied().collect::<Vec<_>>().join(" ")
                    ),
                    step: i,
                    command: Some(index),
                    folder: output
                        .map(|o| parent(&normalize(&o)))
                        .unwrap_or_else(|| working.clone()),
                });
            }
        }
    }
    out
}

/// The unsafe uses after a download, in order: (where, what it does).
/// Where an artifact is used unsafely, and how.
type UnsafeUse = (Span, String);
/// A step output (step id, output name).
type StepOutput = (String, String);

/// The unsafe uses after a download in its job, and the step outputs that carry the
/// artifact's text.
fn unsafe_uses(
    steps: &[&Node],
    download: &Download,
    cx: &Context,
) -> (Vec<UnsafeUse>, Vec<StepOutput>) {
    let mut folder = download.folder.clone();
    let mut uses = Vec::new();
    let checkout_paths: Vec<String> = steps
        .iter()
        .filter(|s| action_name(s).as_deref() == Some("actions/checkout"))
        .map(|s| {
            s.get("with")
                .and_then(|w| w.get("path"))
                .and_then(Node::as_str)
                .map(normalize)
                .unwrap_or_default()
        })
        .collect();
    // Outputs written from the artifact's text: (step id, output name).
    let mut tainted_outputs: Vec<(String, String)> = Vec::new();
    for (i, step) in steps.iter().enumerate().skip(download.step) {
        let same_step = i == download.step;
        if same_step && download.command.is_none() {
            continue;
        }
        let name = action_name(step).unwrap_or_default();
        let uses_span = step.get("uses").map_or(step.span, |u| u.span);
        if let Some(local) = step
            .get("uses")
            .and_then(Node::as_str)
            .and_then(|u| u.trim().strip_prefix("./"))
            && under(local, &folder)
        {
            uses.push((
                uses_span,
                format!("runs the local action `./{local}` from it"),
            ));
        }
        if name == "actions/github-script"
            && let Some(script) = step
                .get("with")
                .and_then(|w| w.get("script"))
                .and_then(Node::as_str)
        {
            if imports_from(script, &folder) {
                uses.push((
                    uses_span,
                    "loads a script from it with `require`/`import`".into(),
                ));
            }
            if let Some(found) = expands_output(script, &tainted_outputs) {
                uses.push((
                    uses_span,
                    format!("expands `{found}`, read from it, into a script"),
                ));
            }
        }
        let Some(run) = step.get("run") else { continue };
        let Some(text) = run.as_str() else { continue };
        let script = cx.run_script(run);
        let working = working_directory(step);
        let first = if same_step {
            download.command.map_or(0, |c| c + 1)
        } else {
            0
        };
        for cmd in script.commands.iter().skip(first) {
            // Extraction moves the landing folder.
            if let Some(moved) = extraction_target(cmd) {
                folder = if moved.is_empty() {
                    working.clone()
                } else {
                    moved
                };
                continue;
            }
            if let Some(what) = executes_from(cmd, &folder) {
                uses.push((cmd.span().unwrap_or(run.span), what));
                continue;
            }
            let in_workspace =
                folder.is_empty() || checkout_paths.iter().any(|p| under(p, &folder));
            if in_workspace
                && under_or_root(&working, &folder)
                && let Some(tool) = workspace_tool(cmd)
            {
                uses.push((
                    cmd.span().unwrap_or(run.span),
                    format!("runs `{tool}` in the workspace the artifact landed in"),
                ));
            }
        }
        if let Some(found) = expands_output(text, &tainted_outputs) {
            uses.push((
                run.span,
                format!("expands `{found}`, read from it, into a script"),
            ));
        }
        if let Some(id) = step.get("id").and_then(Node::as_str) {
            for output in outputs_from_artifact(text, &folder) {
                tainted_outputs.push((id.to_string(), output));
            }
        }
    }
    (uses, tainted_outputs)
}

/// U3 across jobs: outputs of job `id` mapped from the tainted step outputs, expanded by a job
/// that needs it into a `run:` or a github-script.
fn uses_in_needing_jobs(
    root: &Node,
    job: &workflow::Job,
    tainted: &[(String, String)],
    cx: &Context,
) -> Vec<(Span, String)> {
    let mut found = Vec::new();
    if tainted.is_empty() {
        return found;
    }
    let mapped: Vec<String> = job
        .get("outputs")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter(|o| {
            o.value.as_str().is_some_and(|v| {
                tainted
                    .iter()
                    .any(|(id, out)| v.contains(&format!("steps.{id}.outputs.{out}")))
            })
        })
        .filter_map(|o| o.key_str().map(str::to_ascii_lowercase))
        .collect();
    if mapped.is_empty() {
        return found;
    }
    let prefix = format!("needs.{}.outputs.", job.id.to_ascii_lowercase());
    for other in workflow::jobs(root) {
        if !other.needs().iter().any(|n| n == job.id) {
            continue;
        }
        for step in other.steps() {
            let mut code: Vec<&Node> = step.get("run").into_iter().collect();
            if action_name(step).as_deref() == Some("actions/github-script") {
                code.extend(step.get("with").and_then(|w| w.get("script")));
            }
            for node in code {
                for (span, expr) in super::expressions(node, &cx.file.text) {
                    let hit = super::tainted_by(&expr, &|path| {
                        path.strip_prefix(&prefix)
                            .filter(|name| mapped.iter().any(|m| m == name))
                            .map(|_| path.to_string())
                    });
                    if let Some((path, _)) = hit.into_iter().next() {
                        found.push((
                            span,
                            format!(
                                "expands `{path}`, read from it, into a script of job `{}`",
                                other.id
                            ),
                        ));
                    }
                }
            }
        }
    }
    found
}

/// A step's `working-directory`, normalised (`""` for the workspace root, its default).
fn working_directory(step: &Node) -> String {
    step.get("working-directory")
        .and_then(Node::as_str)
        .map(normalize)
        .unwrap_or_default()
}

/// `${{ github.run_id }}` or `$GITHUB_RUN_ID`: the current run, whose artifacts it made.
fn is_this_run(id: &str) -> bool {
    let compact: String = id
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"')
        .collect();
    matches!(
        compact.as_str(),
        "${{github.run_id}}" | "$GITHUB_RUN_ID" | "${GITHUB_RUN_ID}"
    )
}

/// A path with the runner's folders written one way: `$TMP/…` for the temp folder, relative
/// for the workspace (`""` is its root).
fn normalize(path: &str) -> String {
    let mut p = path.trim().trim_matches(['"', '\'']).to_string();
    for (from, to) in [
        ("${{ runner.temp }}", "$TMP"),
        ("${{runner.temp}}", "$TMP"),
        ("${RUNNER_TEMP}", "$TMP"),
        ("$RUNNER_TEMP", "$TMP"),
        ("${process.env.RUNNER_TEMP}", "$TMP"),
        ("${{ github.workspace }}", "."),
        ("${{github.workspace}}", "."),
        ("${GITHUB_WORKSPACE}", "."),
        ("$GITHUB_WORKSPACE", "."),
        ("${process.env.GITHUB_WORKSPACE}", "."),
    ] {
        p = p.replace(from, to);
    }
    if let Some(rest) = p.strip_prefix("/tmp") {
        p = format!("$TMP{rest}");
    }
    while let Some(rest) = p.strip_prefix("./") {
        p = rest.to_string();
    }
    if p == "." {
        p.clear();
    }
    p.trim_end_matches('/').to_string()
}

fn parent(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}

/// Whether `path` (as written) is inside the landing folder.
fn under(path: &str, folder: &str) -> bool {
    let p = normalize(path);
    if folder.is_empty() {
        return !p.is_empty() && !p.starts_with(['/', '$', '~']) && !p.contains("${{");
    }
    p == folder || p.starts_with(&format!("{folder}/"))
}

fn under_or_root(working: &str, folder: &str) -> bool {
    folder.is_empty() || under(working, folder)
}

/// The first positional argument, skipping flags and the values of `valued` flags.
fn positional<'a>(args: &[&'a str], valued: &[&str]) -> Option<&'a str> {
    let mut skip = false;
    for arg in args {
        if skip {
            skip = false;
            continue;
        }
        if valued.contains(arg) {
            skip = true;
            continue;
        }
        if arg.starts_with('-') {
            continue;
        }
        return Some(arg);
    }
    None
}

fn flag_value<'a>(args: &[&'a str], flags: &[&str]) -> Option<&'a str> {
    for (i, arg) in args.iter().enumerate() {
        if flags.contains(arg) {
            return args.get(i + 1).copied();
        }
        for flag in flags.iter().filter(|f| f.starts_with("--")) {
            if let Some(value) = arg.strip_prefix(&format!("{flag}=")) {
                return Some(value);
            }
        }
    }
    None
}

/// `unzip [-d dir] file` or `tar -x… [-C dir]`: the folder the files land in (`""` for the
/// current folder).
fn extraction_target(cmd: &Command) -> Option<String> {
    let words: Vec<&str> = cmd.words.iter().map(|w| w.text.as_str()).collect();
    match cmd.program()? {
        "unzip" if !words.contains(&"-p") => Some(
            flag_value(&words[1..], &["-d"])
                .map(normalize)
                .unwrap_or_default(),
        ),
        "tar"
            if words
                .get(1)
                .is_some_and(|w| w.contains('x') && !w.contains('c'))
                || words.contains(&"--extract") =>
        {
            Some(
                flag_value(&words[1..], &["-C", "--directory"])
                    .map(normalize)
                    .unwrap_or_default(),
            )
        }
        _ => None,
    }
}

const INTERPRETERS: &[&str] = &[
    "bash", "sh", "zsh", "dash", "python", "python3", "python2", "node", "ruby", "perl", "php",
    "pwsh", "source", ".",
];

/// U1: the command executes a file from the landing folder.
fn executes_from(cmd: &Command, folder: &str) -> Option<String> {
    let words: Vec<&str> = cmd.words.iter().map(|w| w.text.as_str()).collect();
    let first = *words.first()?;
    if first.contains('/') && under(first, folder) {
        return Some(format!("executes `{first}` from it"));
    }
    let program = cmd.program()?;
    let script_arg = if INTERPRETERS.contains(&program) || program.starts_with("python") {
        words[1..].iter().find(|w| !w.starts_with('-')).copied()
    } else if program == "deno" && words.get(1) == Some(&"run") {
        words[2..].iter().find(|w| !w.starts_with('-')).copied()
    } else {
        None
    };
    if let Some(arg) = script_arg
        && (arg.contains('/') || arg.contains('.'))
        && under(arg, folder)
    {
        return Some(format!("runs `{program} {arg}` from it"));
    }
    if program == "chmod"
        && words
            .iter()
            .any(|w| w.contains("+x") || w.starts_with("7") || w.starts_with("5"))
        && let Some(target) = words[1..]
            .iter()
            .rev()
            .find(|w| !w.starts_with(['-', '+']) && !w.chars().all(|c| c.is_ascii_digit()))
        && under(target, folder)
    {
        return Some(format!("makes `{target}` from it executable"));
    }
    if program == "eval"
        && words[1..].iter().any(|w| {
            w.split_whitespace()
                .any(|part| under(part.trim_matches(['"', ')', '(']), folder))
                && w.contains("$(")
        })
    {
        return Some("evaluates a file from it with `eval`".into());
    }
    None
}

/// The workspace-code tools (the shared list): the command when it runs the workspace's code.
fn workspace_tool(cmd: &Command) -> Option<String> {
    let words: Vec<&str> = cmd.words.iter().map(|w| w.text.as_str()).collect();
    let program = cmd.program()?;
    let sub = words.get(1).copied().unwrap_or("");
    let runs = match program {
        "npm" => matches!(
            sub,
            "install"
                | "i"
                | "ci"
                | "run"
                | "test"
                | "start"
                | "exec"
                | "build"
                | "pack"
                | "publish"
                | "run-script"
        ),
        "npx" | "pnpm" | "yarn" | "bun" | "bunx" | "make" | "ninja" | "pytest" | "tox" | "nox"
        | "hatch" | "pdm" | "mvn" | "mvnw" | "gradle" | "gradlew" | "ant" | "sbt" | "rake"
        | "msbuild" => true,
        "node" | "ruby" | "php" => words.len() > 1,
        "deno" => matches!(sub, "run" | "task"),
        "cmake" => words.contains(&"--build"),
        "pip" | "pip3" => {
            sub == "install"
                && words[2..].iter().any(|w| {
                    matches!(*w, "." | "-e" | "-r" | "--editable" | "--requirement")
                        || w.starts_with("./")
                })
        }
        "python" | "python3" => words.len() > 1,
        "poetry" => matches!(sub, "install" | "run" | "build"),
        "uv" => {
            matches!(sub, "run" | "sync" | "build")
                || (sub == "pip" && words.get(2) == Some(&"install"))
        }
        "cargo" => {
            matches!(sub, "build" | "test" | "run" | "check" | "clippy")
                || (sub == "install" && words.contains(&"--path"))
        }
        "go" => matches!(sub, "build" | "test" | "run" | "generate"),
        "bundle" => matches!(sub, "install" | "exec"),
        "composer" => matches!(sub, "install" | "run" | "run-script"),
        "dotnet" => matches!(sub, "build" | "test" | "run" | "restore" | "pack"),
        "docker" => {
            sub == "build"
                || (sub == "buildx" && words.get(2) == Some(&"build"))
                || sub == "compose"
        }
        "terraform" => matches!(sub, "init" | "plan" | "apply"),
        "pre-commit" => sub == "run",
        "bash" | "sh" => words
            .get(1)
            .is_some_and(|w| !w.starts_with('-') && !w.starts_with('/')),
        "source" | "." => words.get(1).is_some_and(|w| !w.starts_with('/')),
        _ => cmd.name().is_some_and(|n| n.starts_with("./")),
    };
    runs.then(|| words.iter().take(2).copied().collect::<Vec<_>>().join(" "))
}

/// `require('<path>')` or `import('<path>')` of a file under the folder, in a github-script.
fn imports_from(script: &str, folder: &str) -> bool {
    ["require(", "import("].iter().any(|call| {
        script.match_indices(call).any(|(at, _)| {
            let rest = script[at + call.len()..].trim_start();
            let Some(quote) = rest
                .chars()
                .next()
                .filter(|c| matches!(c, '\'' | '"' | '`'))
            else {
                return false;
            };
            let inner = &rest[1..];
            inner
                .find(quote)
                .is_some_and(|end| under(&inner[..end], folder))
        })
    })
}

/// The target of `fs.writeFileSync(<path>, …)` in a github-script.
fn write_file_target(script: &str) -> Option<String> {
    let at = script.find("writeFileSync(")?;
    let rest = script[at + "writeFileSync(".len()..].trim_start();
    let quote = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '\'' | '"' | '`'))?;
    let inner = &rest[1..];
    let end = inner.find(quote)?;
    Some(inner[..end].to_string())
}

/// Outputs a script writes to `$GITHUB_OUTPUT` from text read under the folder, unless it
/// checks the value is a number.
fn outputs_from_artifact(script: &str, folder: &str) -> Vec<String> {
    const NUMBER_CHECKS: &[&str] = &[
        "^[0-9]+$",
        "^[0-9]*$",
        "[0-9]+",
        "tr -cd '0-9'",
        "tr -cd \"0-9\"",
        "[:digit:]",
        "printf '%d'",
        "printf \"%d\"",
        "type==\"number\"",
        "type == \"number\"",
    ];
    if NUMBER_CHECKS.iter().any(|c| script.contains(c)) {
        return Vec::new();
    }
    let reads = |line: &str| {
        let readers = ["cat ", "$(<", "< ", "jq ", "head ", "unzip -p", "read "];
        readers.iter().any(|r| line.contains(r))
            && line
                .split(|c: char| {
                    c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')' | '<' | '`')
                })
                .any(|token| !token.is_empty() && token.contains('/') && under(token, folder))
    };
    let mut tainted_vars: Vec<String> = Vec::new();
    let mut outputs = Vec::new();
    for line in script.lines() {
        let line = line.trim();
        if !line.contains("GITHUB_OUTPUT") {
            if let Some((name, value)) = line.split_once('=')
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && reads(value)
            {
                tainted_vars.push(name.to_string());
            }
            if let Some(rest) = line.strip_prefix("read ")
                && reads(line)
            {
                tainted_vars.extend(
                    rest.split_whitespace()
                        .filter(|w| !w.starts_with('-') && *w != "<")
                        .take(1)
                        .map(str::to_string),
                );
            }
            continue;
        }
        let from_var = tainted_vars
            .iter()
            .any(|v| line.contains(&format!("${v}")) || line.contains(&format!("${{{v}}}")));
        if !(reads(line) || from_var) {
            continue;
        }
        // `echo "name=…" >> "$GITHUB_OUTPUT"`: the name before the first `=`.
        let body = line
            .trim_start_matches("echo")
            .trim_start_matches("printf")
            .trim_start()
            .trim_start_matches(['"', '\'']);
        if let Some((name, _)) = body.split_once('=')
            && !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        {
            outputs.push(name.to_string());
        }
    }
    outputs
}

/// The first `steps.<id>.outputs.<o>` a text expands among the tainted outputs.
fn expands_output(text: &str, tainted: &[(String, String)]) -> Option<String> {
    tainted.iter().find_map(|(id, output)| {
        let wanted = format!("steps.{id}.outputs.{output}");
        crate::parse::expr::find_all(text)
            .into_iter()
            .find_map(|e| {
                let expr = e.expr.ok()?;
                super::tainted_by(&expr, &|path| {
                    (path == wanted.to_ascii_lowercase()).then(|| path.to_string())
                })
                .first()
                .map(|_| wanted.clone())
            })
    })
}
