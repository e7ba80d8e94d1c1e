#![no_main]
//! The shell model, with spans checked to stay inside the text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Bytes are read as a scan reads them: undecodable ones become U+FFFD.
    let loaded = portcullis::scan::decode(data.to_vec());
    let text = loaded.text.as_str();
    portcullis::fuzzing::check_shell(text);
});
