//! Credential formats: a keyword for the prefilter, a pattern, and offline checks.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::Secret;

pub struct Provider {
    pub name: &'static str,
    /// Lower-case keywords; the pattern runs only when one occurs in the text.
    pub keywords: &'static [&'static str],
    /// Capture group 1 is the secret.
    pub pattern: &'static str,
    /// Bytes of the secret that are a public prefix and may be shown.
    pub visible: usize,
    /// Minimum Shannon entropy (bits per character) of the part after the prefix.
    pub min_entropy: f64,
    /// An offline check; a candidate that fails it is not a real credential.
    pub verify: Option<fn(&Secret) -> bool>,
    /// Whether `verify` is a checksum (the message says so).
    pub checksummed: bool,
}

const fn p(
    name: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    visible: usize,
    min_entropy: f64,
) -> Provider {
    Provider {
        name,
        keywords,
        pattern,
        visible,
        min_entropy,
        verify: None,
        checksummed: false,
    }
}

const fn crc(mut provider: Provider) -> Provider {
    provider.verify = Some(verify_crc32_base62);
    provider.checksummed = true;
    provider
}

/// Documented example values that must never be reported.
pub const KNOWN_EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
];

pub static PROVIDERS: &[Provider] = &[
    crc(p(
        "GitHub personal access token",
        &["ghp_"],
        r"\b(ghp_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    crc(p(
        "GitHub OAuth access token",
        &["gho_"],
        r"\b(gho_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    crc(p(
        "GitHub App user-to-server token",
        &["ghu_"],
        r"\b(ghu_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    crc(p(
        "GitHub App installation token",
        &["ghs_"],
        r"\b(ghs_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    crc(p(
        "GitHub refresh token",
        &["ghr_"],
        r"\b(ghr_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    p(
        "GitHub fine-grained personal access token",
        &["github_pat_"],
        r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        11,
        3.0,
    ),
    crc(p(
        "npm access token",
        &["npm_"],
        r"\b(npm_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    p(
        "AWS access key ID",
        &["akia", "asia", "abia", "acca", "a3t"],
        r"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        4,
        3.0,
    ),
    p(
        "AWS secret access key",
        &["aws"],
        r#"(?i)aws_?(?:secret_?access_?key|secret_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)"#,
        0,
        3.5,
    ),
    p(
        "Slack bot token",
        &["xoxb-"],
        r"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{20,})\b",
        5,
        3.0,
    ),
    p(
        "Slack user token",
        &["xoxp-", "xoxe-"],
        r"\b(xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9]{28,34})\b",
        5,
        3.0,
    ),
    p(
        "Slack app-level token",
        &["xapp-"],
        r"\b(xapp-[0-9]-[A-Z0-9]+-[0-9]+-[a-z0-9]{32,})\b",
        5,
        3.0,
    ),
    p(
        "Slack incoming webhook URL",
        &["hooks.slack.com"],
        r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56})",
        33,
        3.0,
    ),
    p(
        "Stripe secret key",
        &["sk_live_", "sk_test_", "sk_prod_"],
        r"\b(sk_(?:live|test|prod)_[A-Za-z0-9]{10,99})\b",
        8,
        3.0,
    ),
    p(
        "Stripe restricted key",
        &["rk_live_", "rk_test_", "rk_prod_"],
        r"\b(rk_(?:live|test|prod)_[A-Za-z0-9]{10,99})\b",
        8,
        3.0,
    ),
];

pub struct Compiled {
    pub keywords: AhoCorasick,
    /// Keyword index → provider index.
    pub keyword_provider: Vec<usize>,
    pub patterns: Vec<Regex>,
    pub pem_header: Regex,
}

pub static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut keywords = Vec::new();
    let mut keyword_provider = Vec::new();
    for (i, provider) in PROVIDERS.iter().enumerate() {
        for kw in provider.keywords {
            keywords.push(*kw);
            keyword_provider.push(i);
        }
    }
    keywords.push("-----begin");
    keyword_provider.push(usize::MAX);
    Compiled {
        keywords: AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&keywords)
            .expect("keywords are valid"),
        keyword_provider,
        patterns: PROVIDERS
            .iter()
            .map(|p| Regex::new(p.pattern).expect("provider pattern is valid"))
            .collect(),
        pem_header: Regex::new(
            r"-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP |SSH2 )?PRIVATE KEY(?: BLOCK)?)-----",
        )
        .expect("valid"),
    }
});

/// Shannon entropy in bits per character.
pub fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in text.bytes() {
        counts[b as usize] += 1;
    }
    let n = text.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// `xxxx`, `0000`, `XXXXXXXX…` runs and obvious fill-ins are placeholders, not credentials.
pub fn is_placeholder(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    let first = body.chars().next();
    body.chars().all(|c| Some(c) == first)
        || lower.contains("xxxxxxxx")
        || lower.contains("00000000")
        || lower.contains("example")
        || lower.contains("placeholder")
        || lower.contains("redacted")
}

/// GitHub and npm tokens end in 6 base62 characters: the CRC32 of the 30 before them.
pub fn verify_crc32_base62(secret: &Secret) -> bool {
    let value = secret.expose();
    let Some((_, token)) = value.split_once('_') else {
        return false;
    };
    if token.len() != 36 {
        return false;
    }
    let (body, check) = token.split_at(30);
    base62_6(crc32(body.as_bytes())) == check
}

fn base62_6(mut n: u32) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("ascii")
}

/// CRC-32 (IEEE 802.3, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: LazyLock<[u32; 256]> = LazyLock::new(|| {
        let mut table = [0u32; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        table
    });
    let mut crc = !0u32;
    for &b in data {
        crc = TABLE[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn published_example_tokens_verify() {
        // Published examples of the format (a blog write-up and an issue thread), not live tokens.
        assert!(verify_crc32_base62(&Secret::new(
            "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"
        )));
        assert!(verify_crc32_base62(&Secret::new(
            "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"
        )));
        assert!(!verify_crc32_base62(&Secret::new(
            "ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq18"
        )));
    }

    #[test]
    fn patterns_compile_and_entropy_is_sane() {
        assert_eq!(COMPILED.patterns.len(), PROVIDERS.len());
        assert!(entropy("aaaa") < 0.01);
        assert!(entropy("abcd") > 1.99);
        assert!(is_placeholder("xxxxxxxxxxxxxxxxxxxx"));
    }
}
