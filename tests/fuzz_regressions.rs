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
        let kind = match name.split('-').next() {
            Some("dockerfile") => FileKind::Dockerfile,
            Some("compose") => FileKind::Compose,
            Some("workflow") => FileKind::Workflow,
            Some("env") => FileKind::Env,
            _ => continue,
        };
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        portcullis::fuzzing::check_all(kind, &text);
        replayed += 1;
    }
    assert!(replayed > 0, "no regression inputs in {}", dir.display());
}
