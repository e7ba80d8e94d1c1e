//! JSON and JSON5 (Renovate's configuration formats) as YAML flow content with the same byte
//! offsets: comments and tabs outside strings become spaces, line breaks stay. JSON is YAML,
//! and what JSON5 adds that YAML flow content lacks is mostly comments, so the YAML parser then
//! reads the file with exact spans.

/// Whether the text, past whitespace and comments, opens an object.
pub fn is_object(text: &str) -> bool {
    as_yaml(text).trim_start().starts_with('{')
}

/// `text` with `//` and `/* */` comments and tabs outside strings replaced by spaces (line
/// breaks kept), so that every other byte stays where it was.
pub fn as_yaml(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(q) = quote {
            out.push(b);
            if b == b'\\' && i + 1 < bytes.len() {
                out.push(bytes[i + 1]);
                i += 2;
                continue;
            }
            if b == q {
                quote = None;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' | b'\'' => {
                quote = Some(b);
                out.push(b);
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    out.push(b' ');
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                out.extend_from_slice(b"  ");
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    out.push(if bytes[i] == b'\n' { b'\n' } else { b' ' });
                    i += 1;
                }
                if i < bytes.len() {
                    out.extend_from_slice(b"  ");
                    i += 2;
                }
            }
            b'\t' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    // Only ASCII bytes were replaced, by ASCII bytes: the result is still UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_become_spaces_and_offsets_hold() {
        let text =
            "{\n  // a comment\n  extends: ['config:recommended'], /* x\n y */ \"a//b\": 1,\n}\n";
        let yaml = as_yaml(text);
        assert_eq!(yaml.len(), text.len());
        assert!(!yaml.contains("comment"));
        assert!(yaml.contains("\"a//b\""));
        assert_eq!(yaml.matches('\n').count(), text.matches('\n').count());
        let root = crate::parse::yaml::parse(&yaml).unwrap().unwrap();
        let extends = root.get("extends").unwrap();
        assert_eq!(&text[extends.span.range()], "['config:recommended']");
        assert_eq!(root.get("a//b").unwrap().as_str(), Some("1"));
        assert!(is_object(text));
        assert!(!is_object("version: 2\n"));
    }
}
