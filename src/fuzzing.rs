//! Entry points for the fuzz targets in `fuzz/`: run a parser and every rule of a file kind on
//! arbitrary text, the way a scan does, and check the results stay within the text.

use crate::parse;
use crate::rules::{self, Context, Project};
use crate::source::{FileKind, SourceFile};

/// Parse `text` as `kind` and run every rule that applies; panics on any span outside the text.
pub fn check_all(kind: FileKind, text: &str) {
    check_all_at(kind, text, "fuzz");
}

/// `check_all` for a file of this name (rules may read differently by name: `renovate.json5`).
pub fn check_all_at(kind: FileKind, text: &str, name: &str) {
    let file = SourceFile::new(name, kind, text.to_string());
    let (doc, errors) = parse::parse(kind, &file.text);
    for error in &errors {
        assert!(
            error.span.end as usize <= text.len(),
            "parse error span outside the text"
        );
    }
    let doc = doc.unwrap_or(parse::Document::Unparsed);
    let project = Project::default();
    let path = std::path::PathBuf::from(name);
    let mut cx = Context::new(&file, &path, &project);
    for rule in rules::ALL.iter().copied() {
        if let Some(check) = rule.check
            && rule.applies_to(kind)
        {
            cx.set_rule(rule);
            check(&doc, &mut cx);
        }
    }
    for draft in &cx.drafts {
        assert!(
            draft.span.start <= draft.span.end && draft.span.end as usize <= text.len(),
            "{}: span outside the text",
            draft.rule.id
        );
        let _ = file.line_col(draft.span.start as usize);
    }
}

/// The `${{ }}` finder and the expression parser on arbitrary text.
pub fn check_expr(text: &str) {
    for found in parse::expr::find_all(text) {
        let _ = &text[found.range.clone()];
        if let Ok(expr) = found.expr {
            let _ = expr.path_name();
        }
    }
    let _ = parse::expr::parse(text);
}

/// The shell model on arbitrary text; every word's span stays inside it.
pub fn check_shell(text: &str) {
    let script = parse::shell::parse(text, &|r| crate::source::Span::new(r.start, r.end));
    for command in &script.commands {
        for word in &command.words {
            assert!(
                word.span.end as usize <= text.len(),
                "word span outside the text"
            );
            let _ = &text[word.span.range()];
        }
    }
}
