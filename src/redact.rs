//! Run-wide redaction: every secret value found anywhere in the run is masked wherever it
//! appears in what Portcullis writes — a message about another file, a value carried into a
//! compose file by interpolation, a "not checked" note quoting a line — and only as a whole
//! value, never inside another word.
//!
//! Rules mark secrets in their own file (`Context::redact`); the scan gathers them all and
//! scrubs the report once, before any renderer sees it.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::fingerprint::MASK;

/// Secrets shorter than this are not searched for in text: they would mask ordinary words.
const MIN_SECRET_LEN: usize = 6;

/// Total length of secrets up to which the matcher is a full DFA (about 250 secrets; at most
/// a MiB or so).
const DFA_BYTES: usize = 8 * 1024;

/// The secret values of a run, ready to be masked in any text.
#[derive(Default, Debug, Clone)]
pub struct Redactor {
    matcher: Option<AhoCorasick>,
    /// For each pattern, how many leading bytes may be shown (a provider prefix like `ghp_`).
    visible: Vec<usize>,
    /// The secrets themselves, so that more can be added (`with`).
    secrets: Vec<String>,
}

impl Redactor {
    /// `secrets` are (value, visible prefix length) pairs.
    pub fn new(secrets: impl IntoIterator<Item = (String, usize)>) -> Redactor {
        let mut pairs: Vec<(String, usize)> = secrets
            .into_iter()
            .filter(|(value, visible)| value.len().saturating_sub(*visible) >= MIN_SECRET_LEN)
            .collect();
        pairs.sort();
        pairs.dedup_by(|a, b| a.0 == b.0);
        if pairs.is_empty() {
            return Redactor::default();
        }
        // A full DFA searches several times faster than the default automaton (the whole
        // report passes through here); its size grows with the secrets' total length, so past
        // a bound the builder chooses.
        let total: usize = pairs.iter().map(|(value, _)| value.len()).sum();
        let kind = (total <= DFA_BYTES).then_some(aho_corasick::AhoCorasickKind::DFA);
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(kind)
            .build(pairs.iter().map(|(value, _)| value.as_str()))
            .ok();
        let (secrets, visible) = pairs.into_iter().unzip();
        Redactor {
            matcher,
            visible,
            secrets,
        }
    }

    /// A redactor for these secrets and `more`.
    pub fn with(&self, more: impl IntoIterator<Item = (String, usize)>) -> Redactor {
        let known = self
            .secrets
            .iter()
            .cloned()
            .zip(self.visible.iter().copied());
        Redactor::new(known.chain(more))
    }

    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// `text` with every known secret that stands as a whole value (not inside a longer word)
    /// masked past its visible prefix.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let Some(matcher) = &self.matcher else {
            return Cow::Borrowed(text);
        };
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        let mut out = String::new();
        let mut copied = 0;
        for found in matcher.find_iter(text) {
            let (start, end) = (found.start(), found.end());
            if word(text[..start].chars().next_back()) || word(text[end..].chars().next()) {
                continue;
            }
            let hidden_from = start + self.visible[found.pattern().as_usize()];
            out.push_str(&text[copied..hidden_from]);
            out.push_str(MASK);
            copied = end;
        }
        if copied == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[copied..]);
        Cow::Owned(out)
    }

    /// Scrub a string in place.
    pub fn scrub_in_place(&self, text: &mut String) {
        if let Cow::Owned(scrubbed) = self.scrub(text) {
            *text = scrubbed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_whole_values_only() {
        let redactor = Redactor::new([
            ("ghp_abcdefghijklmnop".to_string(), 4),
            ("hunter22secret".to_string(), 0),
            ("short".to_string(), 0),
        ]);
        assert_eq!(
            redactor.scrub("image reg/app:ghp_abcdefghijklmnop and `hunter22secret`"),
            "image reg/app:ghp_…[redacted] and `…[redacted]`"
        );
        // Inside another word: left alone; too short to search for: left alone.
        assert_eq!(
            redactor.scrub("xhunter22secrets short"),
            "xhunter22secrets short"
        );
        assert!(matches!(redactor.scrub("nothing here"), Cow::Borrowed(_)));
        assert!(Redactor::new([]).is_empty());
    }
}
