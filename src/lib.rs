//! Portcullis: a security gate for Dockerfiles, compose files and GitHub Actions workflows.
//!
//! The pipeline is visible in the module tree: [`discover`] finds and classifies files,
//! [`parse`] builds located models, [`rules`] check them, [`scan`] runs it all and applies
//! suppressions, and [`report`] renders the findings. A finding carries its rule's
//! [`descriptor`] (id, level, docs), never the check that produced it, so findings,
//! configuration and renderers do not depend on the rules.

pub mod action;
pub mod app;
pub mod baseline;
pub mod changes;
pub mod cli;
pub mod config;
pub mod descriptor;
pub mod discover;
pub mod docs;
pub mod finding;
pub mod fingerprint;
pub mod fix;
pub mod fuzzing;
pub mod github;
pub mod history;
pub mod net;
pub mod online;
pub mod org;
pub mod parse;
pub mod redact;
pub mod registry;
pub mod report;
pub mod rules;
pub mod scan;
pub mod sink;
pub mod source;
pub mod suppress;
pub mod tracked;
pub mod upload;

pub use finding::{Finding, Level, Report};
pub use scan::{ScanOptions, scan};
