//! Parsers that turn a file's text into a located model: every node knows its byte span.

pub mod compose;
pub mod compose_keys;
pub mod dockerfile;
pub mod env;
pub mod expr;
pub mod image;
pub mod interpolate;
pub mod json5;
pub mod shell;
pub mod workflow;
pub mod yaml;

use crate::source::{FileKind, Span};

/// Why (part of) a file could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
}

impl ParseError {
    pub fn new(span: Span, message: impl Into<String>) -> ParseError {
        ParseError {
            span,
            message: message.into(),
        }
    }
}

/// A parsed file.
pub enum Document {
    Dockerfile(dockerfile::Dockerfile),
    Compose(yaml::Node),
    Workflow(yaml::Node),
    Action(yaml::Node),
    /// `.github/dependabot.yml`.
    DependencyBot(yaml::Node),
    Env(env::EnvFile),
    /// `.dockerignore` files are read for their patterns by the rules that need them.
    Dockerignore,
    /// A file that could not be parsed: only text-level rules (secrets) look at it.
    Unparsed,
}

/// Parse `text` as `kind`. Best effort: a model (when one could be built) and the errors met.
pub fn parse(kind: FileKind, text: &str) -> (Option<Document>, Vec<ParseError>) {
    match kind {
        FileKind::Dockerfile => {
            let (file, errors) = dockerfile::parse(text);
            (Some(Document::Dockerfile(file)), errors)
        }
        FileKind::Env => (Some(Document::Env(env::parse(text))), Vec::new()),
        FileKind::Dockerignore => (Some(Document::Dockerignore), Vec::new()),
        FileKind::Text => (Some(Document::Unparsed), Vec::new()),
        FileKind::Compose | FileKind::Workflow | FileKind::Action | FileKind::DependencyBot => {
            // Renovate's JSON and JSON5 are read as YAML flow content (JSON is YAML) once
            // comments are blanked out, so that every value keeps its place in the file.
            let json;
            let text = match kind {
                FileKind::DependencyBot if json5::is_object(text) => {
                    json = json5::as_yaml(text);
                    json.as_str()
                }
                _ => text,
            };
            match yaml::parse(text) {
                Err(e) => (None, vec![e]),
                Ok(None) => (None, Vec::new()),
                Ok(Some(root)) if root.as_map().is_none() => (
                    None,
                    vec![ParseError::new(
                        root.span,
                        format!("a {} must be a mapping at the top level", kind.name()),
                    )],
                ),
                Ok(Some(root)) => (
                    Some(match kind {
                        FileKind::Compose => Document::Compose(root),
                        FileKind::Workflow => Document::Workflow(root),
                        FileKind::DependencyBot => Document::DependencyBot(root),
                        _ => Document::Action(root),
                    }),
                    Vec::new(),
                ),
            }
        }
    }
}
