//! What the image does when it runs: its user, ports, health check and file permissions.

pub mod copy_whole_stage;
pub mod missing_healthcheck;
pub mod root_user;
pub mod ssh_port_exposed;
pub mod sudo_in_run;
pub mod system_dir_workdir;
pub mod world_writable;

use std::path::Path;

use crate::finding::Location;
use crate::parse::dockerfile;
use crate::rules::DockerfileFacts;
use crate::source::{FileKind, SourceFile, Span};

/// Summarise a Dockerfile for the compose rules; `None` without a build stage.
pub fn facts(path: &Path, text: &str, cwd: &Path) -> Option<DockerfileFacts> {
    let (file, _) = dockerfile::parse(text);
    let chain = file.final_chain();
    let final_stage = *chain.first()?;
    let display = crate::discover::display_path(path, cwd);
    let source = SourceFile::new(display, FileKind::Dockerfile, text.to_string());
    let location = |span: Span| Location {
        path: source.path.clone(),
        start: source.line_col(span.start as usize),
        end: source.line_col(span.end as usize),
    };
    let stage = &file.stages[final_stage];
    let from = &file.instructions[stage.from];
    let runs_as_root =
        root_user::verdict(&file, &chain).map(|(root, span, _)| (root, location(span)));
    let has_healthcheck =
        missing_healthcheck::healthcheck(&file, &chain).is_some_and(|(none, _)| !none);
    let copies_context = crate::rules::secrets::build_context_leak::whole_context_copies(&file)
        .first()
        .map(|(_, span)| location(*span));
    Some(DockerfileFacts {
        runs_as_root,
        final_from: location(from.keyword_span.to(stage.image.span)),
        has_healthcheck,
        copies_context,
    })
}
