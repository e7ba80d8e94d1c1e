//! Source text, byte spans and the one conversion from a span to 1-based line and column.

use std::fmt;

/// A half-open byte range `start..end` into a file's text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end, "span {start}..{end} is reversed");
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn empty(at: usize) -> Span {
        Span::new(at, at)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The sub-span `offset..offset + len` relative to this span's start.
    pub fn sub(self, offset: usize, len: usize) -> Span {
        let start = self.start as usize + offset;
        Span::new(start, start + len)
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn contains(self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A 1-based line and column; columns count Unicode code points.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash, serde::Serialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// Line-start offsets of a text, built once per file so that every conversion is a binary search.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
    ascii: bool,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0u32];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        LineIndex {
            starts,
            ascii: text.is_ascii(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line number holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&(offset as u32)) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Byte range of 0-based `line`, without its line terminator (`\n` or `\r\n`).
    pub fn line_span(&self, text: &str, line: usize) -> Span {
        let start = self.starts[line] as usize;
        let mut end = self
            .starts
            .get(line + 1)
            .map(|&s| s as usize)
            .unwrap_or(text.len());
        let bytes = text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        Span::new(start, end)
    }

    /// The one conversion from a byte offset to a 1-based line and code-point column.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.starts[line] as usize;
        let column = if self.ascii {
            offset - start
        } else {
            text[start..offset].chars().count()
        };
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }
}

/// `line` from character `skip` on, at most `width` characters, with `…` where it is cut; and
/// how many characters the leading `…` adds. Long lines (minified files, walls of tokens) are
/// shown around what matters instead of whole.
pub fn window(line: &str, skip: usize, width: usize) -> (std::borrow::Cow<'_, str>, usize) {
    let count = line.chars().count();
    if count <= width && skip == 0 {
        return (std::borrow::Cow::Borrowed(line), 0);
    }
    let skip = skip.min(count);
    let mut shown = String::with_capacity(width + 8);
    if skip > 0 {
        shown.push('…');
    }
    shown.extend(line.chars().skip(skip).take(width));
    if count > skip + width {
        shown.push('…');
    }
    (std::borrow::Cow::Owned(shown), usize::from(skip > 0))
}

pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// What kind of file a path is; decides which parser and which rules see it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Dockerfile,
    Compose,
    Workflow,
    Action,
    Env,
    Dockerignore,
    /// Dependency-bot configuration: `.github/dependabot.yml`.
    DependencyBot,
    /// Any other text file, scanned for secrets with `--secrets-scope all`.
    Text,
}

impl FileKind {
    pub const ALL: [FileKind; 8] = [
        FileKind::Dockerfile,
        FileKind::Compose,
        FileKind::Workflow,
        FileKind::Action,
        FileKind::Env,
        FileKind::Dockerignore,
        FileKind::DependencyBot,
        FileKind::Text,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FileKind::Dockerfile => "Dockerfile",
            FileKind::Compose => "compose file",
            FileKind::Workflow => "workflow",
            FileKind::Action => "action metadata",
            FileKind::Env => "env file",
            FileKind::Dockerignore => ".dockerignore",
            FileKind::DependencyBot => "dependency-bot configuration",
            FileKind::Text => "text file",
        }
    }
}

/// A file's decoded text with its line index. The text is the file minus any UTF-8 byte-order
/// mark; `bom` records whether one was removed so that offsets are still about the same text.
pub struct SourceFile {
    /// Path relative to the scan root, with forward slashes.
    pub path: String,
    pub kind: FileKind,
    pub text: String,
    pub lines: LineIndex,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, kind: FileKind, text: String) -> SourceFile {
        let lines = LineIndex::new(&text);
        SourceFile {
            path: path.into(),
            kind,
            text,
            lines,
        }
    }

    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.range()]
    }

    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }

    /// The text of 1-based `line`, without terminator.
    pub fn line_text(&self, line: u32) -> &str {
        let span = self.lines.line_span(&self.text, line as usize - 1);
        &self.text[span.range()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_code_points() {
        let text = "ab\nçé x\r\nlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(idx.line_col(text, 2), LineCol { line: 1, column: 3 });
        assert_eq!(idx.line_col(text, 3), LineCol { line: 2, column: 1 });
        // 'x' is after two 2-byte characters and a space.
        let x = text.find('x').unwrap();
        assert_eq!(idx.line_col(text, x), LineCol { line: 2, column: 4 });
        let last = text.find("last").unwrap();
        assert_eq!(idx.line_col(text, last), LineCol { line: 3, column: 1 });
        assert_eq!(
            idx.line_col(text, text.len()),
            LineCol { line: 3, column: 5 }
        );
    }

    #[test]
    fn line_span_strips_crlf() {
        let text = "one\r\ntwo\nthree";
        let idx = LineIndex::new(text);
        assert_eq!(&text[idx.line_span(text, 0).range()], "one");
        assert_eq!(&text[idx.line_span(text, 1).range()], "two");
        assert_eq!(&text[idx.line_span(text, 2).range()], "three");
        assert_eq!(idx.line_count(), 3);
    }

    #[test]
    fn offsets_inside_a_character_round_down() {
        let text = "é";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 1), LineCol { line: 1, column: 1 });
    }
}
