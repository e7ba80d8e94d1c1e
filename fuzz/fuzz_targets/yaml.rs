#![no_main]
//! The YAML layer, then the compose and workflow rules on whatever it builds.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        portcullis::fuzzing::check_all(portcullis::source::FileKind::Compose, text);
        portcullis::fuzzing::check_all(portcullis::source::FileKind::Workflow, text);
    }
});
