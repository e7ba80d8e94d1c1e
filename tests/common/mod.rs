//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use portcullis::config::Config;
use portcullis::{Report, ScanOptions, scan};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Scan `dir` as its own project: paths relative to it, its own `portcullis.toml` if any.
pub fn scan_dir(dir: &Path) -> Report {
    let config = match dir.join("portcullis.toml") {
        p if p.is_file() => Config::load(&p).expect("fixture config is valid"),
        _ => Config::default(),
    };
    scan(&ScanOptions {
        roots: vec![dir.to_path_buf()],
        config,
        cwd: dir.to_path_buf(),
        only: None,
    })
}

/// One line per finding: `path:line:col-line:col level message`.
pub fn render_findings(report: &Report, rule: Option<&str>) -> String {
    let mut out = String::new();
    for f in &report.findings {
        if rule.is_some_and(|r| r != f.rule.id) {
            continue;
        }
        out.push_str(&format!(
            "{}:{}:{}-{}:{} {} {}\n",
            f.location.path,
            f.location.start.line,
            f.location.start.column,
            f.location.end.line,
            f.location.end.column,
            f.level.as_str(),
            f.message
        ));
    }
    out
}

/// Write `text` to `dir/rel`, creating folders.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
}
