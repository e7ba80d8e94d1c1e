//! Values of Kubernetes `Secret` manifests (`kind: Secret`, its `data:` and `stringData:`).
//!
//! Read line by line rather than through the YAML model: the manifests are found among the
//! other text files of a repository (`--secrets-scope all`), which are not parsed, and a
//! manifest that is also a Helm template (`{{ .Values.x }}`) is not valid YAML anyway.

use base64::Engine;

use super::assignments::{Class, classify};
use crate::source::Span;

/// A literal value of a Secret manifest: the section and key (`data.password`) and where the
/// value is written.
pub struct SecretValue {
    pub key: String,
    pub span: Span,
}

/// A `kind: Secret` document with literal values.
pub struct SecretManifest {
    /// `metadata.name`, if written.
    pub name: Option<String>,
    pub values: Vec<SecretValue>,
}

/// Each YAML document in `text` whose top-level `kind` is `Secret` and that holds literal
/// values under `data:` (base64) or `stringData:` (plain text). Empty values, templates
/// (`{{ … }}`), references (`${VAR}`) and placeholders are not literal; a `data:` value that
/// is not base64 is not one either (the API server would refuse the manifest); nor are the
/// values of keys that name what is not a secret (`username`, `host`, `port`, `database`).
pub fn secret_manifests(text: &str) -> Vec<SecretManifest> {
    let mut found = Vec::new();
    let mut offset = 0;
    for document in split_documents(text) {
        if is_secret_manifest(document) {
            let mut values = Vec::new();
            values_of(document, offset, &mut values);
            if !values.is_empty() {
                found.push(SecretManifest {
                    name: manifest_name(document),
                    values,
                });
            }
        }
        offset += document.len();
    }
    found
}

/// `metadata:` then an indented `name: x`.
fn manifest_name(document: &str) -> Option<String> {
    let mut in_metadata = false;
    for line in document.lines() {
        if indentation(line) == 0 && !line.trim().is_empty() {
            in_metadata = strip_comment(line).trim_end() == "metadata:";
            continue;
        }
        if in_metadata && let Some(name) = line.trim_start().strip_prefix("name:") {
            let name = strip_comment(name).trim().trim_matches(['"', '\'']);
            // A Kubernetes object name: at most 253 of `a-z0-9.-`; anything else is not shown.
            let valid = !name.is_empty()
                && name.len() <= 253
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                });
            return valid.then(|| name.to_string());
        }
    }
    None
}

/// Last words of data keys that name what is not a secret.
const NOT_SECRET_KEYS: &[&str] = &[
    "user", "username", "login", "host", "hostname", "port", "url", "uri", "endpoint", "database",
    "db", "name", "email", "region", "id",
];

fn names_no_secret(key: &str) -> bool {
    key.rsplit(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| !w.is_empty())
        .is_some_and(|last| NOT_SECRET_KEYS.contains(&last.to_ascii_lowercase().as_str()))
}

/// The documents of a YAML stream, each with its own `---` line; together they are `text`.
fn split_documents(text: &str) -> Vec<&str> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if at > start && line.trim_end() == "---" {
            documents.push(&text[start..at]);
            start = at;
        }
        at += line.len();
    }
    documents.push(&text[start..]);
    documents
}

fn is_secret_manifest(document: &str) -> bool {
    document.lines().any(|line| {
        line.strip_prefix("kind:")
            .map(|v| strip_comment(v).trim().trim_matches(['"', '\'']) == "Secret")
            .unwrap_or(false)
    })
}

/// `value  # comment` → `value` (a `#` after a space starts a comment in YAML).
fn strip_comment(value: &str) -> &str {
    match value.find(" #") {
        Some(at) => &value[..at],
        None => value,
    }
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn values_of(document: &str, offset: usize, found: &mut Vec<SecretValue>) {
    let lines: Vec<(usize, &str)> = document
        .split_inclusive('\n')
        .scan(offset, |at, line| {
            let start = *at;
            *at += line.len();
            Some((start, line.trim_end_matches(['\n', '\r'])))
        })
        .collect();
    let mut i = 0;
    while i < lines.len() {
        let (_, line) = lines[i];
        let section = match strip_comment(line).trim_end() {
            "data:" => "data",
            "stringData:" => "stringData",
            _ => {
                i += 1;
                continue;
            }
        };
        i += 1;
        let mut child_indent = None;
        while i < lines.len() {
            let (start, line) = lines[i];
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                i += 1;
                continue;
            }
            let indent = indentation(line);
            if indent == 0 || child_indent.is_some_and(|c| indent < c) {
                break;
            }
            let child = *child_indent.get_or_insert(indent);
            if indent > child {
                i += 1;
                continue;
            }
            let entry = &line[indent..];
            let Some((key, rest)) = entry.split_once(':') else {
                i += 1;
                continue;
            };
            let key = key.trim().trim_matches(['"', '\'']);
            let value = strip_comment(rest).trim();
            let skipped = names_no_secret(key);
            let value_start = start + indent + key_len(entry) + 1 + leading_space(rest);
            i += 1;
            if value.starts_with('|') || value.starts_with('>') {
                // A block scalar: the more-indented lines below.
                let first = i;
                while i < lines.len()
                    && (lines[i].1.trim().is_empty() || indentation(lines[i].1) > child)
                {
                    i += 1;
                }
                let block: Vec<&str> = lines[first..i].iter().map(|(_, l)| l.trim()).collect();
                let text = block.join("\n");
                let Some(last) = lines[first..i]
                    .iter()
                    .rev()
                    .find(|(_, l)| !l.trim().is_empty())
                else {
                    continue;
                };
                let span_start = lines[first].0 + indentation(lines[first].1);
                let span_end = last.0 + last.1.len();
                if !skipped && literal_text(text.trim()) && span_end > span_start {
                    found.push(SecretValue {
                        key: format!("{section}.{key}"),
                        span: Span::new(span_start, span_end),
                    });
                }
                continue;
            }
            if !skipped && literal(section, value) {
                found.push(SecretValue {
                    key: format!("{section}.{key}"),
                    span: Span::new(value_start, value_start + value.len()),
                });
            }
        }
    }
}

/// Bytes of `entry` up to its key's `:` (quotes included).
fn key_len(entry: &str) -> usize {
    entry.find(':').unwrap_or(entry.len())
}

fn leading_space(text: &str) -> usize {
    text.len() - text.trim_start().len()
}

/// Whether a manifest value is a literal secret: not empty, not a template, a reference or a
/// placeholder; under `data:`, base64 of such a value (or of binary data: a key or keystore).
fn literal(section: &str, value: &str) -> bool {
    let value = value.trim_matches(['"', '\'']);
    if value.is_empty() || value.contains("{{") || value.starts_with('$') {
        return false;
    }
    if section == "stringData" {
        return classify(value, None) != Class::Placeholder;
    }
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(value) else {
        return false;
    };
    match std::str::from_utf8(&bytes) {
        Ok(decoded) if decoded.trim().contains(char::is_whitespace) => literal_text(decoded.trim()),
        Ok(decoded) => classify(decoded.trim(), None) != Class::Placeholder,
        // Binary: a keystore, a DER key.
        Err(_) => bytes.len() >= 16,
    }
}

/// Whether a file-like value (a block scalar, a decoded PEM key or configuration file) is
/// literal content rather than a template or a stub.
fn literal_text(text: &str) -> bool {
    text.len() >= 16 && !text.contains("{{") && !text.contains("${")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(String, String)> {
        secret_manifests(text)
            .into_iter()
            .flat_map(|m| m.values)
            .map(|v| (v.key, text[v.span.range()].to_string()))
            .collect()
    }

    #[test]
    fn data_and_string_data_values() {
        let text = "\
apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
data:
  password: S3g4LXZRMm1aN3BMNG5SOQ==  # base64
  empty: \"\"
  username: YWRtaW4=
stringData:
  api-token: \"Kx8-vQ2mZ7pL4nR9wT\"
  from-env: ${API_TOKEN}
  config.yaml: |
    user: app
    password: Kx8-vQ2mZ7pL4nR9
";
        assert_eq!(secret_manifests(text)[0].name.as_deref(), Some("db"));
        assert_eq!(
            keys(text),
            vec![
                ("data.password".into(), "S3g4LXZRMm1aN3BMNG5SOQ==".into()),
                (
                    "stringData.api-token".into(),
                    "\"Kx8-vQ2mZ7pL4nR9wT\"".into()
                ),
                (
                    "stringData.config.yaml".into(),
                    "user: app\n    password: Kx8-vQ2mZ7pL4nR9".into()
                ),
            ]
        );
    }

    #[test]
    fn only_secret_documents_and_literal_values() {
        let text = "\
kind: ConfigMap
data:
  password: S3g4LXZRMm1aN3BMNG5SOQ==
---
kind: SealedSecret
spec:
  encryptedData:
    password: AgBy3i4OJSWK+PiTySYZZA==
---
kind: Secret
data:
  password: {{ .Values.password | b64enc }}
  token: \"\"
  note: not base64!
stringData:
  password: <your-password>
  other: ${{ secrets.X }}
---
kind: Secret
data:
  tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVND
";
        assert_eq!(
            keys(text),
            vec![(
                "data.tls.key".into(),
                "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVND"
                    .into()
            )]
        );
    }
}
