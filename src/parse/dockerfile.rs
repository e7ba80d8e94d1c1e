//! A Dockerfile parser that keeps positions: every instruction, flag and word knows its span,
//! through line continuations and heredocs.
//!
//! Written for this project rather than taken from the `dockerfile-parser` crate: that crate has
//! no heredoc support and fails on whole files where BuildKit accepts them, and a finding must
//! still point at the right word on the right physical line of a continued instruction.

use super::ParseError;
use super::shell::{self, Script};
use crate::source::Span;

/// Instructions BuildKit knows; anything else fails the build, so it is a parse error here.
const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

#[derive(Debug, Default)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// `ARG`s declared before the first `FROM`: the only variables `FROM` may use.
    pub global_args: Vec<(String, Option<String>)>,
}

#[derive(Debug, Clone)]
pub struct Instruction {
    /// Upper-cased keyword.
    pub keyword: String,
    pub keyword_span: Span,
    /// The whole instruction, continuation lines and heredoc bodies included.
    pub span: Span,
    pub flags: Vec<Flag>,
    /// The text after the keyword and flags, continuations joined, with a map back to the source.
    pub rest: Logical,
    /// Whitespace-separated words of `rest`, quotes kept as written.
    pub words: Vec<Word>,
    pub heredocs: Vec<Heredoc>,
    /// For `RUN` under a POSIX shell: the commands it runs (shell form, heredoc bodies run by
    /// the shell, `["sh", "-c", …]` and plain exec form). `None` for other instructions and for
    /// `RUN` under a non-POSIX `SHELL` (PowerShell, cmd).
    pub script: Option<Script>,
}

#[derive(Debug, Clone)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
    /// `--name=value` as written.
    pub span: Span,
    pub value_span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct Word {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Heredoc {
    pub delimiter: String,
    pub body: String,
    pub body_span: Span,
}

/// One build stage: a `FROM` and the instructions up to the next one.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Index of the `FROM` instruction.
    pub from: usize,
    /// Instructions of the stage, `FROM` excluded.
    pub body: std::ops::Range<usize>,
    /// The image word as written.
    pub image: Word,
    /// The image after substituting global `ARG`s; `None` when a variable has no value.
    pub resolved: Option<String>,
    /// `AS name`, lower-cased as BuildKit compares it.
    pub name: Option<String>,
    /// The earlier stage this one builds on (`FROM builder`).
    pub base_stage: Option<usize>,
}

impl Stage {
    pub fn is_scratch(&self) -> bool {
        self.resolved.as_deref() == Some("scratch")
    }
}

/// Joined text with segments mapping each logical byte back to a source byte.
#[derive(Debug, Clone, Default)]
pub struct Logical {
    pub text: String,
    /// (logical start, source start) of each contiguous piece, in order.
    segments: Vec<(u32, u32)>,
}

impl Logical {
    fn push(&mut self, piece: &str, source_start: usize) {
        if piece.is_empty() {
            return;
        }
        self.segments
            .push((self.text.len() as u32, source_start as u32));
        self.text.push_str(piece);
    }

    /// Source offset of logical byte `offset`.
    pub fn source_offset(&self, offset: usize) -> usize {
        let i = match self
            .segments
            .binary_search_by_key(&(offset as u32), |s| s.0)
        {
            Ok(i) => i,
            Err(0) => return self.segments.first().map_or(0, |s| s.1 as usize),
            Err(i) => i - 1,
        };
        let (logical, source) = self.segments[i];
        source as usize + offset - logical as usize
    }

    /// Source span of a logical range; a range that crosses a continuation ends where it ends.
    pub fn span(&self, range: std::ops::Range<usize>) -> Span {
        let start = self.source_offset(range.start);
        let end = if range.end > range.start {
            self.source_offset(range.end - 1) + 1
        } else {
            start
        };
        Span::new(start, end.max(start))
    }

    fn suffix(&self, from: usize) -> Logical {
        let mut out = Logical::default();
        for (i, &(logical, source)) in self.segments.iter().enumerate() {
            let end = self
                .segments
                .get(i + 1)
                .map_or(self.text.len(), |s| s.0 as usize);
            let logical = logical as usize;
            if end <= from {
                continue;
            }
            let skip = from.saturating_sub(logical);
            out.push(&self.text[logical + skip..end], source as usize + skip);
        }
        out
    }
}

struct Line {
    start: usize,
    /// End of content, before `\r\n` or `\n`.
    end: usize,
}

fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            let end = if i > start && text.as_bytes()[i - 1] == b'\r' {
                i - 1
            } else {
                i
            };
            lines.push(Line { start, end });
            start = i + 1;
        }
    }
    if start < text.len() {
        lines.push(Line {
            start,
            end: text.len(),
        });
    }
    lines
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Parse a Dockerfile. Parsing goes on past errors: the returned model holds every instruction
/// that could be read, and the errors say what could not.
pub fn parse(text: &str) -> (Dockerfile, Vec<ParseError>) {
    let lines = split_lines(text);
    let mut errors = Vec::new();
    let mut escape = '\\';
    let mut i = 0;
    // Parser directives: `# name=value` lines at the very top.
    while i < lines.len() {
        let line = &text[lines[i].start..lines[i].end];
        let Some(body) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((name, value)) = body.split_once('=') else {
            break;
        };
        let name = name.trim().to_ascii_lowercase();
        if !name.chars().all(|c| c.is_ascii_alphanumeric()) || name.is_empty() {
            break;
        }
        if name == "escape" {
            match value.trim() {
                "`" => escape = '`',
                "\\" => escape = '\\',
                _ => errors.push(ParseError::new(
                    Span::new(lines[i].start, lines[i].end),
                    format!("invalid escape directive `{}`", value.trim()),
                )),
            }
        }
        i += 1;
    }

    let mut instructions = Vec::new();
    while i < lines.len() {
        let line = &text[lines[i].start..lines[i].end];
        if line.trim().is_empty() || is_comment(line) {
            i += 1;
            continue;
        }
        // Gather the logical line across continuations.
        let mut logical = Logical::default();
        let first = i;
        let mut last;
        loop {
            let Line { start, end } = lines[i];
            let content = &text[start..end];
            let trimmed = content.trim_end();
            last = i;
            i += 1;
            if let Some(stripped) = trimmed.strip_suffix(escape) {
                logical.push(stripped, start);
                // Comment and empty lines inside a continuation are dropped, as BuildKit does.
                while i < lines.len() {
                    let next = &text[lines[i].start..lines[i].end];
                    if next.trim().is_empty() || is_comment(next) {
                        i += 1;
                    } else {
                        break;
                    }
                }
                if i >= lines.len() {
                    break;
                }
            } else {
                logical.push(content, start);
                break;
            }
        }
        let mut end = lines[last].end;
        let instruction_start = lines[first].start + (line.len() - line.trim_start().len());

        let text_l = logical.text.as_str();
        let kw_start = text_l.len() - text_l.trim_start().len();
        let kw_end = text_l[kw_start..]
            .find(char::is_whitespace)
            .map_or(text_l.len(), |p| kw_start + p);
        let keyword = text_l[kw_start..kw_end].to_ascii_uppercase();
        let keyword_span = logical.span(kw_start..kw_end);
        if !KEYWORDS.contains(&keyword.as_str()) {
            let word = &text_l[kw_start..kw_end];
            let message = if word.len() <= 20 && word.chars().all(|c| c.is_ascii_alphabetic()) {
                format!("unknown instruction `{word}`")
            } else {
                "unknown instruction (a line that does not start with a Dockerfile keyword)"
                    .to_string()
            };
            errors.push(ParseError::new(keyword_span, message));
            continue;
        }

        let mut rest = logical.suffix(kw_end);
        let mut flags = Vec::new();
        loop {
            let t = rest.text.as_str();
            let lead = t.len() - t.trim_start().len();
            if !t[lead..].starts_with("--") {
                break;
            }
            let word_end = t[lead..]
                .find(char::is_whitespace)
                .map_or(t.len(), |p| lead + p);
            let word = &t[lead + 2..word_end];
            let (name, value) = match word.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (word.to_string(), None),
            };
            let value_span = value
                .as_ref()
                .map(|v| rest.span(word_end - v.len()..word_end));
            flags.push(Flag {
                name,
                value,
                span: rest.span(lead..word_end),
                value_span,
            });
            rest = rest.suffix(word_end);
        }
        // The JSON form of a file list (`COPY ["a", "b", "./"]`, over several lines or not):
        // its items are the words, each as written with its quotes.
        let words = match keyword.as_str() {
            "COPY" | "ADD" | "VOLUME" => json_words(&rest).unwrap_or_else(|| split_words(&rest)),
            _ => split_words(&rest),
        };

        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (strip_tabs, delimiter) in heredoc_markers(&rest.text) {
                let body_start = lines.get(i).map_or(text.len(), |l| l.start);
                let mut body = String::new();
                let mut found = false;
                while i < lines.len() {
                    let raw = &text[lines[i].start..lines[i].end];
                    let check = if strip_tabs {
                        raw.trim_start_matches('\t')
                    } else {
                        raw
                    };
                    end = lines[i].end;
                    i += 1;
                    if check == delimiter {
                        found = true;
                        break;
                    }
                    body.push_str(check);
                    body.push('\n');
                }
                if !found {
                    errors.push(ParseError::new(
                        keyword_span,
                        format!("heredoc `{delimiter}` is not terminated"),
                    ));
                }
                let body_end = body_start + body.len().min(text.len() - body_start);
                heredocs.push(Heredoc {
                    delimiter,
                    body,
                    body_span: Span::new(body_start, body_end.max(body_start)),
                });
            }
        }

        instructions.push(Instruction {
            keyword,
            keyword_span,
            span: Span::new(instruction_start, end),
            flags,
            rest,
            words,
            heredocs,
            script: None,
        });
    }

    instructions.shrink_to_fit();
    let mut file = Dockerfile {
        instructions,
        ..Dockerfile::default()
    };
    build_stages(&mut file, &mut errors);
    parse_run_scripts(&mut file);
    (file, errors)
}

/// Parse every `RUN` as shell, following `SHELL` changes through the stages.
fn parse_run_scripts(file: &mut Dockerfile) {
    let mut stage_posix: Vec<bool> = Vec::new();
    let mut posix = true;
    // Stages are in file order: walk them with the instructions instead of searching.
    let mut next_stage = 0;
    for idx in 0..file.instructions.len() {
        if file.stages.get(next_stage).is_some_and(|s| s.from == idx) {
            let stage = next_stage;
            next_stage += 1;
            if let Some(previous) = stage.checked_sub(1) {
                stage_posix.resize(previous + 1, true);
                stage_posix[previous] = posix;
            }
            // A stage built on an earlier stage inherits its SHELL; an image starts with /bin/sh.
            posix = file.stages[stage]
                .base_stage
                .and_then(|b| stage_posix.get(b).copied())
                .unwrap_or(true);
            continue;
        }
        let ins = &file.instructions[idx];
        match ins.keyword.as_str() {
            "SHELL" => {
                let program = exec_form(&ins.rest.text)
                    .and_then(|items| items.into_iter().next())
                    .unwrap_or_default();
                let name = program
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                posix = shell::SHELLS.contains(&name.as_str());
            }
            "RUN" if posix => {
                let script = run_script(ins);
                file.instructions[idx].script = Some(script);
            }
            _ => {}
        }
    }
}

/// The items of a JSON-array argument as words (quotes kept, spans where each is written).
fn json_words(rest: &Logical) -> Option<Vec<Word>> {
    let items = exec_form(&rest.text)?;
    let mut words = Vec::new();
    let mut from = 0;
    for item in &items {
        let quoted = serde_json::to_string(item).ok()?;
        let start = from + rest.text[from..].find(&quoted)?;
        from = start + quoted.len();
        words.push(Word {
            text: quoted,
            span: rest.span(start..from),
        });
    }
    Some(words)
}

/// The JSON array of an exec-form instruction, if it is one.
pub fn exec_form(text: &str) -> Option<Vec<String>> {
    let t = text.trim();
    if !t.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(t).ok()
}

fn run_script(ins: &Instruction) -> Script {
    let rest = &ins.rest;
    if let Some(items) = exec_form(&rest.text) {
        // Exec form: each item is one word; find where it is written.
        let mut words = Vec::new();
        let mut from = 0;
        for item in &items {
            let quoted = serde_json::to_string(item).unwrap_or_default();
            let (start, len) = match rest.text[from..].find(&quoted) {
                Some(p) => (from + p, quoted.len()),
                None => (from, 0),
            };
            from = start + len;
            // Point inside the quotes when the item is written without escapes.
            let plain = len > 0 && quoted.len() == item.len() + 2;
            let range = if plain {
                start + 1..start + len - 1
            } else {
                start..start + len
            };
            words.push(shell::Word {
                text: item.clone(),
                raw: quoted.clone(),
                span: rest.span(range),
                quoted: true,
            });
        }
        let is_shell_c = items.len() >= 3
            && shell::SHELLS.contains(&items[0].rsplit('/').next().unwrap_or(""))
            && items[1] == "-c";
        if is_shell_c {
            let span = words[2].span;
            return shell::parse(&items[2], &|_| span);
        }
        return Script {
            commands: vec![shell::Command {
                assignments: Vec::new(),
                words,
                redirects: Vec::new(),
                pipeline: 0,
                position: 0,
                origin: shell::Origin::Direct,
                parent: None,
            }],
        };
    }
    let mut script = shell::parse(&rest.text, &|r| rest.span(r));
    // A heredoc with no command, or fed to a shell, is a script the shell runs.
    let runs_body = script.commands.is_empty()
        || script
            .commands
            .iter()
            .all(|c| c.program().is_some_and(|p| shell::SHELLS.contains(&p)));
    if runs_body {
        for heredoc in &ins.heredocs {
            let base = heredoc.body_span;
            let exact = base.len() == heredoc.body.len();
            let map = move |r: std::ops::Range<usize>| {
                if exact {
                    base.sub(r.start, r.len())
                } else {
                    base
                }
            };
            let body = shell::parse(&heredoc.body, &map);
            let offset = script.commands.len();
            let pipelines = script
                .commands
                .iter()
                .map(|c| c.pipeline + 1)
                .max()
                .unwrap_or(0);
            script
                .commands
                .extend(body.commands.into_iter().map(|mut c| {
                    c.pipeline += pipelines;
                    c.parent = c.parent.map(|p| p + offset);
                    c
                }));
        }
    }
    script
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"` markers in order; `<<<` here-strings are not heredocs.
fn heredoc_markers(text: &str) -> Vec<(bool, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = text[i..].find("<<") {
        let at = i + p;
        i = at + 2;
        if at > 0 && bytes[at - 1] == b'<' {
            continue;
        }
        if bytes.get(at + 2) == Some(&b'<') {
            // Past the third `<` (ASCII, so `at + 3` is a character boundary).
            i = at + 3;
            continue;
        }
        let mut j = at + 2;
        let strip = bytes.get(j) == Some(&b'-');
        if strip {
            j += 1;
        }
        let quote = match bytes.get(j) {
            Some(b'"') | Some(b'\'') => {
                j += 1;
                Some(bytes[j - 1])
            }
            _ => None,
        };
        let name_end = text[j..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(text.len(), |p| j + p);
        if name_end == j || !text[j..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
            continue;
        }
        if let Some(q) = quote
            && bytes.get(name_end) != Some(&q)
        {
            continue;
        }
        out.push((strip, text[j..name_end].to_string()));
        i = name_end;
    }
    out
}

/// Split on unquoted whitespace, keeping quotes in the word text.
fn split_words(logical: &Logical) -> Vec<Word> {
    let text = logical.text.as_str();
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    words.push(Word {
                        text: text[s..i].to_string(),
                        span: logical.span(s..i),
                    });
                }
                continue;
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '\\' => escaped = true,
            None => {}
        }
        if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        words.push(Word {
            text: text[s..].to_string(),
            span: logical.span(s..text.len()),
        });
    }
    // Kept for every instruction while the file's rules run: at its length.
    words.shrink_to_fit();
    words
}

fn build_stages(file: &mut Dockerfile, errors: &mut Vec<ParseError>) {
    let mut stages: Vec<Stage> = Vec::new();
    let mut stage_by_name: std::collections::HashMap<String, usize> =
        std::collections::HashMap::new();
    // The global ARGs by name; a later declaration replaces an earlier one.
    let mut global_values: std::collections::HashMap<String, Option<String>> =
        std::collections::HashMap::new();
    for (idx, ins) in file.instructions.iter().enumerate() {
        if ins.keyword == "ARG" && stages.is_empty() {
            for word in &ins.words {
                let (name, default) = match word.text.split_once('=') {
                    // A default may use the ARGs declared before it (`ARG IMAGE=${REG}/app`):
                    // expanded here, so chains resolve; one naming an unknown value is unknown.
                    Some((n, v)) => (
                        n.to_string(),
                        substitute(&unquote(v), &|var| {
                            global_values.get(var).cloned().flatten()
                        }),
                    ),
                    None => (word.text.clone(), None),
                };
                global_values.insert(name.clone(), default.clone());
                file.global_args.push((name, default));
            }
            continue;
        }
        if ins.keyword != "FROM" {
            if stages.is_empty() {
                errors.push(ParseError::new(
                    ins.keyword_span,
                    format!("`{}` before the first `FROM`", ins.keyword),
                ));
            }
            continue;
        }
        if let Some(prev) = stages.last_mut() {
            prev.body = prev.body.start..idx;
        }
        let Some(image) = ins.words.first().cloned() else {
            errors.push(ParseError::new(ins.keyword_span, "`FROM` names no image"));
            continue;
        };
        let name = match ins.words.get(1..3) {
            Some([as_kw, alias]) if as_kw.text.eq_ignore_ascii_case("as") => {
                Some(alias.text.to_ascii_lowercase())
            }
            _ => None,
        };
        let resolved = substitute(&image.text, &|var| {
            global_values.get(var).cloned().flatten()
        });
        let base_stage = resolved
            .as_deref()
            .and_then(|r| stage_by_name.get(&r.to_ascii_lowercase()).copied());
        if let Some(name) = &name {
            // Later stages refer to the first stage of a name (BuildKit rejects duplicates).
            stage_by_name.entry(name.clone()).or_insert(stages.len());
        }
        stages.push(Stage {
            from: idx,
            body: idx + 1..idx + 1,
            image,
            resolved,
            name,
            base_stage,
        });
    }
    if let Some(last) = stages.last_mut() {
        last.body = last.body.start..file.instructions.len();
    }
    if stages.is_empty() {
        errors.push(ParseError::new(
            Span::empty(0),
            "no `FROM` instruction: not a Dockerfile BuildKit can build",
        ));
    }
    file.stages = stages;
}

impl Dockerfile {
    /// The stage a `--from=`/`from=` value names: a stage name or index before `current`.
    pub fn stage_ref(&self, current: usize, name: &str) -> Option<usize> {
        if let Ok(n) = name.parse::<usize>() {
            return (n < current).then_some(n);
        }
        let lower = name.to_ascii_lowercase();
        self.stages[..current.min(self.stages.len())]
            .iter()
            .position(|s| s.name.as_deref() == Some(lower.as_str()))
    }

    /// The stages whose instructions reach the shipped image: the final stage, then the stage
    /// it is built `FROM`, and so on.
    pub fn final_chain(&self) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut current = self.stages.len().checked_sub(1);
        while let Some(stage) = current {
            if chain.contains(&stage) {
                break;
            }
            chain.push(stage);
            current = self.stages[stage].base_stage;
        }
        chain
    }

    /// Every command of every parsed `RUN`, with the index of its instruction.
    pub fn run_commands(&self) -> impl Iterator<Item = (usize, &Script, &shell::Command)> {
        self.instructions.iter().enumerate().flat_map(|(idx, ins)| {
            ins.script
                .iter()
                .flat_map(move |script| script.commands.iter().map(move |c| (idx, script, c)))
        })
    }

    /// `ENV`/`ARG` assignments of an instruction: (name, value, span of the whole assignment).
    /// Handles `KEY=value` pairs and the legacy `ENV KEY value` form.
    pub fn assignments(ins: &Instruction) -> Vec<(String, Option<String>, Span)> {
        if ins.keyword != "ENV" && ins.keyword != "ARG" {
            return Vec::new();
        }
        let legacy =
            ins.keyword == "ENV" && ins.words.first().is_some_and(|w| !w.text.contains('='));
        if legacy {
            let name = ins.words[0].text.clone();
            let value = ins.words[1..]
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let span = ins
                .words
                .last()
                .map_or(ins.words[0].span, |l| ins.words[0].span.to(l.span));
            return vec![(name, Some(unquote(&value)), span)];
        }
        ins.words
            .iter()
            .map(|w| match w.text.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(unquote(v)), w.span),
                None => (w.text.clone(), None, w.span),
            })
            .collect()
    }

    /// The stage whose body holds instruction `idx`.
    pub fn stage_of(&self, idx: usize) -> Option<usize> {
        self.stages
            .iter()
            .position(|s| s.body.contains(&idx) || s.from == idx)
    }

    /// Variables visible in stage `stage` before instruction `idx`: global ARGs redeclared in
    /// the stage, the stage's own ARGs and ENVs.
    pub fn lookup_in_stage(&self, stage: usize, idx: usize, var: &str) -> Option<String> {
        let st = self.stages.get(stage)?;
        let mut value: Option<String> = None;
        // An instruction before the stage (a `WORKDIR` ahead of the first `FROM`) sees none of it.
        let end = idx.clamp(st.body.start, st.body.end);
        for ins in &self.instructions[st.body.start..end] {
            if ins.keyword != "ARG" && ins.keyword != "ENV" {
                continue;
            }
            for word in &ins.words {
                let (name, default) = match word.text.split_once('=') {
                    Some((n, v)) => (n, Some(unquote(v))),
                    None => (word.text.as_str(), None),
                };
                if name != var {
                    continue;
                }
                value = match default {
                    Some(v) => Some(v),
                    None if ins.keyword == "ARG" => self
                        .global_args
                        .iter()
                        .rev()
                        .find(|(n, _)| n == var)
                        .and_then(|(_, v)| v.clone()),
                    None => value,
                };
            }
        }
        value
    }
}

pub fn unquote(value: &str) -> String {
    let v = value.trim();
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// Substitute `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alt}` the way BuildKit does for
/// `FROM`. `None` when a variable has neither a value nor a default.
pub fn substitute(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(p) = rest.find('$') {
        out.push_str(&rest[..p]);
        rest = &rest[p + 1..];
        if let Some(body) = rest.strip_prefix('{') {
            let close = body.find('}')?;
            let expr = &body[..close];
            rest = &body[close + 1..];
            let (name, op, arg) = match expr.find([':', '-', '+']) {
                Some(i) if expr[i..].starts_with(":-") => (&expr[..i], "-", &expr[i + 2..]),
                Some(i) if expr[i..].starts_with(":+") => (&expr[..i], "+", &expr[i + 2..]),
                Some(i) if expr[i..].starts_with('-') => (&expr[..i], "-", &expr[i + 1..]),
                Some(i) if expr[i..].starts_with('+') => (&expr[..i], "+", &expr[i + 1..]),
                _ => (expr, "", ""),
            };
            let value = lookup(name).filter(|v| !v.is_empty());
            match (op, value) {
                ("-", Some(v)) | ("", Some(v)) => out.push_str(&v),
                ("-", None) => out.push_str(arg),
                ("+", Some(_)) => out.push_str(arg),
                ("+", None) => {}
                _ => return None,
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                out.push('$');
                continue;
            }
            out.push_str(&lookup(&rest[..end]).filter(|v| !v.is_empty())?);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, span: Span) -> &str {
        &text[span.range()]
    }

    #[test]
    fn continuation_lines_keep_positions() {
        let text = "FROM alpine:3.20\nRUN apk add \\\n    # a comment\n    curl \\\n    git\n";
        let (file, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        let run = &file.instructions[1];
        assert_eq!(run.keyword, "RUN");
        let words: Vec<_> = run.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(words, ["apk", "add", "curl", "git"]);
        assert_eq!(at(text, run.words[2].span), "curl");
        assert_eq!(at(text, run.words[3].span), "git");
        assert!(at(text, run.span).ends_with("git"));
    }

    #[test]
    fn flags_and_stages() {
        let text = "ARG BASE=node:20\nFROM --platform=$BUILDPLATFORM ${BASE} AS Build\nRUN true\nFROM build\nCOPY --from=build /app /app\n";
        let (file, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        let from = &file.instructions[1];
        assert_eq!(from.flags[0].name, "platform");
        assert_eq!(at(text, from.flags[0].span), "--platform=$BUILDPLATFORM");
        assert_eq!(file.stages.len(), 2);
        assert_eq!(file.stages[0].resolved.as_deref(), Some("node:20"));
        assert_eq!(file.stages[0].name.as_deref(), Some("build"));
        assert_eq!(at(text, file.stages[0].image.span), "${BASE}");
        assert_eq!(file.stages[1].base_stage, Some(0));
        assert_eq!(file.stages[0].body, 2..3);
        assert_eq!(file.stage_ref(1, "BUILD"), Some(0));
        assert_eq!(file.stage_ref(1, "0"), Some(0));
        assert_eq!(file.stage_ref(1, "nginx"), None);
    }

    #[test]
    fn heredocs_are_part_of_the_instruction() {
        let text = "FROM alpine\nRUN <<EOF\napk add curl\nEOF\nUSER app\n";
        let (file, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        let run = &file.instructions[1];
        assert_eq!(run.heredocs.len(), 1);
        assert_eq!(run.heredocs[0].body, "apk add curl\n");
        assert_eq!(at(text, run.heredocs[0].body_span), "apk add curl\n");
        assert_eq!(file.instructions[2].keyword, "USER");
    }

    #[test]
    fn unterminated_heredoc_and_unknown_instruction_are_errors_but_parsing_goes_on() {
        let text = "FROM alpine\nFORM x\nRUN <<EOF\nnever ends\n";
        let (file, errors) = parse(text);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].message.contains("unknown instruction `FORM`"));
        assert!(errors[1].message.contains("not terminated"));
        assert_eq!(file.instructions.len(), 2);
    }

    #[test]
    fn escape_directive_and_crlf() {
        let text =
            "# escape=`\r\nFROM mcr.microsoft.com/windows:ltsc2022\r\nRUN dir `\r\n  c:\\\r\n";
        let (file, errors) = parse(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(file.instructions[1].words.len(), 2);
        assert_eq!(at(text, file.instructions[1].words[1].span), "c:\\");
    }

    #[test]
    fn here_strings_are_not_heredocs() {
        assert!(heredoc_markers("cat <<< \"$x\"").is_empty());
        assert_eq!(
            heredoc_markers("cat <<-'END' > f"),
            vec![(true, "END".into())]
        );
    }

    #[test]
    fn substitution() {
        let vars = |v: &str| (v == "TAG").then(|| "1.2".to_string());
        assert_eq!(substitute("img:${TAG}", &vars).as_deref(), Some("img:1.2"));
        assert_eq!(
            substitute("img:$TAG-x", &vars).as_deref(),
            Some("img:1.2-x")
        );
        assert_eq!(substitute("img:${NO:-3}", &vars).as_deref(), Some("img:3"));
        assert_eq!(
            substitute("img${TAG:+:pinned}", &vars).as_deref(),
            Some("img:pinned")
        );
        assert_eq!(substitute("img:${NO}", &vars), None);
    }

    #[test]
    fn no_from_is_an_error() {
        let (_, errors) = parse("# just a comment\n");
        assert_eq!(errors.len(), 1);
    }
}
