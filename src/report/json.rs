//! Portcullis' JSON output; its shape is documented in docs/json-output.md and only grows.

use std::io::{self, Write};

use serde_json::json;

use super::{RenderContext, VERSION};
use crate::finding::{Level, Report};

pub fn render(report: &Report, _cx: &RenderContext, out: &mut dyn Write) -> io::Result<()> {
    let findings: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule.id,
                "level": f.level,
                "path": f.location.path,
                "start": f.location.start,
                "end": f.location.end,
                "message": f.message,
                "help": f.help,
                "fingerprint": f.fingerprint,
                "related": f.related,
            })
        })
        .collect();
    let doc = json!({
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
            "not_checked": report.not_checked,
        },
        "findings": findings,
        "notifications": report.notifications,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
