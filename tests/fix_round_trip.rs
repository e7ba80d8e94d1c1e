//! `fix --pin` never corrupts a file: over every fixture and a hostile set (escapes, quotes,
//! block scalars, flow collections, anchors, CRLF, comments), pinning with a fake commit and a
//! fake digest changes only the refs and tags — the file parses to the same document except
//! for them, keeps its number of lines, and nothing else of its text moves.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use portcullis::fix::{candidates, insert_digests, rewrite};
use portcullis::parse::yaml::{self, Node};
use portcullis::source::FileKind;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const DIGEST: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// Hostile but valid files: (name, text).
const HOSTILE: &[(&str, &str)] = &[
    (
        ".github/workflows/escapes.yml",
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: \"\\x61ctions/checkout@v4\"\n      - uses: \"actions/cache@v\\x34\"\n      - uses: \"actions/setup-node@v4\n          \"\n      - uses: >-\n          actions/setup-go@v5\n      - uses: 'actions/setup-python@v5' # python\n      - {uses: actions/upload-artifact@v4, with: {name: a}}\n      - uses: actions/download-artifact@v4\t# tab before the comment\n      - &step\n        uses: actions/github-script@v7\n      - *step\n",
    ),
    (
        ".github/workflows/crlf.yml",
        "on: push\r\njobs:\r\n  t:\r\n    runs-on: ubuntu-24.04\r\n    container: \"node:22\"\r\n    steps:\r\n      - uses: actions/checkout@v4 # checkout\r\n",
    ),
    (
        "compose.yaml",
        "x-base: &base\n  image: redis:7\nservices:\n  a:\n    image: \"ngin\\x78:1.27\"\n  b:\n    image: >-\n      nginx:1.27\n  c:\n    image: 'postgres:16' # db\n  d: {image: \"mysql:8\", ports: [\"3306\"]}\n  e:\n    <<: *base\n  f:\n    image: \"busybox:1.36\n      \"\n",
    ),
    (
        "Dockerfile",
        "FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nFROM \\\n  alpine:3.20\nCOPY --from=busybox:1.36 /bin/sh /sh\nRUN --mount=type=bind,from=node:22,target=/n true\n",
    ),
];

/// Every fixture and test-data file Portcullis can pin, with its text.
fn corpus() -> Vec<(String, FileKind, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = vec![root.join("fixtures"), root.join("tests/data")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let Some(kind) = portcullis::discover::classify_found(&path) else {
                continue;
            };
            if !matches!(
                kind,
                FileKind::Dockerfile | FileKind::Compose | FileKind::Workflow | FileKind::Action
            ) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let shown = path.strip_prefix(root).unwrap().display().to_string();
            files.push((shown, kind, text));
        }
    }
    for (name, text) in HOSTILE {
        let kind = portcullis::discover::classify_found(Path::new(name)).unwrap();
        files.push((format!("hostile/{name}"), kind, text.to_string()));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// Pin `text` as `fix --pin` does, with every commit `SHA` and every digest `DIGEST`; the
/// result and the `uses:` places pinned ((0-based line, ref)).
fn pin(name: &str, kind: FileKind, text: &str) -> (String, HashSet<(usize, String)>) {
    let mut skipped = Vec::new();
    let pins = candidates(Path::new(name), name, kind, text, &mut skipped);
    let digests: HashMap<String, String> = pins
        .iter()
        .map(|p| (p.reference.clone(), DIGEST.to_string()))
        .collect();
    let (with_digests, _) = insert_digests(text, &pins, &digests);
    if !matches!(kind, FileKind::Workflow | FileKind::Action) {
        return (with_digests, HashSet::new());
    }
    let (found, _) = portcullis::fix::unpinned_uses_explained(&with_digests);
    let commits: HashMap<(String, String), String> = found
        .iter()
        .map(|u| ((u.repository.clone(), u.reference.clone()), SHA.to_string()))
        .collect();
    let pinned = found
        .iter()
        .map(|u| (u.line, u.reference.clone()))
        .collect();
    (rewrite(&with_digests, &found, &commits), pinned)
}

/// A YAML document as comparable data: scalars as their text, maps as ordered pairs. A `uses`
/// value pinned at its line has its ref written `@PINNED`; the pinned digest is left out.
fn canonical(
    node: &Node,
    source: &str,
    pinned: &HashSet<(usize, String)>,
    key: Option<&str>,
) -> String {
    if let Some(text) = node.as_str() {
        let text = text.replace(&format!("@{DIGEST}"), "");
        if key == Some("uses") {
            let line = source[..node.span.start as usize].matches('\n').count();
            if let Some((head, reference)) = text.rsplit_once('@')
                && (reference == SHA || pinned.contains(&(line, reference.to_string())))
            {
                return format!("{head}@PINNED");
            }
        }
        return format!("{text:?}");
    }
    if let Some(items) = node.as_seq() {
        let items: Vec<String> = items
            .iter()
            .map(|n| canonical(n, source, pinned, None))
            .collect();
        return format!("[{}]", items.join(", "));
    }
    let entries: Vec<String> = node
        .as_map()
        .unwrap_or(&[])
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                canonical(&e.key, source, pinned, None),
                canonical(&e.value, source, pinned, e.key_str())
            )
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}

#[test]
fn pinning_changes_only_refs_and_tags() {
    let files = corpus();
    assert!(files.len() > 100, "{} files", files.len());
    let mut edited = 0;
    for (name, kind, text) in &files {
        let (new, pinned) = pin(name, *kind, text);
        if new == *text {
            continue;
        }
        edited += 1;
        assert_eq!(
            text.split('\n').count(),
            new.split('\n').count(),
            "{name}: lines added or removed"
        );
        // Without the digests, and with the comments `# <ref>` taken back, nothing moved.
        let unpinned = new.replace(&format!("@{DIGEST}"), "");
        if pinned.is_empty() {
            assert_eq!(&unpinned, text, "{name}");
        }
        if *kind == FileKind::Dockerfile {
            continue;
        }
        let before = yaml::parse(text);
        let after = yaml::parse(&new);
        let (Ok(Some(before)), Ok(Some(after))) = (&before, &after) else {
            assert!(
                before.is_err() || matches!(before, Ok(None)),
                "{name}: valid YAML became invalid:\n{new}"
            );
            continue;
        };
        // Pinned refs in the old document are those of `pinned`, on the same lines.
        let old_places: HashSet<(usize, String)> = pinned;
        assert_eq!(
            canonical(before, text, &old_places, None),
            canonical(after, &new, &HashSet::new(), None),
            "{name}: the document changed beyond its refs:\n{new}"
        );
    }
    assert!(edited > 20, "only {edited} files had something to pin");
}

#[test]
fn the_hostile_set_is_pinned_where_it_is_safe_and_explained_where_not() {
    let workflow = HOSTILE[0].1;
    let (new, _) = pin(
        ".github/workflows/escapes.yml",
        FileKind::Workflow,
        workflow,
    );
    // As written: only the ref moves, quotes and escapes stay.
    assert!(
        new.contains(&format!("\"\\x61ctions/checkout@{SHA}\" # v4\n")),
        "{new}"
    );
    assert!(
        new.contains(&format!("'actions/setup-python@{SHA}' # v5 - python\n")),
        "{new}"
    );
    assert!(new.contains(&format!(
        "{{uses: actions/upload-artifact@{SHA}, with: {{name: a}}}} # v4\n"
    )));
    assert!(
        new.contains(&format!("uses: actions/github-script@{SHA} # v7\n")),
        "{new}"
    );
    // Escaped ref, value past the line, block scalar: left as they were, with a reason.
    assert!(new.contains("\"actions/cache@v\\x34\"\n"), "{new}");
    assert!(new.contains("\"actions/setup-node@v4\n"), "{new}");
    assert!(new.contains("actions/setup-go@v5\n"), "{new}");
    let (_, skipped) = portcullis::fix::unpinned_uses_explained(workflow);
    assert_eq!(skipped.len(), 3, "{skipped:#?}");

    let compose = HOSTILE[2].1;
    let mut skipped = Vec::new();
    let pins = candidates(
        Path::new("compose.yaml"),
        "compose.yaml",
        FileKind::Compose,
        compose,
        &mut skipped,
    );
    let pinned: Vec<&str> = pins.iter().map(|p| p.reference.as_str()).collect();
    for reference in ["redis:7", "nginx:1.27", "postgres:16", "mysql:8"] {
        assert!(
            pinned.contains(&reference),
            "{reference}: {pinned:?} {skipped:?}"
        );
    }
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("`nginx:1.27` is written with escapes")),
        "{skipped:?}"
    );
}
