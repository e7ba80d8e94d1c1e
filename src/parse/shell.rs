//! A small model of POSIX shell scripts, enough for rules to ask questions about commands
//! rather than grep raw text: "is `sudo` in command position?", "is `curl` piped into an
//! interpreter?", "which packages does this `apt-get install` name?".
//!
//! Written for this project instead of using `brush-parser` or `tree-sitter-bash`: those build a
//! full bash grammar (and tree-sitter a C runtime), while the rules need simple commands with
//! their words, pipelines, substitutions and source spans. The model tolerates what it does not
//! understand: an unknown construct becomes ordinary words, never an error.
//!
//! What it knows: words with single, double and backslash quoting; `&&`, `||`, `;`, `&`, `|`,
//! newlines; subshells and groups; `$(…)`, backticks and `<(…)`/`>(…)` (parsed recursively);
//! leading `VAR=value` assignments; redirections (including here-documents, whose bodies are
//! skipped); `if`/`while`/`for`/`case` keywords; and wrappers (`sudo`, `env`, `exec`, `xargs`,
//! `nice`, `nohup`, `time`, `command`, `sh -c '…'`), whose inner command becomes a command of
//! its own.

use crate::source::Span;

/// Maps a byte range of the parsed text to a source span.
pub type SpanMap<'a> = &'a dyn Fn(std::ops::Range<usize>) -> Span;

#[derive(Debug, Clone)]
pub struct Word {
    /// The value after quote removal (substitutions kept as written).
    pub text: String,
    /// The word as written, quotes included.
    pub raw: String,
    pub span: Span,
    /// Some part was quoted.
    pub quoted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Written as a command of the script.
    Direct,
    /// Inside `$(…)`, backticks or `<(…)`: its output feeds another command.
    Substitution,
    /// The command a wrapper (`sudo`, `env`, `xargs`, `sh -c`, …) runs.
    Wrapped,
}

#[derive(Debug, Clone)]
pub struct Command {
    /// Leading `NAME=value` words.
    pub assignments: Vec<Word>,
    /// The command name and its arguments (redirections removed).
    pub words: Vec<Word>,
    /// Redirection operators with their targets, e.g. (`>`, `file`).
    pub redirects: Vec<(String, Word)>,
    /// Commands of one pipeline share an id; `position` is the index within it.
    pub pipeline: usize,
    pub position: usize,
    pub origin: Origin,
    /// Index of the command this one came from (the wrapper or the substituting command).
    pub parent: Option<usize>,
}

impl Command {
    pub fn name(&self) -> Option<&str> {
        self.words.first().map(|w| w.text.as_str())
    }

    /// From the command's first word to its last; `None` for a command of assignments only.
    pub fn span(&self) -> Option<Span> {
        let first = self.words.first()?;
        Some(
            first
                .span
                .to(self.words.last().map_or(first.span, |l| l.span)),
        )
    }

    /// The command name without a path: `/usr/bin/curl` → `curl`.
    pub fn program(&self) -> Option<&str> {
        self.name().map(|n| n.rsplit('/').next().unwrap_or(n))
    }

    pub fn args(&self) -> &[Word] {
        self.words.get(1..).unwrap_or(&[])
    }

    /// True when any argument is one of `flags`; short flags also match inside clusters
    /// (`-fsSLk` has `-k`). Long flags match with or without `=value`.
    pub fn has_flag(&self, flags: &[&str]) -> bool {
        self.flag(flags).is_some()
    }

    /// The first argument that is one of `flags` (see `has_flag`).
    pub fn flag(&self, flags: &[&str]) -> Option<&Word> {
        self.args().iter().find(|w| flag_matches(&w.text, flags))
    }
}

pub fn flag_matches(arg: &str, flags: &[&str]) -> bool {
    flags.iter().any(|f| {
        if let Some(long) = f.strip_prefix("--") {
            arg.strip_prefix("--").is_some_and(|a| {
                a == long || a.strip_prefix(long).is_some_and(|r| r.starts_with('='))
            })
        } else if let Some(short) = f.strip_prefix('-') {
            arg == *f
                || (short.len() == 1
                    && arg.starts_with('-')
                    && !arg.starts_with("--")
                    && arg.len() > 2
                    && arg[1..].chars().all(|c| c.is_ascii_alphanumeric())
                    && arg[1..].contains(short))
        } else {
            arg == *f
        }
    })
}

/// Where `text` expands the shell variable `name`, as `${NAME}` or `$NAME` (not `$NAMED`).
pub fn expansion_of(text: &str, name: &str) -> Option<std::ops::Range<usize>> {
    for form in [format!("${{{name}}}"), format!("${name}")] {
        for (at, m) in text.match_indices(&form) {
            let after = &text[at + m.len()..];
            if !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                return Some(at..at + m.len());
            }
        }
    }
    None
}

#[derive(Debug, Clone, Default)]
pub struct Script {
    pub commands: Vec<Command>,
}

impl Script {
    /// Commands in pipeline order that share `cmd`'s pipeline.
    pub fn pipeline_of(&self, cmd: &Command) -> impl Iterator<Item = &Command> {
        let id = cmd.pipeline;
        self.commands.iter().filter(move |c| c.pipeline == id)
    }

    /// Commands nested under `index` (its substitutions and wrapped commands), transitively.
    pub fn descendants(&self, index: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut frontier = vec![index];
        while let Some(p) = frontier.pop() {
            for (i, c) in self.commands.iter().enumerate() {
                if c.parent == Some(p) {
                    out.push(i);
                    frontier.push(i);
                }
            }
        }
        out
    }
}

/// Shells that run a script given on standard input or with `-c`.
pub const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"];

/// Depth limit for nested substitutions and `sh -c` strings.
const MAX_DEPTH: usize = 16;

/// Parse `text`; spans of words come from `map`.
pub fn parse(text: &str, map: SpanMap) -> Script {
    let mut script = Script::default();
    let mut next_pipeline = 0;
    parse_into(
        text,
        map,
        &mut script,
        &mut next_pipeline,
        Origin::Direct,
        None,
        0,
    );
    // Scripts are kept while their file's rules run (one per `RUN` or `run:`): at their length.
    script.commands.shrink_to_fit();
    script
}

fn parse_into(
    text: &str,
    map: SpanMap,
    script: &mut Script,
    next_pipeline: &mut usize,
    origin: Origin,
    parent: Option<usize>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let tokens = tokenize(text);
    let mut current: Vec<Tok> = Vec::new();
    let mut pipeline = *next_pipeline;
    *next_pipeline += 1;
    let mut position = 0;
    let flush = |current: &mut Vec<Tok>,
                 script: &mut Script,
                 next_pipeline: &mut usize,
                 pipeline: usize,
                 position: usize| {
        if current.is_empty() {
            return;
        }
        let toks = std::mem::take(current);
        build_command(
            toks,
            text,
            map,
            script,
            next_pipeline,
            origin,
            parent,
            pipeline,
            position,
            depth,
        );
    };
    for tok in tokens {
        match tok.kind {
            TokKind::Op(ref op) if op == "|" || op == "|&" => {
                flush(&mut current, script, next_pipeline, pipeline, position);
                position += 1;
            }
            TokKind::Op(_) | TokKind::Newline => {
                flush(&mut current, script, next_pipeline, pipeline, position);
                pipeline = *next_pipeline;
                *next_pipeline += 1;
                position = 0;
            }
            _ => current.push(tok),
        }
    }
    flush(&mut current, script, next_pipeline, pipeline, position);
}

#[allow(clippy::too_many_arguments)]
fn build_command(
    toks: Vec<Tok>,
    text: &str,
    map: SpanMap,
    script: &mut Script,
    next_pipeline: &mut usize,
    origin: Origin,
    parent: Option<usize>,
    pipeline: usize,
    position: usize,
    depth: usize,
) {
    let mut assignments = Vec::new();
    let mut words = Vec::new();
    let mut redirects = Vec::new();
    let mut substitutions: Vec<(std::ops::Range<usize>, bool)> = Vec::new();
    let mut iter = toks.into_iter().peekable();
    while let Some(tok) = iter.next() {
        match tok.kind {
            TokKind::Redirect(op) => {
                if let Some(target) = iter.next_if(|t| matches!(t.kind, TokKind::Word { .. })) {
                    if let TokKind::Word { subs, .. } = &target.kind {
                        substitutions.extend(subs.iter().cloned());
                    }
                    redirects.push((op, word_of(&target, text, map)));
                }
            }
            TokKind::Word { ref subs, .. } => {
                substitutions.extend(subs.iter().cloned());
                let word = word_of(&tok, text, map);
                let at_start = words.is_empty();
                if at_start && is_assignment(&word.raw) {
                    assignments.push(word);
                } else if at_start && is_keyword(&word.text) && !word.quoted {
                    // `if`, `then`, `do`, `!`, `{`…: the next word starts the command.
                    if matches!(word.text.as_str(), "for" | "case" | "select") {
                        // `for x in a b` / `case $x in`: not a command; skip the header.
                        return;
                    }
                } else {
                    words.push(word);
                }
            }
            _ => {}
        }
    }
    if words.is_empty() && assignments.is_empty() && substitutions.is_empty() {
        return;
    }
    // Every run script of a file is kept while its rules run: each list at its length.
    words.shrink_to_fit();
    let index = script.commands.len();
    script.commands.push(Command {
        assignments,
        words,
        redirects,
        pipeline,
        position,
        origin,
        parent,
    });
    for (range, _process) in substitutions {
        let inner = &text[range.clone()];
        let base = range.start;
        let inner_map = move |r: std::ops::Range<usize>| map(base + r.start..base + r.end);
        parse_into(
            inner,
            &inner_map,
            script,
            next_pipeline,
            Origin::Substitution,
            Some(index),
            depth + 1,
        );
    }
    unwrap_wrappers(index, script, next_pipeline, depth);
}

/// When `script.commands[index]` is a wrapper, add the command it runs.
fn unwrap_wrappers(index: usize, script: &mut Script, next_pipeline: &mut usize, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let cmd = &script.commands[index];
    let Some(program) = cmd.program() else { return };
    let args = cmd.args();
    let inner_start = match program {
        "sudo" | "doas" => skip_options(
            args,
            &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"],
        ),
        "env" => skip_options(args, &["-u", "-C", "-S"]).map(|mut i| {
            while i < args.len() && is_assignment(&args[i].raw) {
                i += 1;
            }
            i
        }),
        "exec" | "command" | "builtin" | "nohup" | "time" | "stdbuf" | "ionice" | "chroot" => {
            skip_options(args, &["-a", "-o", "-e", "-i", "-c", "-n"])
        }
        "nice" => skip_options(args, &["-n"]),
        "timeout" => skip_options(args, &["-s", "-k", "--signal", "--kill-after"]).map(|i| i + 1),
        "xargs" => skip_options(
            args,
            &["-I", "-i", "-n", "-P", "-L", "-d", "-E", "-s", "-a"],
        ),
        p if SHELLS.contains(&p) => {
            // `sh -c 'script'`: parse the script.
            if let Some(pos) = args
                .iter()
                .position(|a| a.text == "-c" || flag_matches(&a.text, &["-c"]))
                && let Some(script_word) = args.get(pos + 1)
            {
                let word = script_word.clone();
                parse_word_as_script(&word, script, next_pipeline, index, depth);
            }
            return;
        }
        _ => return,
    };
    let Some(start) = inner_start.filter(|&s| s < args.len()) else {
        return;
    };
    let inner = Command {
        assignments: Vec::new(),
        words: args[start..].to_vec(),
        redirects: Vec::new(),
        pipeline: cmd.pipeline,
        position: cmd.position,
        origin: Origin::Wrapped,
        parent: Some(index),
    };
    script.commands.push(inner);
    let inner_index = script.commands.len() - 1;
    unwrap_wrappers(inner_index, script, next_pipeline, depth + 1);
}

/// Parse a word's value as a script (for `sh -c`). Spans are exact when the word is one plain
/// quoted string; otherwise every inner word points at the whole argument.
fn parse_word_as_script(
    word: &Word,
    script: &mut Script,
    next_pipeline: &mut usize,
    parent: usize,
    depth: usize,
) {
    let raw = word.raw.as_str();
    let exact = raw.len() >= 2
        && ((raw.starts_with('\'') && raw.ends_with('\'') && raw[1..raw.len() - 1] == word.text)
            || (raw.starts_with('"') && raw.ends_with('"') && raw[1..raw.len() - 1] == word.text))
        || raw == word.text;
    let span = word.span;
    let raw_len = raw.len();
    let offset = usize::from(raw != word.text);
    let inner_map = move |r: std::ops::Range<usize>| {
        // The word's span must cover exactly its raw text: when an outer mapping already
        // widened it (a nested `sh -c` that was not exact), offsets inside it mean nothing.
        if exact && span.len() == raw_len && raw_len >= r.end + offset {
            span.sub(r.start + offset, r.len())
        } else {
            span
        }
    };
    parse_into(
        &word.text,
        &inner_map,
        script,
        next_pipeline,
        Origin::Wrapped,
        Some(parent),
        depth + 1,
    );
}

/// Index of the first non-option argument, skipping options (and the values of those in
/// `with_value`). `--` ends the options.
fn skip_options(args: &[Word], with_value: &[&str]) -> Option<usize> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].text.as_str();
        if a == "--" {
            return Some(i + 1);
        }
        if !a.starts_with('-') || a == "-" {
            return Some(i);
        }
        if with_value.contains(&a) {
            i += 1;
        }
        i += 1;
    }
    None
}

pub fn is_assignment(raw: &str) -> bool {
    let Some(eq) = raw.find('=') else {
        return false;
    };
    let name = &raw[..eq];
    !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "if" | "then"
            | "else"
            | "elif"
            | "fi"
            | "do"
            | "done"
            | "while"
            | "until"
            | "for"
            | "case"
            | "esac"
            | "select"
            | "!"
            | "{"
            | "}"
            | "in"
            | "function"
    )
}

fn word_of(tok: &Tok, text: &str, map: SpanMap) -> Word {
    let TokKind::Word { value, quoted, .. } = &tok.kind else {
        unreachable!("only words become words")
    };
    Word {
        text: value.clone(),
        raw: text[tok.range.clone()].to_string(),
        span: map(tok.range.clone()),
        quoted: *quoted,
    }
}

#[derive(Debug)]
struct Tok {
    kind: TokKind,
    range: std::ops::Range<usize>,
}

#[derive(Debug)]
enum TokKind {
    Word {
        value: String,
        quoted: bool,
        /// Byte ranges (in the parsed text) of `$(…)`, backtick and `<(…)` bodies.
        subs: Vec<(std::ops::Range<usize>, bool)>,
    },
    Op(String),
    Redirect(String),
    Newline,
}

fn tokenize(text: &str) -> Vec<Tok> {
    let bytes = text.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let mut pending_heredocs: Vec<(String, bool)> = Vec::new();
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'\n' => {
                toks.push(Tok {
                    kind: TokKind::Newline,
                    range: i..i + 1,
                });
                i += 1;
                // Skip here-document bodies announced on the line just ended.
                for (delimiter, strip) in std::mem::take(&mut pending_heredocs) {
                    while i < bytes.len() {
                        let end = text[i..].find('\n').map_or(bytes.len(), |p| i + p);
                        let line = &text[i..end];
                        let line = if strip {
                            line.trim_start_matches('\t')
                        } else {
                            line
                        };
                        i = (end + 1).min(bytes.len());
                        if line.trim_end_matches('\r') == delimiter {
                            break;
                        }
                    }
                }
            }
            b'#' => {
                // A comment runs to the end of the line.
                i = text[i..].find('\n').map_or(bytes.len(), |p| i + p);
            }
            b'&' | b'|' | b';' => {
                // Compare bytes: the next character may be multi-byte.
                let two = &bytes[i..(i + 2).min(bytes.len())];
                let op = match two {
                    b"&&" => "&&",
                    b"||" => "||",
                    b";;" => ";;",
                    b"|&" => "|&",
                    b"&>" => {
                        toks.push(Tok {
                            kind: TokKind::Redirect("&>".into()),
                            range: i..i + 2,
                        });
                        i += 2;
                        continue;
                    }
                    _ => &text[i..i + 1],
                };
                toks.push(Tok {
                    kind: TokKind::Op(op.to_string()),
                    range: i..i + op.len(),
                });
                i += op.len();
            }
            b'(' | b')' => {
                toks.push(Tok {
                    kind: TokKind::Op((c as char).to_string()),
                    range: i..i + 1,
                });
                i += 1;
            }
            b'<' | b'>' if bytes.get(i + 1) != Some(&b'(') => {
                let start = i;
                let mut j = i + 1;
                while j < bytes.len()
                    && matches!(bytes[j], b'<' | b'>' | b'&' | b'-' | b'|')
                    && j - start < 3
                {
                    j += 1;
                }
                let op = text[start..j].to_string();
                i = j;
                if op.starts_with("<<") && !op.starts_with("<<<") {
                    // A here-document: remember its delimiter to skip the body.
                    while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                        i += 1;
                    }
                    let (word, next) = read_word(text, i);
                    if let TokKind::Word { value, .. } = &word.kind {
                        pending_heredocs.push((value.clone(), op.ends_with('-')));
                    }
                    i = next;
                    continue;
                }
                toks.push(Tok {
                    kind: TokKind::Redirect(op),
                    range: start..j,
                });
            }
            _ => {
                // Digits directly before a redirection are its file descriptor (`2>&1`).
                let (tok, next) = read_word(text, i);
                if next < bytes.len()
                    && matches!(bytes[next], b'<' | b'>')
                    && text[i..next].bytes().all(|b| b.is_ascii_digit())
                    && bytes.get(next + 1) != Some(&b'(')
                {
                    i = next;
                    continue;
                }
                toks.push(tok);
                i = next.max(i + 1);
            }
        }
    }
    toks
}

/// A `` `…` `` command substitution at `i`: its body is recorded in `subs` and its text copied
/// into the word; returns the index after the closing backquote.
fn backquoted(
    text: &str,
    i: usize,
    subs: &mut Vec<(std::ops::Range<usize>, bool)>,
    value: &mut String,
) -> usize {
    let close = text[i + 1..].find('`').map_or(text.len(), |p| i + 1 + p);
    subs.push((i + 1..close, false));
    value.push_str(&text[i..(close + 1).min(text.len())]);
    close + 1
}

/// Read one word starting at `start`; returns it and the index after it.
fn read_word(text: &str, start: usize) -> (Tok, usize) {
    let bytes = text.as_bytes();
    let mut i = start;
    let mut value = String::new();
    let mut quoted = false;
    let mut subs = Vec::new();
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b')' => break,
            b'(' if i == start => break,
            b'<' | b'>' if bytes.get(i + 1) == Some(&b'(') => {
                // Process substitution `<(…)`.
                let close = matching_paren(text, i + 1);
                subs.push((i + 2..close.min(text.len()), true));
                value.push_str(&text[i..(close + 1).min(text.len())]);
                i = close + 1;
            }
            b'<' | b'>' => break,
            b'\\' => {
                if let Some(next) = text[i + 1..].chars().next() {
                    if next != '\n' {
                        value.push(next);
                    }
                    quoted = true;
                    i += 1 + next.len_utf8();
                } else {
                    i += 1;
                }
            }
            b'\'' => {
                quoted = true;
                let close = text[i + 1..].find('\'').map_or(bytes.len(), |p| i + 1 + p);
                value.push_str(&text[i + 1..close]);
                i = close + 1;
            }
            b'"' => {
                quoted = true;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    match bytes[i] {
                        b'\\'
                            if i + 1 < bytes.len()
                                && matches!(bytes[i + 1], b'"' | b'\\' | b'$' | b'`' | b'\n') =>
                        {
                            if bytes[i + 1] != b'\n' {
                                value.push(bytes[i + 1] as char);
                            }
                            i += 2;
                        }
                        b'$' if bytes.get(i + 1) == Some(&b'(')
                            && bytes.get(i + 2) != Some(&b'(') =>
                        {
                            let close = matching_paren(text, i + 1);
                            subs.push((i + 2..close.min(text.len()), false));
                            value.push_str(&text[i..(close + 1).min(text.len())]);
                            i = close + 1;
                        }
                        b'`' => i = backquoted(text, i, &mut subs, &mut value),
                        _ => {
                            let ch = text[i..].chars().next().unwrap_or(' ');
                            value.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                i += 1;
            }
            b'$' if bytes.get(i + 1) == Some(&b'(') => {
                let arithmetic = bytes.get(i + 2) == Some(&b'(');
                let close = matching_paren(text, i + 1);
                if !arithmetic {
                    subs.push((i + 2..close.min(text.len()), false));
                }
                value.push_str(&text[i..(close + 1).min(text.len())]);
                i = close + 1;
            }
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                let close = text[i..].find('}').map_or(bytes.len(), |p| i + p);
                value.push_str(&text[i..(close + 1).min(text.len())]);
                i = close + 1;
            }
            b'`' => i = backquoted(text, i, &mut subs, &mut value),
            _ => {
                let ch = text[i..].chars().next().unwrap_or(' ');
                value.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    let end = i.min(bytes.len());
    (
        Tok {
            kind: TokKind::Word {
                value,
                quoted,
                subs,
            },
            range: start..end,
        },
        end,
    )
}

/// Index of the `)` closing the `(` at `open`, minding nesting and quotes; the text length when
/// unbalanced.
fn matching_paren(text: &str, open: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            b'\'' => {
                i = text[i + 1..].find('\'').map_or(bytes.len(), |p| i + 1 + p);
            }
            b'"' => {
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != b'"' {
                    if bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                i = j;
            }
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_plain(text: &str) -> Script {
        parse(text, &|r| Span::new(r.start, r.end))
    }

    fn names(script: &Script) -> Vec<String> {
        script
            .commands
            .iter()
            .map(|c| c.name().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn lists_pipelines_and_assignments() {
        let s = parse_plain(
            "A=1 apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y curl | tee log; echo done &",
        );
        assert_eq!(names(&s), ["apt-get", "apt-get", "tee", "echo"]);
        assert_eq!(s.commands[0].assignments[0].text, "A=1");
        assert_eq!(s.commands[1].pipeline, s.commands[2].pipeline);
        assert_eq!(s.commands[2].position, 1);
        assert_ne!(s.commands[0].pipeline, s.commands[1].pipeline);
        let install = &s.commands[1];
        assert_eq!(install.args()[2].text, "curl");
        let text = "A=1 apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y curl | tee log; echo done &";
        assert_eq!(&text[install.args()[2].span.range()], "curl");
    }

    #[test]
    fn quotes_and_escapes() {
        let s = parse_plain(r#"echo 'a b' "c $HOME d" e\ f "g\"h""#);
        let args: Vec<_> = s.commands[0]
            .args()
            .iter()
            .map(|w| w.text.as_str())
            .collect();
        assert_eq!(args, ["a b", "c $HOME d", "e f", "g\"h"]);
        assert!(s.commands[0].args()[0].quoted);
    }

    #[test]
    fn substitutions_are_commands_with_a_parent() {
        let text = r#"sh -c "$(curl -fsSL https://x.example/i.sh)" && bash <(wget -qO- https://y.example) && echo `id -u`"#;
        let s = parse_plain(text);
        let curl = s
            .commands
            .iter()
            .position(|c| c.name() == Some("curl"))
            .unwrap();
        assert_eq!(s.commands[curl].origin, Origin::Substitution);
        let parent = s.commands[curl].parent.unwrap();
        assert_eq!(s.commands[parent].name(), Some("sh"));
        assert_eq!(&text[s.commands[curl].words[0].span.range()], "curl");
        let wget = s
            .commands
            .iter()
            .find(|c| c.name() == Some("wget"))
            .unwrap();
        assert_eq!(s.commands[wget.parent.unwrap()].name(), Some("bash"));
        assert!(s.commands.iter().any(|c| c.name() == Some("id")));
    }

    #[test]
    fn wrappers_expose_the_inner_command() {
        let text = "sudo -u root apt-get install x && env A=b sudo rm -rf / && xargs -n1 sudo echo && sh -c 'sudo id'";
        let s = parse_plain(text);
        let sudo_positions: Vec<_> = s
            .commands
            .iter()
            .filter(|c| c.name() == Some("sudo"))
            .map(|c| &text[c.words[0].span.range()])
            .collect();
        assert_eq!(sudo_positions.len(), 4, "{:?}", names(&s));
        assert!(
            s.commands
                .iter()
                .any(|c| c.name() == Some("apt-get") && c.origin == Origin::Wrapped)
        );
        let id = s.commands.iter().find(|c| c.name() == Some("id")).unwrap();
        assert_eq!(&text[id.words[0].span.range()], "id");
    }

    #[test]
    fn keywords_redirects_and_heredocs() {
        let text = "if [ -f x ]; then curl -o f https://x 2>&1 > /dev/null; fi\ncat <<EOF > f\nsudo not a command\nEOF\nfor i in a b; do echo $i; done";
        let s = parse_plain(text);
        assert_eq!(names(&s), ["[", "curl", "cat", "echo"]);
        let curl = &s.commands[1];
        assert_eq!(curl.args().len(), 3);
        assert_eq!(curl.redirects.len(), 2);
    }

    #[test]
    fn flags_in_clusters() {
        let s = parse_plain("curl -fsSLk https://x --retry=3");
        assert!(s.commands[0].has_flag(&["-k", "--insecure"]));
        assert!(s.commands[0].has_flag(&["--retry"]));
        assert!(!s.commands[0].has_flag(&["-o"]));
    }

    #[test]
    fn does_not_loop_or_panic_on_junk() {
        for junk in [
            "$(",
            "`",
            "\"",
            "'",
            "<(",
            "a && && b",
            "$((1+2))",
            "${",
            "<<",
            "(((",
            ")))",
        ] {
            let _ = parse_plain(junk);
        }
    }
}
