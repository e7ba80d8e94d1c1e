//! Committed credentials.

pub mod assignments;
pub mod build_context_leak;
pub mod committed_env_file;
pub mod credential_files;
pub mod credential_in_run;
pub mod hardcoded_secret;
pub mod kubernetes;
pub mod providers;
pub mod secret_file_in_image;
pub mod secret_in_build_arg;
pub mod secret_in_config;
pub mod weak_default_credential;

/// A candidate secret. It can be measured and checked but never printed: `Debug` shows
/// `[redacted]` and there is no `Display`, so no format string can leak it by accident.
pub struct Secret<'a>(&'a str);

impl<'a> Secret<'a> {
    pub fn new(value: &'a str) -> Secret<'a> {
        Secret(value)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Expose the value to a checker; the name makes each use visible in review.
    pub fn expose(&self) -> &'a str {
        self.0
    }
}

impl std::fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How a redacted secret is shown: its non-secret prefix, then `…[redacted]`.
pub fn redacted(prefix: &str) -> String {
    format!("{prefix}…[redacted]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("ghp_abc");
        assert_eq!(format!("{s:?}"), "[redacted]");
    }
}
