//! A YAML tree that knows where every node and every key was written.
//!
//! Built from `saphyr-parser` events (a YAML 1.2 parser that reports a span for each event).
//! Aliases are expanded into copies that keep the spans of the anchored text, so a finding on a
//! value that came through `*anchor` or a `<<` merge key points where the value is written.
//! Expansion is bounded: an alias bomb becomes a parse error, not an out-of-memory kill.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::ParseError;
use crate::source::Span;

/// Nodes that alias expansion may always create in one file: a compose file that repeats a
/// long anchored list a few hundred times stays far below.
pub const ALIAS_NODES_ALWAYS_ALLOWED: usize = 1_000_000;
/// Beyond that floor, expansion may be at most this many times the document's own nodes (the
/// shape of go-yaml's rule: refuse only what is both large and far beyond the document).
pub const ALIAS_RATIO: usize = 10;
/// Expanded nodes never allowed, whatever the document's size (memory stays bounded).
pub const MAX_ALIAS_NODES: usize = 5_000_000;
/// Deepest nesting accepted: real configuration stays below 30, generated files below a few
/// hundred; the tree is walked recursively, so there is a limit.
pub const MAX_DEPTH: usize = 1000;

#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub value: Value,
    /// A local tag such as `!reset` or `!override`, written with its handle.
    pub tag: Option<String>,
}

#[derive(Clone, Debug)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug)]
pub struct Scalar {
    pub text: String,
    pub style: Style,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Entry {
    pub fn key_str(&self) -> Option<&str> {
        self.key.as_str()
    }
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar's text; `None` for collections and for null.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if !s.is_null() => Some(&s.text),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s) if s.is_null())
    }

    /// The entry for `key` in a mapping (the last one when a key is repeated, as loaders do).
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?
            .iter()
            .rev()
            .find(|e| e.key_str() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// YAML booleans as Compose and GitHub read them, including the quoted string forms.
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_str()?.trim() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
            _ => None,
        }
    }

    /// The source span of `range` (byte offsets into this scalar's decoded text).
    ///
    /// One lookup; a caller mapping many ranges of the same scalar builds a [`Locator`] once.
    pub fn subspan(&self, source: &str, range: std::ops::Range<usize>) -> Span {
        self.locator(source).span(range)
    }

    /// A map from this scalar's decoded text to its source, built once (linear in the scalar)
    /// so that every later lookup is a binary search, never a search of the text.
    ///
    /// Exact for plain and quoted scalars written without escapes or line folding, and for
    /// literal block scalars (each decoded line is its source line past the indentation);
    /// for other scalars, a range is found by its text (the k-th occurrence in the decoded
    /// text is the k-th in the source) and otherwise stands for the whole node.
    pub fn locator<'n>(&'n self, source: &'n str) -> Locator<'n> {
        let Value::Scalar(scalar) = &self.value else {
            return Locator {
                node: self,
                source,
                kind: LocatorKind::Whole,
            };
        };
        let raw = &source[self.span.range()];
        let value = scalar.text.as_str();
        let inner = match scalar.style {
            Style::SingleQuoted | Style::DoubleQuoted if raw.len() >= 2 => &raw[1..raw.len() - 1],
            _ => raw,
        };
        let kind = if inner == value {
            LocatorKind::Verbatim(self.span.start as usize + (raw.len() - inner.len()).min(1))
        } else if scalar.style == Style::Literal {
            literal_lines(raw, value, self.span.start as usize)
                .map_or(LocatorKind::Search, LocatorKind::Lines)
        } else {
            LocatorKind::Search
        };
        Locator {
            node: self,
            source,
            kind,
        }
    }
}

/// Maps byte ranges of a scalar's decoded text to source spans; see [`Node::locator`].
pub struct Locator<'n> {
    node: &'n Node,
    source: &'n str,
    kind: LocatorKind,
}

enum LocatorKind {
    /// Not a scalar: every range is the whole node.
    Whole,
    /// The decoded text is written verbatim from this source offset.
    Verbatim(usize),
    /// Decoded line starts and the source offsets they were read from, in order.
    Lines(Vec<(usize, usize)>),
    Search,
}

impl Locator<'_> {
    pub fn span(&self, range: std::ops::Range<usize>) -> Span {
        let node = self.node;
        let Some(scalar) = node.as_scalar() else {
            return node.span;
        };
        let value = scalar.text.as_str();
        if range.end > value.len() || range.start > range.end {
            return node.span;
        }
        match &self.kind {
            LocatorKind::Whole => node.span,
            LocatorKind::Verbatim(base) => Span::new(base + range.start, base + range.end),
            LocatorKind::Lines(lines) => {
                let at = |offset: usize| {
                    let i = lines.partition_point(|&(decoded, _)| decoded <= offset) - 1;
                    lines[i].1 + (offset - lines[i].0)
                };
                Span::new(at(range.start), at(range.end))
            }
            LocatorKind::Search => {
                let raw = &self.source[node.span.range()];
                let needle = &value[range.clone()];
                if needle.is_empty() {
                    return node.span;
                }
                // The k-th occurrence in the decoded text is the k-th in the source.
                let k = value
                    .match_indices(needle)
                    .take_while(|(i, _)| *i < range.start)
                    .count();
                match raw.match_indices(needle).nth(k) {
                    Some((at, _)) => node.span.sub(at, needle.len()),
                    None => node.span,
                }
            }
        }
    }
}

/// The line map of a literal block scalar whose source is `raw` (from its first content, or
/// from the `|` header when a span includes it) and whose decoded text is `value`: each decoded
/// line must be its source line with only indentation before it, or the map is refused
/// (`None`) and lookups fall back to searching.
fn literal_lines(raw: &str, value: &str, base: usize) -> Option<Vec<(usize, usize)>> {
    let body_start = if raw.starts_with('|') {
        raw.find('\n')? + 1
    } else {
        0
    };
    let mut source_lines = raw[body_start..].split_inclusive('\n');
    let mut offset = body_start;
    let mut decoded = 0;
    let mut lines = Vec::new();
    for line in value.split_inclusive('\n') {
        let content = line.strip_suffix('\n').unwrap_or(line);
        // Lines shorter than the indentation decode to empty lines; every source line is one
        // decoded line (line breaks are kept in literal scalars).
        let source_line = source_lines.next()?;
        let source_content = source_line.strip_suffix('\n').unwrap_or(source_line);
        let source_content = source_content.strip_suffix('\r').unwrap_or(source_content);
        let indent = source_content.len().checked_sub(content.len())?;
        if !source_content.ends_with(content) || source_content[..indent].bytes().any(|b| b != b' ')
        {
            return None;
        }
        lines.push((decoded, base + offset + indent));
        offset += source_line.len();
        decoded += line.len();
    }
    if lines.is_empty() {
        lines.push((0, base + body_start));
    }
    Some(lines)
}

impl Scalar {
    /// Plain `~`, `null`, `Null`, `NULL` or nothing at all.
    pub fn is_null(&self) -> bool {
        self.style == Style::Plain
            && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }

    pub fn is_quoted(&self) -> bool {
        matches!(self.style, Style::SingleQuoted | Style::DoubleQuoted)
    }
}

/// Parse the first document of `text` (configuration files hold one).
///
/// YAML as Compose (go-yaml) and GitHub read it: flow collections whose lines sit at or left
/// of their key's indentation (`command: [` … `]` with `]` under `command`) are accepted,
/// though the strict grammar refuses them.
pub fn parse(text: &str) -> Result<Option<Node>, ParseError> {
    match parse_strict(text) {
        Err(error) if error.message.contains("indentation") => {
            let Some(relaxed) = reindent_flow(text) else {
                return Err(error);
            };
            match parse_strict(&relaxed.text) {
                Ok(mut root) => {
                    if let Some(root) = &mut root {
                        relaxed.map_node(root);
                    }
                    Ok(root)
                }
                Err(_) => Err(error),
            }
        }
        other => other,
    }
}

fn parse_strict(text: &str) -> Result<Option<Node>, ParseError> {
    let offsets = CharOffsets::new(text);
    let mut builder = Builder {
        stack: Vec::new(),
        anchors: HashMap::new(),
        expanded: 0,
        document_nodes: 0,
        root: None,
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            let at = offsets.byte(e.marker().index());
            ParseError::new(Span::empty(at), format!("invalid YAML: {}", e.info()))
        })?;
        let mut span = Span::new(
            offsets.byte(span.start.index()),
            offsets.byte(span.end.index()),
        );
        // The parser's end of a quoted scalar can lie past a comment that follows it; the
        // closing quote is the end.
        if let Event::Scalar(_, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted, ..) = &event
            && let Some(end) = quoted_end(text, span.start as usize)
            && end <= span.end as usize
        {
            span = Span::new(span.start as usize, end);
        }
        if builder.on_event(event, span)? {
            break;
        }
    }
    Ok(builder.root)
}

/// The byte after the closing quote of the quoted scalar starting at `start`.
fn quoted_end(text: &str, start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = *bytes.get(start)?;
    let mut i = start + 1;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (b'"', b'\\') => i += 2,
            (b'"', b'"') => return Some(i + 1),
            (b'\'', b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            (b'\'', b'\'') => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

enum Frame {
    Seq {
        start: Span,
        anchor: usize,
        tag: Option<String>,
        items: Vec<Node>,
    },
    Map {
        start: Span,
        anchor: usize,
        tag: Option<String>,
        entries: Vec<Entry>,
        pending_key: Option<Node>,
    },
}

struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes created by alias expansion.
    expanded: usize,
    /// Nodes written in the document itself.
    document_nodes: usize,
    root: Option<Node>,
}

impl Builder {
    /// Returns true once the first document is complete.
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<bool, ParseError> {
        if matches!(
            event,
            Event::Scalar(..) | Event::SequenceStart(..) | Event::MappingStart(..)
        ) {
            self.document_nodes += 1;
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                // The parser grows a plain scalar's text as it reads it: kept at its length, a
                // model is a few times its file's size, not ten.
                let mut text = text.into_owned();
                text.shrink_to_fit();
                let node = Node {
                    span,
                    value: Value::Scalar(Scalar {
                        text,
                        style: match style {
                            ScalarStyle::Plain => Style::Plain,
                            ScalarStyle::SingleQuoted => Style::SingleQuoted,
                            ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                            ScalarStyle::Literal => Style::Literal,
                            ScalarStyle::Folded => Style::Folded,
                        },
                    }),
                    tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                };
                self.finish(node, anchor)?;
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(ParseError::new(span, "alias refers to an unknown anchor"));
                };
                self.expanded += size;
                let far_beyond = self.expanded > ALIAS_NODES_ALWAYS_ALLOWED
                    && self.expanded > ALIAS_RATIO * self.document_nodes.max(1);
                if far_beyond || self.expanded > MAX_ALIAS_NODES {
                    return Err(ParseError::new(
                        span,
                        format!(
                            "aliases expand to {} nodes, far beyond the document's {} (an alias bomb?)",
                            self.expanded, self.document_nodes
                        ),
                    ));
                }
                let node = node.clone();
                self.finish(node, 0)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Seq {
                    start: span,
                    anchor,
                    tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.check_depth(span)?;
                self.stack.push(Frame::Map {
                    start: span,
                    anchor,
                    tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                    entries: Vec::new(),
                    pending_key: None,
                });
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq {
                    start,
                    anchor,
                    tag,
                    mut items,
                }) = self.stack.pop()
                else {
                    unreachable!("parser emits balanced sequence events")
                };
                items.shrink_to_fit();
                let end = collection_end(start, span, items.iter().map(|n| n.span));
                let node = Node {
                    span: Span::new(start.start as usize, end),
                    value: Value::Seq(items),
                    tag,
                };
                self.finish(node, anchor)?;
            }
            Event::MappingEnd => {
                let Some(Frame::Map {
                    start,
                    anchor,
                    tag,
                    mut entries,
                    ..
                }) = self.stack.pop()
                else {
                    unreachable!("parser emits balanced mapping events")
                };
                entries.shrink_to_fit();
                let end = collection_end(
                    start,
                    span,
                    entries.iter().flat_map(|e| [e.key.span, e.value.span]),
                );
                let node = Node {
                    span: Span::new(start.start as usize, end),
                    value: Value::Map(merge_keys(entries)),
                    tag,
                };
                self.finish(node, anchor)?;
            }
            Event::DocumentEnd => return Ok(self.root.is_some()),
            Event::StreamEnd => return Ok(true),
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
        }
        Ok(false)
    }

    fn check_depth(&self, span: Span) -> Result<(), ParseError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(ParseError::new(
                span,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn finish(&mut self, node: Node, anchor: usize) -> Result<(), ParseError> {
        if anchor != 0 {
            let size = count_nodes(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => entries.push(Entry { key, value: node }),
            },
        }
        Ok(())
    }
}

/// Flow collections end at their closing bracket; block ones at their furthest child (children
/// that came through an alias carry the anchor's earlier span, so it is the maximum, not the last).
fn collection_end(start: Span, end_event: Span, children: impl Iterator<Item = Span>) -> usize {
    if !start.is_empty() {
        end_event.end.max(start.end) as usize
    } else {
        children
            .map(|s| s.end)
            .max()
            .unwrap_or(start.end)
            .max(start.end) as usize
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Scalar(_) => 0,
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|e| count_nodes(&e.key) + count_nodes(&e.value))
            .sum(),
    }
}

/// Apply `<<` merge keys: merged entries come after the mapping's own, which take precedence;
/// in a list of merged mappings the earlier one wins.
fn merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    let is_merge = |e: &Entry| matches!(&e.key.value, Value::Scalar(s) if s.style == Style::Plain && s.text == "<<");
    if !entries.iter().any(is_merge) {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) = entries.into_iter().partition(is_merge);
    for merge in merges {
        let sources: Vec<Node> = match merge.value.value {
            Value::Map(_) => vec![merge.value],
            Value::Seq(items) => items,
            Value::Scalar(_) => Vec::new(),
        };
        for source in sources {
            if let Value::Map(inherited) = source.value {
                for entry in inherited {
                    let present = own
                        .iter()
                        .any(|e| e.key_str().is_some() && e.key_str() == entry.key_str());
                    if !present {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own
}

/// A text with spaces inserted at the start of some lines, and the way back to the
/// original's byte offsets.
struct Reindented {
    text: String,
    /// (offset in the original where spaces were inserted, how many), in order.
    inserted: Vec<(usize, usize)>,
}

impl Reindented {
    /// The original offset of `offset` in the reindented text (an inserted space maps to the
    /// start of its line).
    fn original(&self, offset: usize) -> usize {
        let mut shift = 0;
        for &(at, count) in &self.inserted {
            if offset < at + shift {
                break;
            }
            if offset < at + shift + count {
                return at;
            }
            shift += count;
        }
        offset - shift
    }

    fn map_node(&self, node: &mut Node) {
        node.span = Span::new(
            self.original(node.span.start as usize),
            self.original(node.span.end as usize),
        );
        match &mut node.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => items.iter_mut().for_each(|n| self.map_node(n)),
            Value::Map(entries) => entries.iter_mut().for_each(|e| {
                self.map_node(&mut e.key);
                self.map_node(&mut e.value);
            }),
        }
    }
}

/// Indent the lines of flow collections (`[…]`, `{…}` spread over lines) that sit at or left
/// of the block they belong to, as go-yaml and GitHub's parser accept. Values do not change:
/// leading spaces of a flow line are not part of any scalar. `None` when nothing moved.
fn reindent_flow(text: &str) -> Option<Reindented> {
    let mut out = String::with_capacity(text.len() + 256);
    let mut inserted = Vec::new();
    let mut depth = 0usize;
    let mut needed = 0usize;
    let mut quote: Option<u8> = None;
    // The indentation a block scalar's lines must exceed, while inside one.
    let mut block_scalar: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let bytes = content.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        let blank = content.trim().is_empty() || content.trim_start().starts_with('#');
        if let Some(parent) = block_scalar {
            if content.trim().is_empty() || indent > parent {
                out.push_str(line);
                offset += line.len();
                continue;
            }
            block_scalar = None;
        }
        let mut from = indent;
        if depth > 0 && !blank && indent < needed {
            let count = needed - indent;
            out.extend(std::iter::repeat_n(' ', count));
            inserted.push((offset, count));
        } else if depth == 0 {
            // Block context: a flow collection can open where a value starts.
            let mut at = indent;
            while bytes.get(at) == Some(&b'-') && matches!(bytes.get(at + 1), Some(b' ') | None) {
                at += 1;
                while bytes.get(at) == Some(&b' ') {
                    at += 1;
                }
            }
            let node_column = at;
            if !matches!(bytes.get(at), Some(b'[' | b'{')) {
                match key_end(bytes, at) {
                    Some(end) => {
                        at = end;
                        while bytes.get(at) == Some(&b' ') {
                            at += 1;
                        }
                    }
                    None => at = bytes.len(),
                }
            }
            match bytes.get(at) {
                Some(b'[' | b'{') => {
                    needed = node_column + 1;
                    from = at;
                }
                Some(b'|' | b'>') => {
                    block_scalar = Some(node_column);
                    from = bytes.len();
                }
                _ => from = bytes.len(),
            }
        }
        // Follow brackets and quotes through the rest of the line.
        let mut i = from;
        let mut previous = b'[';
        while i < bytes.len() {
            let b = bytes[i];
            if let Some(q) = quote {
                if q == b'"' && b == b'\\' {
                    i += 1;
                } else if b == q {
                    if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        quote = None;
                    }
                }
            } else {
                match b {
                    b'"' | b'\'' if matches!(previous, b'[' | b'{' | b',' | b':' | b' ') => {
                        quote = Some(b)
                    }
                    b'#' if i == 0 || bytes[i - 1] == b' ' => break,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if b != b' ' || quote.is_none() {
                previous = b;
            }
            i += 1;
        }
        out.push_str(line);
        offset += line.len();
    }
    (!inserted.is_empty()).then_some(Reindented {
        text: out,
        inserted,
    })
}

/// The byte after `key:` when the line holds a mapping key at `at` (outside quotes).
fn key_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    let mut quote: Option<u8> = None;
    if let Some(&q @ (b'"' | b'\'')) = bytes.get(i) {
        quote = Some(q);
        i += 1;
    }
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b':' && matches!(bytes.get(i + 1), Some(b' ') | None) => {
                return Some(i + 1);
            }
            None if b == b'#' && i > 0 && bytes[i - 1] == b' ' => return None,
            None => {}
        }
        i += 1;
    }
    None
}

/// saphyr reports positions in characters; spans are bytes. A checkpoint every 64 characters keeps
/// the conversion cheap for non-ASCII text (and free for ASCII).
struct CharOffsets<'a> {
    text: &'a str,
    checkpoints: Option<Vec<usize>>,
}

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str) -> Self {
        let checkpoints = (!text.is_ascii()).then(|| {
            text.char_indices()
                .step_by(64)
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        });
        CharOffsets { text, checkpoints }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.checkpoints {
            None => char_index.min(self.text.len()),
            Some(points) => {
                let Some(&base) = points.get(char_index / 64) else {
                    return self.text.len();
                };
                self.text[base..]
                    .char_indices()
                    .nth(char_index % 64)
                    .map_or(self.text.len(), |(i, _)| base + i)
            }
        }
    }
}

impl Node {
    /// The span of bytes `from..to` of a scalar written on one line without escapes (a
    /// `KEY=value` list item): offset from its start, after the opening quote when quoted.
    pub fn subspan_or_end(&self, from: usize, to: usize) -> Span {
        let Some(scalar) = self.as_scalar() else {
            return self.span;
        };
        let base = self.span.start as usize + usize::from(scalar.is_quoted());
        let end = (base + to).min(self.span.end as usize);
        Span::new((base + from).min(end), end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(text: &'a str, node: &Node) -> &'a str {
        &text[node.span.range()]
    }

    #[test]
    fn keys_and_values_have_spans() {
        let text = "services:\n  web:\n    image: \"nginx:1\"\n    ports: [80, 443]\n";
        let root = parse(text).unwrap().unwrap();
        let web = root.get("services").unwrap().get("web").unwrap();
        let image = web.entry("image").unwrap();
        assert_eq!(at(text, &image.key), "image");
        assert_eq!(at(text, &image.value), "\"nginx:1\"");
        assert_eq!(image.value.as_str(), Some("nginx:1"));
        let ports = web.get("ports").unwrap();
        assert_eq!(at(text, ports), "[80, 443]");
        assert_eq!(at(text, &ports.as_seq().unwrap()[1]), "443");
    }

    #[test]
    fn spans_are_bytes_after_non_ascii_text() {
        let text = "é: ü\nkey: value\n";
        let root = parse(text).unwrap().unwrap();
        let entry = root.entry("key").unwrap();
        assert_eq!(at(text, &entry.key), "key");
        assert_eq!(at(text, &entry.value), "value");
    }

    #[test]
    fn merge_keys_keep_the_anchor_spans_and_own_keys_win() {
        let text =
            "x-base: &base\n  privileged: true\n  user: root\nsvc:\n  <<: *base\n  user: app\n";
        let root = parse(text).unwrap().unwrap();
        let svc = root.get("svc").unwrap();
        assert!(svc.entry("<<").is_none());
        assert_eq!(svc.get("user").unwrap().as_str(), Some("app"));
        let privileged = svc.entry("privileged").unwrap();
        assert_eq!(privileged.key.span, Span::new(16, 26));
        assert_eq!(svc.as_map().unwrap().len(), 2);
    }

    #[test]
    fn alias_bombs_are_a_parse_error() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("alias"), "{}", err.message);
    }

    #[test]
    fn deep_nesting_is_a_parse_error() {
        let text = "[".repeat(5000) + &"]".repeat(5000);
        // saphyr's own recursion limit or ours, whichever comes first.
        let err = parse(&text).unwrap_err();
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion"),
            "{}",
            err.message
        );
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let text = "a: b\n  c: [\n";
        let err = parse(text).unwrap_err();
        assert!(err.message.starts_with("invalid YAML"));
        assert!(err.span.start as usize <= text.len());
    }

    #[test]
    fn subspan_points_into_block_scalars() {
        let text = "run: |\n  echo hi\n  echo ${{ github.head_ref }}\n";
        let root = parse(text).unwrap().unwrap();
        let run = root.get("run").unwrap();
        let value = run.as_str().unwrap();
        let start = value.find("${{").unwrap();
        let span = run.subspan(text, start..value.len() - 1);
        assert_eq!(&text[span.range()], "${{ github.head_ref }}");
    }

    #[test]
    fn a_locator_maps_every_line_of_a_literal_block_without_searching() {
        let text = "run: | # build\r\n  make\r\n\r\n    make  install\r\n  make\r\nnext: 1\r\n";
        let root = parse(text).unwrap().unwrap();
        let run = root.get("run").unwrap();
        let value = run.as_str().unwrap();
        assert_eq!(value, "make\n\n  make  install\nmake\n");
        let locator = run.locator(text);
        // Every occurrence of `make`, the repeated ones included, lands on its own source line.
        let found: Vec<&str> = value
            .match_indices("make")
            .map(|(at, m)| &text[locator.span(at..at + m.len()).range()])
            .collect();
        assert_eq!(found, ["make"; 3]);
        let third = value.match_indices("make").nth(2).unwrap().0;
        assert_eq!(
            locator.span(third..third + 4).start as usize,
            text.rfind("  make").unwrap() + 2
        );
        // A range over two lines covers the source between them, indentation included.
        let install = value.find("install").unwrap();
        let span = locator.span(install..third + 4);
        assert_eq!(&text[span.range()], "install\r\n  make");
    }

    #[test]
    fn a_folded_scalar_is_located_by_its_text() {
        let text = "run: >\n  echo one\n  echo two\n";
        let root = parse(text).unwrap().unwrap();
        let run = root.get("run").unwrap();
        let value = run.as_str().unwrap();
        let two = value.find("two").unwrap();
        assert_eq!(&text[run.subspan(text, two..two + 3).range()], "two");
    }

    #[test]
    fn a_quoted_scalar_ends_at_its_closing_quote_not_at_a_comment() {
        let text = "a: \"x@v4\" # c\nb: 'it''s' # d\nc: \"q\\\"\" #e\n";
        let root = parse(text).unwrap().unwrap();
        assert_eq!(at(text, root.get("a").unwrap()), "\"x@v4\"");
        assert_eq!(at(text, root.get("b").unwrap()), "'it''s'");
        assert_eq!(at(text, root.get("c").unwrap()), "\"q\\\"\"");
    }

    #[test]
    fn subspan_of_quoted_scalar_skips_the_quote() {
        let text = "image: 'nginx:latest'\n";
        let root = parse(text).unwrap().unwrap();
        let image = root.get("image").unwrap();
        assert_eq!(&text[image.subspan(text, 6..12).range()], "latest");
    }

    #[test]
    fn tags_are_kept() {
        let text = "ports: !reset []\n";
        let root = parse(text).unwrap().unwrap();
        assert_eq!(root.get("ports").unwrap().tag.as_deref(), Some("!reset"));
    }
}
