//! `.env` files as Docker Compose reads them: `KEY=value`, `export KEY=value`, quotes, comments.

use crate::source::Span;

#[derive(Debug, Clone)]
pub struct EnvEntry {
    pub key: String,
    pub key_span: Span,
    /// The decoded value.
    pub value: String,
    /// The value as written, quotes included (empty at the `=` when there is no value).
    pub value_span: Span,
}

#[derive(Debug, Default, Clone)]
pub struct EnvFile {
    pub entries: Vec<EnvEntry>,
}

impl EnvFile {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }
}

/// Parse an env file. Lines that are not assignments are skipped, as Compose skips them.
pub fn parse(text: &str) -> EnvFile {
    let mut entries = Vec::new();
    let bytes = text.as_bytes();
    let mut pos = 0;
    while pos < text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |p| pos + p);
        let line = &text[pos..line_end];
        let lead = line.len() - line.trim_start().len();
        let mut start = pos + lead;
        let mut next = line_end + 1;
        let content = &text[start..line_end];
        if content.is_empty() || content.starts_with('#') {
            pos = next;
            continue;
        }
        if let Some(rest) = content.strip_prefix("export ") {
            start += content.len() - rest.trim_start().len();
        }
        let content = &text[start..line_end];
        let Some(eq) = content.find('=') else {
            pos = next;
            continue;
        };
        let key_raw = &content[..eq];
        let key = key_raw.trim_end();
        if key.is_empty() || key.contains(char::is_whitespace) {
            pos = next;
            continue;
        }
        let key_span = Span::new(start, start + key.len());
        let mut vstart = start + eq + 1;
        while vstart < line_end && matches!(bytes[vstart], b' ' | b'\t') {
            vstart += 1;
        }
        let (value, value_span) = match bytes.get(vstart) {
            Some(&q @ (b'"' | b'\'')) if vstart < line_end => {
                // Quoted values may span lines; find the closing quote.
                let mut j = vstart + 1;
                let mut value = String::new();
                let mut closed = false;
                while j < text.len() {
                    let c = bytes[j];
                    if c == q {
                        closed = true;
                        break;
                    }
                    if q == b'"' && c == b'\\' && j + 1 < text.len() {
                        match bytes[j + 1] {
                            b'n' => value.push('\n'),
                            b't' => value.push('\t'),
                            b'"' => value.push('"'),
                            b'\\' => value.push('\\'),
                            _ => {
                                value.push('\\');
                                j += 1;
                                continue;
                            }
                        }
                        j += 2;
                        continue;
                    }
                    let ch = text[j..].chars().next().unwrap_or('\u{fffd}');
                    value.push(ch);
                    j += ch.len_utf8();
                }
                if closed {
                    let end = j + 1;
                    next = text[end..].find('\n').map_or(text.len(), |p| end + p) + 1;
                    (value, Span::new(vstart, end))
                } else {
                    let raw = text[vstart..line_end].trim_end();
                    (raw.to_string(), Span::new(vstart, vstart + raw.len()))
                }
            }
            _ => {
                let raw = &text[vstart.min(line_end)..line_end];
                // An unquoted value ends at ` #` (inline comment).
                let cut = raw
                    .find(" #")
                    .or_else(|| raw.find("\t#"))
                    .unwrap_or(raw.len());
                let raw = raw[..cut].trim_end();
                let s = vstart.min(line_end);
                (raw.to_string(), Span::new(s, s + raw.len()))
            }
        };
        entries.push(EnvEntry {
            key: key.to_string(),
            key_span,
            value,
            value_span,
        });
        pos = next;
    }
    EnvFile { entries }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_assignments_with_spans() {
        let text = "# comment\nexport A=1\nB = \"two words\" # c\nC='x#y'\nD=plain # note\nE=\nbad line\nF=\"multi\nline\"\nG=last";
        let env = parse(text);
        let keys: Vec<_> = env.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["A", "B", "C", "D", "E", "F", "G"]);
        assert_eq!(env.get("B"), Some("two words"));
        assert_eq!(env.get("C"), Some("x#y"));
        assert_eq!(env.get("D"), Some("plain"));
        assert_eq!(env.get("E"), Some(""));
        assert_eq!(env.get("F"), Some("multi\nline"));
        assert_eq!(env.get("G"), Some("last"));
        let b = &env.entries[1];
        assert_eq!(&text[b.key_span.range()], "B");
        assert_eq!(&text[b.value_span.range()], "\"two words\"");
        let a = &env.entries[0];
        assert_eq!(&text[a.key_span.range()], "A");
    }
}
