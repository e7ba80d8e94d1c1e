//! The one way Portcullis writes messages on standard error.
//!
//! Messages can quote text Portcullis did not write: a scanned file's value, a server's error,
//! a configuration value, a path. Each message is one line: its secrets are masked (every
//! secret the run found, once the scan has run) and its control characters are shown escaped
//! (`\n`, `\r`, `\x1b`), so no scanned or server-supplied text can start a line of its own — in
//! a GitHub Actions log, a line starting with `::` is a command the runner executes — or move
//! the terminal's cursor.

use std::borrow::Cow;
use std::io::Write;
use std::sync::{OnceLock, RwLock};

use crate::redact::Redactor;

fn known_secrets() -> &'static RwLock<Redactor> {
    static SECRETS: OnceLock<RwLock<Redactor>> = OnceLock::new();
    SECRETS.get_or_init(|| RwLock::new(Redactor::default()))
}

/// Mask the run's secrets in every later message.
pub fn learn_secrets(redactor: &Redactor) {
    if let Ok(mut known) = known_secrets().write() {
        *known = redactor.clone();
    }
}

pub fn error(message: impl std::fmt::Display) {
    line("error: ", &message.to_string());
}

pub fn warning(message: impl std::fmt::Display) {
    line("warning: ", &message.to_string());
}

pub fn note(message: impl std::fmt::Display) {
    line("note: ", &message.to_string());
}

pub fn notice(message: impl std::fmt::Display) {
    line("notice: ", &message.to_string());
}

/// A progress or result line: `portcullis: …`.
pub fn info(message: impl std::fmt::Display) {
    line("portcullis: ", &message.to_string());
}

fn line(prefix: &str, message: &str) {
    let masked = match known_secrets().read() {
        Ok(known) => known.scrub(message).into_owned(),
        Err(_) => message.to_string(),
    };
    let text = format!("{prefix}{}\n", escape_controls(&masked));
    // Standard error closed (a pipe that went away): nothing more can be said.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `text` with control characters written as escapes: `\n`, `\r`, `\t`, `\x1b`, `\u{85}`.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            escape_controls("a\n::stop-commands::x\r\x1b[2Jb\u{85}"),
            "a\\n::stop-commands::x\\r\\x1b[2Jb\\u{85}"
        );
        assert!(matches!(escape_controls("plain"), Cow::Borrowed("plain")));
    }
}
