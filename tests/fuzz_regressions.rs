//! Inputs that once crashed or hung a parser (found by the fuzz targets in `fuzz/`), replayed
//! through the same entry point the fuzzers use. A file `<kind>-<name>` holds one input.

use portcullis::source::FileKind;

#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        match name.split('-').next() {
            Some("dockerfile") => portcullis::fuzzing::check_all(FileKind::Dockerfile, &text),
            Some("compose") => portcullis::fuzzing::check_all(FileKind::Compose, &text),
            Some("workflow") => portcullis::fuzzing::check_all(FileKind::Workflow, &text),
            Some("env") => portcullis::fuzzing::check_all(FileKind::Env, &text),
            Some("expr") => portcullis::fuzzing::check_expr(&text),
            Some("shell") => portcullis::fuzzing::check_shell(&text),
            _ => panic!("{name}: name it <dockerfile|compose|workflow|env|expr|shell>-<what>"),
        }
        replayed += 1;
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}
