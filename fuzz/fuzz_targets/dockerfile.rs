#![no_main]
//! The Dockerfile parser and every Dockerfile rule on arbitrary text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        portcullis::fuzzing::check_all(portcullis::source::FileKind::Dockerfile, text);
    }
});
