use super::assignments::{Class, classify, secret_named};
use super::secret_in_config::is_template;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a `.env`-style file in the repository (not a template such as `.env.example`)
    /// that holds secret-named keys with values, at the first such key. When a compose file in
    /// the scan loads it through `env_file:`, that line is a related location. Files ignored by
    /// `.gitignore` are never scanned, so a reported file is one Git does not ignore.
    ///
    /// ## Why is this bad?
    /// `.env` files exist to keep secrets out of the repository; committed, they publish every
    /// secret they hold at once, to everyone with read access and forever in the history.
    ///
    /// ## Example
    /// A `.env` in the repository, loaded by `env_file: .env`:
    /// ```dotenv
    /// API_TOKEN=Qw8-Er4-Ty6u-Io2p
    /// LOG_LEVEL=info
    /// ```
    ///
    /// ## Use instead
    /// Commit a template with empty values as `.env.example`, add `.env` to `.gitignore`, remove
    /// it from the history and rotate what it held:
    /// ```dotenv
    /// API_TOKEN=
    /// LOG_LEVEL=info
    /// ```
    pub static COMMITTED_ENV_FILE = {
        id: "committed-env-file",
        summary: "env file with secrets in the repository",
        level: Warning,
        kinds: [Env],
        tags: ["security", "secret", "external/cwe/cwe-538"],
        security_severity: Some("6.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Env(env) = doc else { return };
    if is_template(cx.path) {
        return;
    }
    let secrets: Vec<_> = env
        .entries
        .iter()
        .filter(|e| secret_named(&e.key) && classify(&e.value, None) != Class::Placeholder)
        .collect();
    let Some(first) = secrets.first() else { return };
    let loaders: Vec<crate::finding::Location> = std::fs::canonicalize(cx.path)
        .ok()
        .and_then(|p| cx.project.env_file_loaders.get(&p).cloned())
        .unwrap_or_default();
    let names: Vec<String> = secrets
        .iter()
        .take(3)
        .map(|e| format!("`{}`", e.key))
        .collect();
    let more = if secrets.len() > 3 {
        format!(" and {} more", secrets.len() - 3)
    } else {
        String::new()
    };
    let draft = cx.report(
        first.key_span,
        format!(
            "This env file holds secrets ({}{more}) and is part of the repository",
            names.join(", ")
        ),
    );
    draft.help("keep it out of the repository (`.gitignore`), commit a `.env.example` with placeholders instead, and rotate what it held");
    for location in loaders {
        draft.related_elsewhere(location, "loaded here with `env_file`");
    }
}
