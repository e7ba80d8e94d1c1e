#![no_main]
//! The shell model, with spans checked to stay inside the text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        portcullis::fuzzing::check_shell(text);
    }
});
