use super::env_maps;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `ACTIONS_ALLOW_UNSECURE_COMMANDS` set to true in any `env:` (workflow, job, step,
    /// container, composite action).
    ///
    /// ## Why is this bad?
    /// It re-enables the deprecated `::set-env` and `::add-path` workflow commands, which any
    /// text printed to the log can issue. Whoever controls printed output — an issue title, a
    /// test's output — can then set environment variables such as `LD_PRELOAD` or `PATH` for the
    /// following steps (CVE-2020-15228).
    ///
    /// ## Example
    /// ```yaml
    /// on: push
    /// env:
    ///   ACTIONS_ALLOW_UNSECURE_COMMANDS: true
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: make test
    /// ```
    ///
    /// ## Use instead
    /// Write to the environment files: `echo "NAME=value" >> "$GITHUB_ENV"`.
    /// ```yaml
    /// on: push
    /// jobs:
    ///   test:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - run: make test
    /// ```
    pub static INSECURE_COMMANDS = {
        id: "insecure-commands",
        summary: "deprecated unsafe workflow commands enabled",
        level: Error,
        kinds: [Workflow, Action],
        tags: ["security", "injection", "external/cwe/cwe-77"],
        security_severity: Some("8.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let mut reports = Vec::new();
    for env in env_maps(doc) {
        if let Some(entry) = env.entry("ACTIONS_ALLOW_UNSECURE_COMMANDS")
            && entry.value.as_bool() != Some(false)
            && !entry.value.is_null()
        {
            reports.push(entry.key.span.to(entry.value.span));
        }
    }
    for span in reports {
        cx.report(span, "`ACTIONS_ALLOW_UNSECURE_COMMANDS` lets anything printed to the log set environment variables and PATH")
            .help("remove it and write to `$GITHUB_ENV` / `$GITHUB_PATH` instead of `::set-env` / `::add-path`");
    }
}
