//! The one way Portcullis writes anything: messages on standard error, and every report,
//! summary, baseline or listing on standard output or in a file.
//!
//! What Portcullis writes can quote text it did not write: a scanned file's value, a server's
//! error, a configuration value, a path. So:
//!
//! - **Messages** (`error`, `warning`, …) are one line each: their secrets are masked (every
//!   secret the run found, once the scan has run) and their control characters are shown
//!   escaped (`\n`, `\r`, `\x1b`), so no quoted text can start a line of its own or move the
//!   terminal's cursor.
//! - **Outputs** ([`Output`]) are what renderers write into: the whole text is masked the same
//!   way before a byte leaves the process, and when it goes to standard output inside GitHub
//!   Actions (`GITHUB_ACTIONS=true`) no line can be a workflow command (`::…` or `##[…`, after
//!   leading spaces) unless the output *is* workflow commands, whose renderer escapes every value.
//!   Escaping for the destination's own syntax (JSON strings, Markdown cells, command values,
//!   terminal control characters) is the renderer's part; this is the backstop no renderer can
//!   skip.
//!
//! Nothing else in the crate may touch standard output or standard error: the lints in
//! `clippy.toml` refuse `print!`, `eprintln!`, `std::io::stdout` and `std::io::stderr` elsewhere.

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
    let masked = mask(message);
    let text = format!("{prefix}{}\n", escape_controls(&masked));
    // Standard error closed (a pipe that went away): nothing more can be said.
    #[allow(clippy::disallowed_methods)] // the sink itself
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Lines clap (or another library) rendered for the terminal, such as a usage error quoting an
/// argument: each line escaped and kept out of the runner's command syntax.
pub fn preformatted(text: &str, to_stdout: bool) {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(&neutralize_command(&escape_controls(&mask(line))));
        out.push('\n');
    }
    #[allow(clippy::disallowed_methods)] // the sink itself
    let _ = if to_stdout {
        std::io::stdout().lock().write_all(out.as_bytes())
    } else {
        std::io::stderr().lock().write_all(out.as_bytes())
    };
}

/// `text` with the run's known secrets masked.
fn mask(text: &str) -> Cow<'_, str> {
    match known_secrets().read() {
        Ok(known) if !known.is_empty() => known.scrub(text),
        _ => Cow::Borrowed(text),
    }
}

/// Whether standard output and error are read by a GitHub Actions runner, which executes
/// lines that look like workflow commands.
fn on_actions_runner() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// A line that the runner would take as a workflow command (`::name …::` or the older
/// `##[name]`, after leading whitespace), with its first character escaped so it is printed
/// instead; any other line as it is.
pub fn neutralize_command(line: &str) -> Cow<'_, str> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if trimmed.starts_with("::") || trimmed.starts_with("##[") {
        let first = trimmed.as_bytes()[0];
        Cow::Owned(format!(
            "{}\\x{first:02x}{}",
            &line[..indent],
            &trimmed[1..]
        ))
    } else {
        Cow::Borrowed(line)
    }
}

/// Whether standard output is a terminal (colours, by default, only then).
pub fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    #[allow(clippy::disallowed_methods)] // asks, writes nothing
    std::io::stdout().is_terminal()
}

/// `text` with control characters escaped except the line breaks and tabs that lay it out
/// (for a diff or listing of scanned lines).
pub fn escape_controls_keeping_lines(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Cow::Borrowed(text);
    }
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            line.split('\t')
                .map(|part| escape_controls(part).into_owned())
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect();
    Cow::Owned(lines.join("\n"))
}

/// Where an [`Output`] goes.
enum Target {
    Stdout,
    File(std::fs::File),
}

/// Every report, summary, baseline, listing or diff Portcullis writes goes into one of these.
/// Renderers get it as a plain `Write`; the text is held until [`Output::finish`], which masks
/// the run's secrets in all of it and, for standard output on a GitHub Actions runner, keeps
/// every line out of the runner's command syntax.
pub struct Output {
    target: Option<Target>,
    text: Vec<u8>,
    /// Where the last line break in `text` is: each write searches only the bytes it adds,
    /// so a long line written in many small pieces costs linear time.
    last_break: Option<usize>,
    /// The renderer writes workflow commands on purpose (the `github` format) and escapes
    /// their values itself.
    commands: bool,
}

impl Output {
    /// Standard output.
    pub fn stdout() -> Output {
        Output {
            target: Some(Target::Stdout),
            text: Vec::new(),
            last_break: None,
            commands: false,
        }
    }

    /// Standard output, for workflow commands the renderer writes on purpose.
    pub fn stdout_commands() -> Output {
        Output {
            target: Some(Target::Stdout),
            text: Vec::new(),
            last_break: None,
            commands: true,
        }
    }

    /// A new file at `path` (replacing one that is there).
    pub fn create(path: &std::path::Path) -> std::io::Result<Output> {
        Ok(Output::file(std::fs::File::create(path)?))
    }

    /// The end of the file at `path` (created when missing), as `$GITHUB_STEP_SUMMARY` and
    /// `$GITHUB_OUTPUT` are written.
    pub fn append(path: &std::path::Path) -> std::io::Result<Output> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Output::file(file))
    }

    fn file(file: std::fs::File) -> Output {
        Output {
            target: Some(Target::File(file)),
            text: Vec::new(),
            last_break: None,
            commands: false,
        }
    }

    /// Mask, guard and write everything written so far.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.write_out()
    }

    fn write_out(&mut self) -> std::io::Result<()> {
        let raw = std::mem::take(&mut self.text);
        self.last_break = None;
        self.pass(&raw)?;
        let Some(target) = self.target.take() else {
            return Ok(());
        };
        match target {
            Target::Stdout => {
                #[allow(clippy::disallowed_methods)] // the sink itself
                std::io::stdout().lock().flush()
            }
            Target::File(mut file) => file.flush(),
        }
    }

    /// Mask and escape whole lines of text and write them to the target.
    fn pass(&mut self, raw: &[u8]) -> std::io::Result<()> {
        use rayon::prelude::*;
        if raw.is_empty() {
            return Ok(());
        }
        let commands = self.commands;
        let Some(target) = self.target.as_mut() else {
            return Ok(());
        };
        let guard = matches!(target, Target::Stdout) && on_actions_runner() && !commands;
        // Pieces of whole lines, masked on every core.
        let pieces: Vec<Cow<'_, str>> = line_pieces(raw, PIECE)
            .par_iter()
            .map(|piece| {
                // Renderers write UTF-8; should one not, the bytes are shown as U+FFFD, never
                // passed.
                let text = match String::from_utf8_lossy(piece) {
                    Cow::Borrowed(text) => mask(text),
                    Cow::Owned(text) => Cow::Owned(mask(&text).into_owned()),
                };
                if guard {
                    match guard_lines(&text) {
                        Cow::Borrowed(_) => text,
                        Cow::Owned(guarded) => Cow::Owned(guarded),
                    }
                } else {
                    text
                }
            })
            .collect();
        for piece in pieces {
            match target {
                #[allow(clippy::disallowed_methods)] // the sink itself
                Target::Stdout => std::io::stdout().lock().write_all(piece.as_bytes())?,
                Target::File(file) => file.write_all(piece.as_bytes())?,
            }
        }
        Ok(())
    }
}

/// Bytes masked at once on one core.
const PIECE: usize = 64 * 1024;

/// `raw` cut into pieces of about `size` bytes, each ending at a line break (but the last).
fn line_pieces(raw: &[u8], size: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut rest = raw;
    while rest.len() > size {
        let Some(end) = rest[size..].iter().position(|&b| b == b'\n') else {
            break;
        };
        let (piece, after) = rest.split_at(size + end + 1);
        pieces.push(piece);
        rest = after;
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
}

/// Bytes an output holds before it writes its complete lines: memory stays bounded however
/// large the report. Masking and escaping work on whole lines (no secret spans a line break).
const CHUNK: usize = 1024 * 1024;

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Some(at) = bytes.iter().rposition(|&b| b == b'\n') {
            self.last_break = Some(self.text.len() + at);
        }
        self.text.extend_from_slice(bytes);
        if self.text.len() >= CHUNK
            && let Some(last) = self.last_break.take()
        {
            let rest = self.text.split_off(last + 1);
            let lines = std::mem::replace(&mut self.text, rest);
            self.pass(&lines)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Output {
    /// An output dropped without `finish` (an early return) is still written, masked.
    fn drop(&mut self) {
        let _ = self.write_out();
    }
}

/// `text` with every line that looks like a workflow command neutralized.
fn guard_lines(text: &str) -> Cow<'_, str> {
    if !text
        .split('\n')
        .any(|line| matches!(neutralize_command(line), Cow::Owned(_)))
    {
        return Cow::Borrowed(text);
    }
    let guarded: Vec<Cow<'_, str>> = text.split('\n').map(neutralize_command).collect();
    Cow::Owned(guarded.join("\n"))
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
    fn small_writes_of_long_lines_keep_every_byte() {
        let dir = std::env::temp_dir().join(format!("portcullis-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.json");
        let mut expected = Vec::new();
        for (i, len) in [CHUNK + 10, 3, 2 * CHUNK, 0, 17].into_iter().enumerate() {
            expected.extend(std::iter::repeat_n(b'a' + i as u8, len));
            expected.push(b'\n');
        }
        expected.extend_from_slice(b"no line break at the end");
        let mut out = Output::create(&path).unwrap();
        for piece in expected.chunks(7) {
            out.write_all(piece).unwrap();
        }
        out.finish().unwrap();
        assert!(std::fs::read(&path).unwrap() == expected);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn pieces_end_at_line_breaks_and_keep_every_byte() {
        let text = b"one\ntwo two\nthree three three\nno break at the end";
        for size in 0..text.len() + 2 {
            let pieces = line_pieces(text, size);
            assert_eq!(pieces.concat(), text.to_vec(), "size {size}");
            for piece in &pieces[..pieces.len() - 1] {
                assert!(piece.ends_with(b"\n"), "size {size}: {piece:?}");
                assert!(piece.len() > size, "size {size}: {piece:?}");
            }
        }
        assert!(line_pieces(b"", 4).is_empty());
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(
            escape_controls("a\n::stop-commands::x\r\x1b[2Jb\u{85}"),
            "a\\n::stop-commands::x\\r\\x1b[2Jb\\u{85}"
        );
        assert!(matches!(escape_controls("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn command_lines_are_neutralized() {
        assert_eq!(
            guard_lines("ok\n  ::error::forged\n##[warning]x\na :: b\n"),
            "ok\n  \\x3a:error::forged\n\\x23#[warning]x\na :: b\n"
        );
        assert!(matches!(guard_lines("a\nb::c\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn outputs_mask_known_secrets_in_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        learn_secrets(&Redactor::new([("s3cretvalue99".to_string(), 0)]));
        let mut out = Output::create(&path).unwrap();
        out.write_all(b"value s3cretvalue99 and s3cretvalue99x\n")
            .unwrap();
        out.finish().unwrap();
        learn_secrets(&Redactor::default());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "value \u{2026}[redacted] and s3cretvalue99x\n"
        );
    }
}
