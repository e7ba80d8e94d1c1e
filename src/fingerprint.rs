//! Fingerprints that identify a finding across runs without line numbers, and never from a
//! secret value: both are computed over the masked text (secrets replaced by a fixed marker).

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use crate::rules::Redaction;

pub const MASK: &str = "…[redacted]";

/// `text` with every redacted secret (past its visible prefix) replaced by `MASK`.
pub fn mask<'a>(text: &'a str, redactions: &[Redaction]) -> Cow<'a, str> {
    if redactions.is_empty() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(mask_stretches(text, &hidden_stretches(redactions)))
}

/// The stretches of a text [`mask`] replaces: each secret past its visible prefix, in order,
/// overlapping ones merged.
pub fn hidden_stretches(redactions: &[Redaction]) -> Vec<(usize, usize)> {
    let mut spans: Vec<_> = redactions
        .iter()
        .map(|r| (r.span.start as usize + r.visible, r.span.end as usize))
        .filter(|(s, e)| s < e)
        .collect();
    spans.sort_unstable();
    let mut stretches = Vec::with_capacity(spans.len());
    let mut at = 0;
    for (start, end) in spans {
        if end <= at {
            continue;
        }
        stretches.push((start.max(at), end));
        at = end;
    }
    stretches
}

/// `text` with `stretches` (from [`hidden_stretches`]) replaced by `MASK`.
pub fn mask_stretches(text: &str, stretches: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for &(start, end) in stretches {
        out.push_str(&text[at..start]);
        // Keep line breaks so that line numbers still hold in the masked text.
        for _ in text[start..end].matches('\n') {
            out.push('\n');
        }
        out.push_str(MASK);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Portcullis' own fingerprint: rule, path and the normalised content of the finding's line and
/// span. Moving the line leaves it unchanged; `occurrence` tells identical lines apart.
pub fn fingerprint(
    rule: &str,
    path: &str,
    line: &str,
    span_text: &str,
    occurrence: usize,
) -> String {
    finish_fingerprint(fingerprint_of_line(rule, path, line), span_text, occurrence)
}

/// The part of [`fingerprint`] that depends on the rule, the path and the line only: findings of
/// one rule on one line share it, so a line holding thousands of them is hashed once.
pub fn fingerprint_of_line(rule: &str, path: &str, line: &str) -> Sha256 {
    let mut hasher = Sha256::new();
    for part in [rule, path] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let mut words = line.split_whitespace();
    if let Some(first) = words.next() {
        hasher.update(first.as_bytes());
        for word in words {
            hasher.update(b" ");
            hasher.update(word.as_bytes());
        }
    }
    hasher.update([0]);
    hasher
}

/// [`fingerprint`] from its line's part.
pub fn finish_fingerprint(mut hasher: Sha256, span_text: &str, occurrence: usize) -> String {
    hasher.update(span_text.as_bytes());
    hasher.update([0]);
    hasher.update(occurrence.to_le_bytes());
    let digest = hasher.finalize();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    out
}

/// GitHub's `primaryLocationLineHash` for every line of `text` (index 0 is line 1): a rolling
/// hash over the next 100 non-blank UTF-16 units from the start of each line, with a count
/// suffix for repeated values, as GitHub's upload action computes it when none is given.
pub fn line_hashes(text: &str) -> Vec<String> {
    let raw = raw_line_hashes(text);
    let mut counts: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    raw.iter()
        .map(|hash| {
            let n = counts.entry(*hash).or_insert(0);
            *n += 1;
            format!("{hash:x}:{n}")
        })
        .collect()
}

/// The `primaryLocationLineHash` of the given lines (1-based) only: the rolling hash runs over
/// the whole text, but only the wanted lines' values are counted and formatted.
pub fn line_hashes_of(text: &str, wanted: &[u32]) -> std::collections::HashMap<u32, String> {
    use std::collections::{HashMap, HashSet};
    let raw = raw_line_hashes(text);
    let wanted: HashSet<u32> = wanted.iter().copied().collect();
    let mut counts: HashMap<u64, usize> = wanted
        .iter()
        .filter_map(|line| raw.get(*line as usize - 1).map(|hash| (*hash, 0)))
        .collect();
    let mut out = HashMap::with_capacity(wanted.len());
    for (index, hash) in raw.iter().enumerate() {
        // Only the hashes of wanted lines are counted: a line's suffix is how many lines up to
        // it share its hash.
        let Some(n) = counts.get_mut(hash) else {
            continue;
        };
        *n += 1;
        let line = index as u32 + 1;
        if wanted.contains(&line) {
            out.insert(line, format!("{hash:x}:{n}"));
        }
    }
    out
}

/// The rolling hash value of every line, without the count suffix.
fn raw_line_hashes(text: &str) -> Vec<u64> {
    const BLOCK: usize = 100;
    const MOD: u64 = 37;
    const EOF: u16 = 0xFFFF;
    let first_mod = (0..BLOCK).fold(1u64, |acc, _| acc.wrapping_mul(MOD));

    let mut window = [0u16; BLOCK];
    let mut line_numbers = [0usize; BLOCK]; // 0 = no line starts here
    let mut hash: u64 = 0;
    let mut index = 0;
    let mut line_number = 0;
    let mut line_start = true;
    let mut prev_cr = false;
    let mut out: Vec<u64> = Vec::new();

    let emit = |hash: u64, line: usize, out: &mut Vec<u64>| {
        if out.len() < line {
            out.resize(line, 0);
        }
        out[line - 1] = hash;
    };

    let mut process = |c: u16,
                       hash: &mut u64,
                       index: &mut usize,
                       window: &mut [u16; BLOCK],
                       line_numbers: &mut [usize; BLOCK],
                       out: &mut Vec<u64>| {
        let mut c = c;
        if c == b' ' as u16 || c == b'\t' as u16 || (prev_cr && c == b'\n' as u16) {
            prev_cr = false;
            return;
        }
        if c == b'\r' as u16 {
            c = b'\n' as u16;
            prev_cr = true;
        } else {
            prev_cr = false;
        }
        if line_numbers[*index] != 0 {
            emit(*hash, line_numbers[*index], out);
            line_numbers[*index] = 0;
        }
        if line_start {
            line_start = false;
            line_number += 1;
            line_numbers[*index] = line_number;
        }
        if c == b'\n' as u16 {
            line_start = true;
        }
        let begin = window[*index];
        window[*index] = c;
        *hash = MOD
            .wrapping_mul(*hash)
            .wrapping_add(c as u64)
            .wrapping_sub(first_mod.wrapping_mul(begin as u64));
        *index = (*index + 1) % BLOCK;
    };

    for unit in text.encode_utf16() {
        process(
            unit,
            &mut hash,
            &mut index,
            &mut window,
            &mut line_numbers,
            &mut out,
        );
    }
    process(
        EOF,
        &mut hash,
        &mut index,
        &mut window,
        &mut line_numbers,
        &mut out,
    );
    for _ in 0..BLOCK {
        if line_numbers[index] != 0 {
            emit(hash, line_numbers[index], &mut out);
            line_numbers[index] = 0;
        }
        let begin = window[index];
        window[index] = 0;
        hash = MOD
            .wrapping_mul(hash)
            .wrapping_sub(first_mod.wrapping_mul(begin as u64));
        index = (index + 1) % BLOCK;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    /// Fingerprints are stable forever (baselines and code scanning key on them): hashing the
    /// line once per line gives exactly the value of the original formula.
    #[test]
    fn fingerprint_by_line_is_the_original_formula() {
        let original = |rule: &str, path: &str, line: &str, span: &str, occurrence: usize| {
            let normalised: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut hasher = Sha256::new();
            for part in [rule, path, &normalised, span] {
                hasher.update(part.as_bytes());
                hasher.update([0]);
            }
            hasher.update(occurrence.to_le_bytes());
            let digest = hasher.finalize();
            digest[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        for line in [
            "",
            "   ",
            "a",
            "  FROM  node:20\t AS build ",
            "x=…[redacted] y",
            "é ü\u{3000}z",
        ] {
            for (span, occurrence) in [("", 0), ("node:20", 1), ("…[redacted]", 7)] {
                assert_eq!(
                    fingerprint("unpinned-image", "a/Dockerfile", line, span, occurrence),
                    original("unpinned-image", "a/Dockerfile", line, span, occurrence),
                    "{line:?} {span:?}"
                );
            }
        }
    }

    #[test]
    fn masking_hides_the_secret_and_keeps_lines() {
        let text = "a\nkey: ghp_SECRETVALUE\nb";
        let start = text.find("ghp_").unwrap();
        let r = Redaction {
            span: Span::new(start, start + "ghp_SECRETVALUE".len()),
            visible: 4,
        };
        let masked = mask(text, &[r]);
        assert_eq!(masked, "a\nkey: ghp_…[redacted]\nb");
        assert!(!masked.contains("SECRET"));
    }

    #[test]
    fn line_hashes_ignore_blanks_and_count_repeats() {
        let a = line_hashes("x = 1\ny\nx = 1\n");
        let wanted = line_hashes_of("x = 1\ny\nx = 1\n", &[3, 2]);
        assert_eq!(wanted.len(), 2);
        assert_eq!(wanted[&2], a[1]);
        assert_eq!(wanted[&3], a[2]);
        let b = line_hashes("x=1\n  y\nx =1\n");
        assert_eq!(a, b);
        assert_eq!(a.len(), 4);
        let (h1, n1) = a[0].split_once(':').unwrap();
        let (h3, n3) = a[2].split_once(':').unwrap();
        assert_ne!(a[0], a[1]);
        // Same content from line start to end of file differs, so the hashes differ too…
        assert_ne!(h1, h3);
        assert_eq!((n1, n3), ("1", "1"));
        // …but identical files give identical hashes, and CRLF equals LF.
        assert_eq!(line_hashes("a\r\nb\r\n"), line_hashes("a\nb\n"));
    }

    #[test]
    fn fingerprint_ignores_whitespace_and_line_number() {
        let a = fingerprint("latest-tag", "Dockerfile", "FROM  nginx", "nginx", 0);
        let b = fingerprint("latest-tag", "Dockerfile", "FROM nginx", "nginx", 0);
        assert_eq!(a, b);
        assert_ne!(
            a,
            fingerprint("latest-tag", "Dockerfile", "FROM nginx", "nginx", 1)
        );
        assert_eq!(a.len(), 32);
    }
}
