#![no_main]
//! The `${{ }}` expression finder and parser.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Bytes are read as a scan reads them: undecodable ones become U+FFFD.
    let loaded = portcullis::scan::decode(data.to_vec());
    let text = loaded.text.as_str();
    portcullis::fuzzing::check_expr(text);
});
