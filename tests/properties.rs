//! Property tests: span → line/column conversion and `.dockerignore` matching.

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
