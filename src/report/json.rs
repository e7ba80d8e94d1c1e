//! Portcullis' JSON output; its shape is documented in docs/json-output.md and only grows.
//! Findings are written one at a time, so memory does not grow with a second copy of them.

use std::io::{self, Write};

use serde_json::json;

use super::{RenderContext, VERSION};
use crate::finding::{Level, Report};

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
    for (i, f) in report.findings.iter().enumerate() {
        let finding = json!({
            "rule": f.rule.id,
            "level": f.level,
            "path": f.location.path,
            "start": f.location.start,
            "end": f.location.end,
            "message": f.message,
            "help": f.help,
            "fingerprint": f.fingerprint,
            "related": f.related,
            "fix": f.fix,
        });
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        serde_json::to_writer(&mut *out, &finding)?;
    }
    out.write_all(if report.findings.is_empty() {
        b"],\n  \"notifications\": "
    } else {
        b"\n  ],\n  \"notifications\": "
    })?;
    serde_json::to_writer(&mut *out, &report.notifications)?;
    out.write_all(b"\n}\n")
}
