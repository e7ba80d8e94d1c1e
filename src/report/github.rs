//! GitHub Actions workflow commands: one annotation per finding, and one per run-level warning
//! (what `--online` could not check), which would otherwise only be in the log.

use std::io::{self, Write};

use super::RenderContext;
use crate::finding::{Level, Report};

pub fn render(report: &Report, _cx: &RenderContext, out: &mut dyn Write) -> io::Result<()> {
    super::write_each(out, &report.findings, |out, _, f| {
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
        )
    })?;
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

/// Escaping of a command's message, as the Actions toolkit does it (`%`, `\r`, `\n`); other
/// control characters, which the log would pass to the terminal, are written as escapes
/// (`\x1b`).
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => {
                out.push_str(&crate::sink::escape_controls(c.encode_utf8(&mut [0; 4])))
            }
            c => out.push(c),
        }
    }
    out
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
        assert_eq!(
            escape_data("a\x1b[2J\r\tb\u{85}"),
            "a\\x1b[2J%0D\\tb\\u{85}"
        );
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
