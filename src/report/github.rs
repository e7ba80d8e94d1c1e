//! GitHub Actions workflow commands: one annotation per finding, and one per run-level warning
//! (what `--online` could not check), which would otherwise only be in the log.

use std::io::{self, Write};

use super::RenderContext;
use crate::finding::{Level, Report};

pub fn render(report: &Report, _cx: &RenderContext, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        let command = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "notice",
        };
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&f.location.path),
            f.location.start.line,
            f.location.start.column,
            f.location.end.line,
            f.location.end.column,
            escape_property(&format!("portcullis {}: {}", f.rule.id, f.rule.summary)),
            escape_data(&message)
        )?;
    }
    for note in &report.notifications {
        if note.level == Level::Warning {
            writeln!(
                out,
                "::warning title=portcullis::{}",
                escape_data(&note.message)
            )?;
        }
    }
    Ok(())
}

/// Escaping of a command's message, as the Actions toolkit does it.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a command property value: also `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
