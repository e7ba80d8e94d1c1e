#![no_main]
//! The `${{ }}` expression finder and parser.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for found in portcullis::parse::expr::find_all(text) {
            if let Ok(expr) = found.expr {
                let _ = expr.path_name();
            }
        }
        let _ = portcullis::parse::expr::parse(text);
    }
});
