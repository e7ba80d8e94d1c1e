//! Property tests: span → line/column conversion, `.dockerignore` matching, and the secret
//! scan's spans on text made of the pieces it looks for.

use portcullis::rules::secrets::credential_files::DockerIgnore;
use portcullis::source::{LineCol, LineIndex};
use proptest::prelude::*;

/// The obvious, slow conversion: count lines and characters up to the offset.
fn naive(text: &str, offset: usize) -> LineCol {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    LineCol {
        line: line as u32,
        column: text[line_start..offset].chars().count() as u32 + 1,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn line_col_agrees_with_counting(text in "(?s)[a-zé\u{1F600}\n\r\t ]{0,200}", offset in 0usize..260) {
        let index = LineIndex::new(&text);
        prop_assert_eq!(index.line_col(&text, offset), naive(&text, offset));
    }

    #[test]
    fn a_literal_name_excludes_itself_and_what_is_below(name in "[a-z]{1,8}", child in "[a-z]{1,8}") {
        let ignore = DockerIgnore::parse(&name);
        prop_assert!(ignore.excludes(&name));
        let below = format!("{}/{}", name, child);
        prop_assert!(ignore.excludes(&below));
        let other = format!("{}x/{}", name, child);
        prop_assert!(!ignore.excludes(&other));
    }

    #[test]
    fn the_last_matching_rule_wins(name in "[a-z]{1,8}", times in 1usize..5) {
        let mut rules = String::new();
        for _ in 0..times {
            rules.push_str(&format!("{name}\n!{name}\n"));
        }
        prop_assert!(!DockerIgnore::parse(&rules).excludes(&name));
        rules.push_str(&format!("{name}\n"));
        prop_assert!(DockerIgnore::parse(&rules).excludes(&name));
    }

    #[test]
    fn star_stays_in_one_segment(dir in "[a-z]{1,6}", file in "[a-z]{1,6}") {
        let ignore = DockerIgnore::parse("*.pem");
        let top = format!("{}.pem", file);
        let nested = format!("{}/{}.pem", dir, file);
        prop_assert!(ignore.excludes(&top));
        prop_assert!(!ignore.excludes(&nested));
        prop_assert!(DockerIgnore::parse("**/*.pem").excludes(&nested));
    }

    #[test]
    fn json5_comments_blank_out_without_moving_anything(text in "(?s)[{}\\[\\]:,'\"/*\\\\a-z0-9\n\t é]{0,160}") {
        let yaml = portcullis::parse::json5::as_yaml(&text);
        prop_assert_eq!(yaml.len(), text.len());
        prop_assert_eq!(yaml.matches('\n').count(), text.matches('\n').count());
        // Whatever it makes of the text, the dependency-bot rules stay within it.
        portcullis::fuzzing::check_all_at(portcullis::source::FileKind::DependencyBot, &text, "renovate.json5");
    }
}

/// Text made of the pieces the secret scan reads: manifest lines, setting names, assignment
/// operators, quotes, block scalars, base64 and multi-byte characters, in any order.
fn secret_pieces() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("kind: Secret\n".to_string()),
        Just("---\n".to_string()),
        Just("data:\n".to_string()),
        Just("stringData:\n".to_string()),
        Just("  password: ".to_string()),
        Just("  tls.key: |\n    ".to_string()),
        Just("metadata:\n  name: db\n".to_string()),
        Just("DD_API_KEY=".to_string()),
        Just("datadogAppKey: \"".to_string()),
        Just("SNYK_ORG_ID: ".to_string()),
        Just(" => ".to_string()),
        Just("-----BEGIN RSA PRIVATE KEY-----\n".to_string()),
        Just("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\n".to_string()),
        Just("---- END".to_string()),
        Just("\"auth\": \"".to_string()),
        Just("curl -H \"Authorization: Bearer ".to_string()),
        "[A-Za-z0-9+/=_-]{1,90}",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[ \t\r\n:'\"#|>{}$é\u{1F600}]{1,4}",
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn secret_spans_stay_within_the_text_and_apart(text in secret_pieces()) {
        use portcullis::rules::secrets::{kubernetes, providers};
        let found = providers::detect(&text);
        for (i, d) in found.credentials.iter().enumerate() {
            prop_assert!(d.start < d.end && d.end <= text.len());
            prop_assert!(text.is_char_boundary(d.start) && text.is_char_boundary(d.end));
            for other in &found.credentials[i + 1..] {
                prop_assert!(other.end <= d.start || d.end <= other.start);
            }
        }
        for manifest in kubernetes::secret_manifests(&text) {
            for value in manifest.values {
                let range = value.span.range();
                prop_assert!(range.start < range.end && range.end <= text.len());
                prop_assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
            }
        }
        // Every rule that reads such a file, as a text file, a compose file and a workflow.
        portcullis::fuzzing::check_all_at(portcullis::source::FileKind::Text, &text, "secret.yaml");
        portcullis::fuzzing::check_all_at(portcullis::source::FileKind::Compose, &text, "compose.yaml");
        portcullis::fuzzing::check_all_at(portcullis::source::FileKind::Workflow, &text, ".github/workflows/ci.yml");
    }
}
