#![no_main]
//! The shell model, with spans checked to stay inside the text.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let script = portcullis::parse::shell::parse(text, &|r| portcullis::source::Span::new(r.start, r.end));
        for command in &script.commands {
            for word in &command.words {
                assert!(word.span.end as usize <= text.len());
            }
        }
    }
});
