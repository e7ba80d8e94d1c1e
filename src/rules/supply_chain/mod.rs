//! What a build downloads and installs, and whether it is verified.

pub mod add_remote_url;
pub mod package_signature_disabled;
pub mod remote_script_exec;
pub mod reverse_shell;
pub mod secret_exfiltration;
pub mod tls_verification_disabled;
pub mod unpinned_package;

use std::borrow::Cow;

use crate::parse::Document;
use crate::parse::shell::{self, Script};

/// The shell scripts of a document: every `RUN` of a Dockerfile (parsed with the file), and
/// every `run:` of a workflow or composite action whose shell is a POSIX shell (the default on
/// Linux runners), parsed here with spans into the YAML scalar.
pub fn scripts<'d>(doc: &'d Document, source: &str) -> Vec<Cow<'d, Script>> {
    match doc {
        Document::Dockerfile(file) => file
            .instructions
            .iter()
            .filter_map(|i| i.script.as_ref().map(Cow::Borrowed))
            .collect(),
        Document::Workflow(_) | Document::Action(_) => {
            let mut out = Vec::new();
            for (_, step) in crate::rules::workflow::steps(doc) {
                let Some(run) = step.get("run") else { continue };
                let Some(text) = run.as_str() else { continue };
                let posix = step.get("shell").and_then(|s| s.as_str()).is_none_or(|s| {
                    s.split_whitespace()
                        .next()
                        .is_some_and(|p| shell::SHELLS.contains(&p.rsplit('/').next().unwrap_or(p)))
                });
                if posix {
                    out.push(Cow::Owned(shell::parse(text, &|r| run.subspan(source, r))));
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// Every command of every script of a document.
pub fn commands<'s>(scripts: &'s [Cow<'_, Script>]) -> impl Iterator<Item = &'s shell::Command> {
    scripts.iter().flat_map(|s| s.commands.iter())
}
