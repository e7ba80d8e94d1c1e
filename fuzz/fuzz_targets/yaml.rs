#![no_main]
//! The YAML layer, then the compose, workflow and dependency-bot rules on whatever it builds.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Bytes are read as a scan reads them: undecodable ones become U+FFFD.
    let loaded = portcullis::scan::decode(data.to_vec());
    let text = loaded.text.as_str();
    portcullis::fuzzing::check_all(portcullis::source::FileKind::Compose, text);
    portcullis::fuzzing::check_all(portcullis::source::FileKind::Workflow, text);
    portcullis::fuzzing::check_all(portcullis::source::FileKind::Action, text);
    // Dependabot's YAML, and Renovate's JSON5 read through the same layer.
    portcullis::fuzzing::check_all(portcullis::source::FileKind::DependencyBot, text);
    portcullis::fuzzing::check_all_at(portcullis::source::FileKind::DependencyBot, text, "renovate.json5");
});
