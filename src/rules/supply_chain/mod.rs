//! What a build downloads and installs, and whether it is verified.

pub mod add_remote_url;
pub mod package_signature_disabled;
pub mod remote_script_exec;
pub mod reverse_shell;
pub mod secret_exfiltration;
pub mod tls_verification_disabled;
pub mod unpinned_package;

use crate::rules::Context;

use crate::parse::Document;
use crate::parse::shell::{self, Script};

/// The shell scripts of a document: every `RUN` of a Dockerfile (parsed with the file), and
/// every `run:` of a workflow or composite action whose shell is a POSIX shell (the default on
/// Linux runners), parsed once per file with spans into the YAML scalar.
pub fn scripts<'d>(doc: &'d Document, cx: &Context) -> Vec<ScriptRef<'d>> {
    match doc {
        Document::Dockerfile(file) => file
            .instructions
            .iter()
            .filter_map(|i| i.script.as_ref().map(ScriptRef::Model))
            .collect(),
        Document::Workflow(_) | Document::Action(_) => {
            let mut out = Vec::new();
            for (_, step) in crate::rules::workflow::steps(doc) {
                let Some(run) = step.get("run") else { continue };
                if run.as_str().is_none() {
                    continue;
                }
                let posix = step.get("shell").and_then(|s| s.as_str()).is_none_or(|s| {
                    s.split_whitespace()
                        .next()
                        .is_some_and(|p| shell::SHELLS.contains(&p.rsplit('/').next().unwrap_or(p)))
                });
                if posix {
                    out.push(ScriptRef::Shared(cx.run_script(run)));
                }
            }
            out
        }
        _ => Vec::new(),
    }
}

/// A script a rule reads: from the Dockerfile model, shared from the per-file cache of
/// workflow scripts, or parsed by the rule itself.
pub enum ScriptRef<'d> {
    Model(&'d Script),
    Shared(std::rc::Rc<Script>),
    Owned(Script),
}

impl std::ops::Deref for ScriptRef<'_> {
    type Target = Script;

    fn deref(&self) -> &Script {
        match self {
            ScriptRef::Model(script) => script,
            ScriptRef::Shared(script) => script,
            ScriptRef::Owned(script) => script,
        }
    }
}

/// Every command of every script of a document.
pub fn commands<'s>(scripts: &'s [ScriptRef<'_>]) -> impl Iterator<Item = &'s shell::Command> {
    scripts.iter().flat_map(|s| s.commands.iter())
}
