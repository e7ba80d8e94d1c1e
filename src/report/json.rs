//! Portcullis' JSON output; its shape is documented in docs/json-output.md and only grows.
//! Findings are written one at a time, so memory does not grow with a second copy of them.

use std::io::{self, Write};

use serde_json::json;

use super::{RenderContext, VERSION};
use crate::finding::{Finding, Level, Report};
use crate::source::LineCol;

pub fn render(report: &Report, _cx: &RenderContext, out: &mut dyn Write) -> io::Result<()> {
    let head = json!({
        "version": 1,
        "tool": {"name": "portcullis", "version": VERSION},
        "summary": {
            "files_scanned": report.files_scanned,
            "findings": report.findings.len(),
            "errors": report.count(Level::Error),
            "warnings": report.count(Level::Warning),
            "notes": report.count(Level::Note),
            "suppressed": report.suppressed,
            "baselined": report.baselined,
            "outside_changes": report.outside_changes,
            "not_checked": report.not_checked,
            "below_min_level": report.below_min_level,
        },
    });
    // The head without its closing brace, then the findings array, then the notifications.
    let head = serde_json::to_string_pretty(&head)?;
    out.write_all(&head.as_bytes()[..head.len() - 2])?;
    out.write_all(b",\n  \"findings\": [")?;
    super::write_each(out, &report.findings, |out, i, f| {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        write_finding(out, f)
    })?;
    out.write_all(if report.findings.is_empty() {
        b"],\n  \"notifications\": "
    } else {
        b"\n  ],\n  \"notifications\": "
    })?;
    serde_json::to_writer(&mut *out, &report.notifications)?;
    out.write_all(b"\n}\n")
}

/// One finding as a JSON object, written field by field (keys in alphabetical order, as the
/// format has always had them) without building a JSON tree for it.
fn write_finding(out: &mut dyn Write, f: &Finding) -> io::Result<()> {
    let position = |out: &mut dyn Write, at: LineCol| {
        write!(out, "{{\"column\":{},\"line\":{}}}", at.column, at.line)
    };
    out.write_all(b"{\"end\":")?;
    position(out, f.location.end)?;
    out.write_all(b",\"fingerprint\":")?;
    serde_json::to_writer(&mut *out, &f.fingerprint)?;
    out.write_all(b",\"fix\":")?;
    match &f.fix {
        // Rare: through a JSON tree, whose maps keep their keys in order.
        Some(fix) => serde_json::to_writer(&mut *out, &serde_json::to_value(fix)?)?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b",\"help\":")?;
    serde_json::to_writer(&mut *out, &f.help)?;
    out.write_all(b",\"level\":")?;
    serde_json::to_writer(&mut *out, &f.level)?;
    out.write_all(b",\"message\":")?;
    serde_json::to_writer(&mut *out, &f.message)?;
    out.write_all(b",\"path\":")?;
    serde_json::to_writer(&mut *out, &f.location.path)?;
    out.write_all(b",\"related\":")?;
    if f.related.is_empty() {
        out.write_all(b"[]")?;
    } else {
        serde_json::to_writer(&mut *out, &serde_json::to_value(&f.related)?)?;
    }
    out.write_all(b",\"rule\":")?;
    serde_json::to_writer(&mut *out, f.rule.id)?;
    out.write_all(b",\"start\":")?;
    position(out, f.location.start)?;
    out.write_all(b"}")
}
