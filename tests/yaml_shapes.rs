//! Portcullis reads YAML as the reference parser does: each shape in `tests/data/yaml-shapes`
//! must give the tree that PyYAML gives (`scripts/yaml-differential.py` wrote the `.json`
//! beside it, with every scalar kept as its text).

use portcullis::parse::yaml::{self, Node, Value};

fn to_json(node: &Node) -> serde_json::Value {
    match &node.value {
        // An empty value is null; the parser spells it `~`, the reference keeps it empty.
        Value::Scalar(scalar) if scalar.is_null() && node.span.is_empty() => {
            serde_json::Value::String(String::new())
        }
        Value::Scalar(scalar) => serde_json::Value::String(scalar.text.clone()),
        Value::Seq(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|e| {
                    let key = e.key.as_scalar().map_or(String::new(), |s| s.text.clone());
                    (key, to_json(&e.value))
                })
                .collect(),
        ),
    }
}

#[test]
fn every_shape_reads_as_the_reference_parser_reads_it() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/yaml-shapes");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("json")).unwrap())
                .unwrap();
        match yaml::parse(&text) {
            Ok(Some(root)) if to_json(&root) == expected => {}
            Ok(root) => wrong.push(format!(
                "{}: read as {:?}",
                path.display(),
                root.as_ref().map(to_json)
            )),
            Err(e) => wrong.push(format!("{}: refused: {}", path.display(), e.message)),
        }
        checked += 1;
    }
    assert!(checked >= 12, "{checked} shapes");
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Spans still point into the original text after flow lines were re-indented to be read.
#[test]
fn spans_of_relaxed_flow_collections_are_those_of_the_file() {
    let text = "services:\n  web:\n    command: [\n    \"a\",\n    \"b\"\n    ]\n    user: root\n";
    let root = yaml::parse(text).unwrap().unwrap();
    let web = root.get("services").unwrap().get("web").unwrap();
    let command = web.get("command").unwrap();
    let items = command.as_seq().unwrap();
    assert_eq!(&text[items[1].span.range()], "\"b\"");
    let user = web.entry("user").unwrap();
    assert_eq!(&text[user.key.span.range()], "user");
    assert_eq!(&text[user.value.span.range()], "root");
}

/// Deep but valid nesting is read; only what no real file needs is refused.
#[test]
fn deep_nesting_within_the_limit_is_read() {
    let mut text = String::new();
    for depth in 0..600 {
        text.push_str(&" ".repeat(depth));
        text.push_str("k:\n");
    }
    text.push_str(&" ".repeat(600));
    text.push_str("privileged: true\n");
    assert!(yaml::parse(&text).unwrap().is_some());
    let too_deep: String = (0..1200)
        .map(|d| format!("{}k:\n", " ".repeat(d)))
        .collect();
    assert!(yaml::parse(&(too_deep + "x: 1\n")).is_err());
}

/// Aliases that expand a long list a few hundred times are what Compose accepts; a bomb
/// that expands far beyond the document is refused.
#[test]
fn alias_expansion_is_judged_by_its_ratio_to_the_document() {
    let items: Vec<String> = (0..1000).map(|i| format!("i{i}")).collect();
    let mut text = format!("x-list: &l [{}]\nuses:\n", items.join(", "));
    for i in 0..260 {
        text.push_str(&format!("  u{i}: *l\n"));
    }
    let root = yaml::parse(&text).unwrap().unwrap();
    assert_eq!(root.get("uses").unwrap().as_map().unwrap().len(), 260);

    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let p = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{p}"); 10].join(", ")
        ));
    }
    let error = yaml::parse(&bomb).unwrap_err();
    assert!(error.message.contains("alias"), "{}", error.message);
}
