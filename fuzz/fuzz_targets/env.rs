#![no_main]
//! The env-file parser, with spans checked to be valid slices.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for entry in portcullis::parse::env::parse(text).entries {
            let _ = &text[entry.key_span.range()];
            let _ = &text[entry.value_span.range()];
        }
        portcullis::fuzzing::check_all(portcullis::source::FileKind::Env, text);
    }
});
