use crate::parse::Document;
use crate::parse::dockerfile::unquote;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `ADD` of a remote source — an `http://` or `https://` URL, or a Git repository
    /// (`git@…`, `git://…`, `https://….git`) — without `--checksum=sha256:…`.
    ///
    /// ## Why is this bad?
    /// `ADD` fetches whatever the server returns at build time and puts it in the image with no
    /// integrity check: a compromised or changed download goes straight into production, and
    /// builds are not reproducible. BuildKit verifies the download when given `--checksum`.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// ADD https://example.com/tool-1.2.3.tar.gz /opt/
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool-1.2.3.tar.gz /opt/
    /// ```
    pub static ADD_REMOTE_URL = {
        id: "add-remote-url",
        summary: "`ADD` of a remote URL without a checksum",
        level: Warning,
        kinds: [Dockerfile],
        tags: ["security", "supply-chain", "external/cwe/cwe-494"],
        security_severity: Some("5.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Dockerfile(file) = doc else {
        return;
    };
    for ins in &file.instructions {
        if ins.keyword != "ADD" || ins.flags.iter().any(|f| f.name == "checksum") {
            continue;
        }
        let Some((_, sources)) = ins.words.split_last() else {
            continue;
        };
        for source in sources {
            let url = unquote(&source.text);
            if is_remote(&url) {
                cx.report(source.span, format!("`ADD {url}` downloads without verifying what it gets"))
                    .help("add `--checksum=sha256:<digest>` (BuildKit verifies it), or download with `curl` and check the digest with `sha256sum -c`");
            }
        }
    }
}

fn is_remote(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("git@")
        || lower.starts_with("git://")
        || lower.starts_with("ssh://")
}
