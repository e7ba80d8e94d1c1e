//! Inline suppression: `# portcullis: ignore[rule-id, other-id] reason`.

use crate::source::{FileKind, SourceFile, Span};

#[derive(Debug, Clone)]
pub struct IgnoreComment {
    /// Rule ids named, with their spans inside the comment.
    pub ids: Vec<(String, Span)>,
    pub reason: Option<String>,
    /// 1-based lines whose findings it suppresses (inclusive).
    pub first_line: u32,
    pub last_line: u32,
}

const MARKER: &str = "portcullis:";

/// Find the ignore comments of a file. `instruction_lines` (Dockerfiles) maps a line to the
/// last line of the instruction that starts there, so a comment covers a whole instruction.
pub fn find(file: &SourceFile, instruction_lines: &[(u32, u32)]) -> Vec<IgnoreComment> {
    let text = file.text.as_str();
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let line_count = file.lines.line_count();
    for line_idx in 0..line_count {
        let span = file.lines.line_span(text, line_idx);
        let line = &text[span.range()];
        let Some(hash) = comment_start(line, file.kind) else {
            continue;
        };
        let comment = &line[hash + 1..];
        let body = comment.trim_start();
        let Some(after) = body.strip_prefix(MARKER) else {
            continue;
        };
        let after_trim = after.trim_start();
        let Some(list) = after_trim.strip_prefix("ignore[") else {
            continue;
        };
        let Some(close) = list.find(']') else {
            continue;
        };
        let list_offset = span.start as usize + (line.len() - list.len());
        let mut ids = Vec::new();
        let mut offset = 0;
        for part in list[..close].split(',') {
            let id = part.trim();
            if !id.is_empty() {
                let lead = part.len() - part.trim_start().len();
                let start = list_offset + offset + lead;
                ids.push((id.to_string(), Span::new(start, start + id.len())));
            }
            offset += part.len() + 1;
        }
        let reason = list[close + 1..].trim();
        // (A `//` comment is found at its second slash.)
        let own_line = line[..hash].trim().trim_end_matches('/').is_empty();
        let this_line = line_idx as u32 + 1;
        let (first_line, last_line) = if own_line {
            let next = next_code_line(file, line_idx + 1);
            let last = instruction_lines
                .iter()
                .find(|(start, _)| *start == next)
                .map_or(next, |(_, end)| *end);
            (next, last)
        } else {
            (this_line, this_line)
        };
        out.push(IgnoreComment {
            ids,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
            first_line,
            last_line,
        });
    }
    out
}

/// Byte offset of the `#` that starts a comment on this line, if any. Dockerfile comments fill
/// a line; YAML and env comments may also trail after whitespace.
fn comment_start(line: &str, kind: FileKind) -> Option<usize> {
    let trimmed = line.trim_start();
    if kind == FileKind::DependencyBot
        && let Some(at) = line.find("//")
        && line[at..].contains(MARKER)
    {
        // Renovate's JSON5: `// portcullis: ignore[…]`, read from its second slash.
        return Some(at + 1);
    }
    if trimmed.starts_with('#') {
        return Some(line.len() - trimmed.len());
    }
    if kind == FileKind::Dockerfile {
        return None;
    }
    let at = line.find(" #").or_else(|| line.find("\t#"))?;
    line[at + 1..].contains(MARKER).then_some(at + 1)
}

/// The next 1-based line after `from` (0-based) that is not blank and not a comment.
fn next_code_line(file: &SourceFile, from: usize) -> u32 {
    for idx in from..file.lines.line_count() {
        let span = file.lines.line_span(&file.text, idx);
        let line = file.text[span.range()].trim();
        if !line.is_empty() && !line.starts_with('#') {
            return idx as u32 + 1;
        }
    }
    from as u32 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_line_and_trailing_comments() {
        let text = "a: 1\n# portcullis: ignore[privileged, latest-tag] needed for dind\n\nprivileged: true\nimage: x # portcullis: ignore[latest-tag]\n";
        let file = SourceFile::new("compose.yaml", FileKind::Compose, text.into());
        let found = find(&file, &[]);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].first_line, 4);
        assert_eq!(found[0].ids.len(), 2);
        assert_eq!(&text[found[0].ids[1].1.range()], "latest-tag");
        assert_eq!(found[0].reason.as_deref(), Some("needed for dind"));
        assert_eq!((found[1].first_line, found[1].last_line), (5, 5));
        assert_eq!(found[1].reason, None);
    }

    #[test]
    fn dockerfile_comment_covers_the_instruction() {
        let text = "FROM x\n# portcullis: ignore[sudo-in-run]\nRUN a \\\n  && sudo b\n";
        let file = SourceFile::new("Dockerfile", FileKind::Dockerfile, text.into());
        let found = find(&file, &[(1, 1), (3, 4)]);
        assert_eq!((found[0].first_line, found[0].last_line), (3, 4));
    }
}
