#![no_main]
//! The Dockerfile parser and every Dockerfile rule on arbitrary text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Bytes are read as a scan reads them: undecodable ones become U+FFFD.
    let loaded = portcullis::scan::decode(data.to_vec());
    let text = loaded.text.as_str();
    portcullis::fuzzing::check_all(portcullis::source::FileKind::Dockerfile, text);
});
