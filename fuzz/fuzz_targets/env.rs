#![no_main]
//! The env-file parser, with spans checked to be valid slices.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Bytes are read as a scan reads them: undecodable ones become U+FFFD.
    let loaded = portcullis::scan::decode(data.to_vec());
    let text = loaded.text.as_str();
    for entry in portcullis::parse::env::parse(text).entries {
        let _ = &text[entry.key_span.range()];
        let _ = &text[entry.value_span.range()];
    }
    portcullis::fuzzing::check_all(portcullis::source::FileKind::Env, text);
});
