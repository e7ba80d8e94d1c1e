//! Credential files by name, and Docker's `.dockerignore` matching.

/// Is `path` (relative, forward slashes) a file that holds credentials?
pub fn credential_file(path: &str) -> Option<&'static str> {
    let lower = path.trim_end_matches('/').to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if name.ends_with(".pub") {
        return None;
    }
    let template = ["example", "sample", "template", "dist", "tmpl", "tpl"]
        .iter()
        .any(|t| name.ends_with(&format!(".{t}")));
    if (name == ".env" || name.starts_with(".env.")) && !template {
        return Some("an environment file");
    }
    if ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"]
        .iter()
        .any(|k| name.starts_with(k))
    {
        return Some("an SSH private key");
    }
    if (name.ends_with(".pem")
        || name.ends_with(".key")
        || name.ends_with(".p12")
        || name.ends_with(".pfx")
        || name.ends_with(".jks"))
        && !public_material(name)
    {
        return Some("a private key or keystore");
    }
    match name {
        ".npmrc" => return Some("npm credentials (`.npmrc`)"),
        ".pypirc" => return Some("PyPI credentials (`.pypirc`)"),
        ".netrc" | "_netrc" => return Some("`.netrc` credentials"),
        ".git-credentials" => return Some("Git credentials"),
        "kubeconfig" => return Some("a kubeconfig"),
        "credentials.json" | "client_secret.json" => return Some("cloud credentials"),
        _ => {}
    }
    if lower.ends_with(".aws/credentials") {
        return Some("AWS credentials");
    }
    if lower.ends_with(".docker/config.json") {
        return Some("Docker registry credentials");
    }
    if lower.ends_with(".kube/config") {
        return Some("a kubeconfig");
    }
    if name.ends_with(".json")
        && (name.contains("service-account")
            || name.contains("service_account")
            || name.contains("serviceaccount"))
    {
        return Some("a service-account key");
    }
    None
}

/// A key or PEM file whose name says it is public: public keys (`*pub*`), repository signing
/// keys (`*.gpg.key`, `*-keyring*`), certificates and chains (`cert`, `crt`, `chain`, `bundle`,
/// `ca.pem`), and Diffie-Hellman parameters (`dhparam*.pem`, `ffdhe4096.pem`).
fn public_material(name: &str) -> bool {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    [
        "pub", "gpg", "keyring", "cert", "crt", "chain", "bundle", "dhparam", "ffdhe",
    ]
    .iter()
    .any(|word| stem.contains(word))
        || (name.ends_with(".pem")
            && (stem == "ca"
                || stem.starts_with("ca-")
                || stem.ends_with("-ca")
                || stem.ends_with("_ca")))
        || (stem.starts_with("dh")
            && stem[2..].chars().all(|c| c.is_ascii_digit())
            && stem.len() > 2)
}

/// `.dockerignore` rules as Docker applies them: patterns relative to the context root, `*` and
/// `?` within one path segment, `**` across segments, `!` re-including, the last matching rule
/// winning, and a rule that matches a directory covering everything below it.
pub struct DockerIgnore {
    rules: Vec<(Pattern, bool)>,
}

/// One `.dockerignore` pattern. Most are plain names (`.git`, `node_modules`) or `*.ext`:
/// those are compared as text, and only the others are compiled to a glob matcher.
enum Pattern {
    Literal(String),
    /// `*` then text without separators or wildcards: one segment ending so.
    AnyEndingWith(String),
    Glob(globset::GlobMatcher),
}

impl Pattern {
    fn new(pattern: &str) -> Option<Pattern> {
        const WILD: &[char] = &['*', '?', '[', ']', '{', '}', '\\'];
        if !pattern.contains(WILD) {
            return Some(Pattern::Literal(pattern.to_string()));
        }
        if let Some(suffix) = pattern.strip_prefix('*')
            && !suffix.contains(WILD)
            && !suffix.contains('/')
        {
            return Some(Pattern::AnyEndingWith(suffix.to_string()));
        }
        globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .ok()
            .map(|glob| Pattern::Glob(glob.compile_matcher()))
    }

    fn is_match(&self, path: &str) -> bool {
        match self {
            Pattern::Literal(literal) => literal == path,
            Pattern::AnyEndingWith(suffix) => {
                !path.contains('/') && path.ends_with(suffix.as_str())
            }
            Pattern::Glob(glob) => glob.is_match(path),
        }
    }
}

impl DockerIgnore {
    pub fn parse(text: &str) -> DockerIgnore {
        let mut rules = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negated, pattern) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let pattern = pattern
                .trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/');
            let pattern = if pattern.is_empty() { "**" } else { pattern };
            if let Some(pattern) = Pattern::new(pattern) {
                rules.push((pattern, negated));
            }
        }
        DockerIgnore { rules }
    }

    /// Is `path` (relative to the context, forward slashes) left out of the build context?
    pub fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for (glob, negated) in &self.rules {
            // A pattern that matches the path or one of its parent folders applies.
            let mut prefix = String::new();
            let mut hit = false;
            for segment in path.split('/') {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(segment);
                if glob.is_match(&prefix) {
                    hit = true;
                    break;
                }
            }
            if hit {
                excluded = !negated;
            }
        }
        excluded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        for yes in [
            ".env",
            ".env.production",
            "config/id_rsa",
            "certs/server.key",
            "tls.pem",
            ".npmrc",
            "home/.aws/credentials",
            ".docker/config.json",
            "gcp-service-account.json",
            ".git-credentials",
            "ca.key",
            "private.pem",
            "keys/signing.p12",
        ] {
            assert!(credential_file(yes).is_some(), "{yes}");
        }
        for no in [
            ".env.example",
            "id_rsa.pub",
            "README.md",
            "keys.txt",
            "package.json",
            ".envrc-notes.md",
            "nodesource-repo.gpg.key",
            "yarn-pubkey.gpg.key",
            "target/shared/ffdhe4096.pem",
            "dhparam.pem",
            "dh2048.pem",
            "ca.pem",
            "fullchain.pem",
            "cert.pem",
            "public.key",
            "docker-archive-keyring.key",
        ] {
            assert!(credential_file(no).is_none(), "{no}");
        }
    }

    #[test]
    fn dockerignore_semantics() {
        let ignore = DockerIgnore::parse(
            "# comment\n.git\n*.pem\n**/secrets\n!keep.pem\nnode_modules/\n/.env*\n!.env.public\n",
        );
        assert!(ignore.excludes(".git"));
        assert!(ignore.excludes(".git/config"));
        assert!(ignore.excludes("server.pem"));
        assert!(
            !ignore.excludes("certs/server.pem"),
            "`*` does not cross `/`"
        );
        assert!(!ignore.excludes("keep.pem"));
        assert!(ignore.excludes("a/b/secrets/token"));
        assert!(ignore.excludes("node_modules/x/index.js"));
        assert!(ignore.excludes(".env"));
        assert!(ignore.excludes(".env.production"));
        assert!(!ignore.excludes(".env.public"));
        assert!(!ignore.excludes("src/main.rs"));
        let all = DockerIgnore::parse("**\n!src\n");
        assert!(all.excludes(".env"));
        assert!(!all.excludes("src/app.py"));
    }
}
