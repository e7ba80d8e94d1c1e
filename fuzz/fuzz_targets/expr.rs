#![no_main]
//! The `${{ }}` expression finder and parser.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        portcullis::fuzzing::check_expr(text);
    }
});
