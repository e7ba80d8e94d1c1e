//! Secrets found anywhere in a run are masked in everything Portcullis writes, as whole
//! values; public weak defaults and the words around secrets stay as they are.

mod common;

use common::{bin, write};

/// A GitHub token whose checksum verifies (made up for these tests).
const TOKEN: &str = "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";
const TOKEN_BODY: &str = "PortcullisFixtureTokenGhp";

#[test]
fn secrets_carried_between_files_and_quoted_in_notes_are_masked_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".env",
        &format!("TAG={TOKEN}\nREG=registry.example.com\n"),
    );
    write(
        root,
        "compose.yaml",
        &format!(
            "services:\n  app:\n    image: ${{REG}}/app:${{TAG}}\n    healthcheck:\n      test: [\"CMD-SHELL\", \"curl -H 'Authorization: token {TOKEN}' http://localhost:${{PORT}}\"]\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: postgres\n      CLIENT: postgresql-client\n"
        ),
    );
    // In a URL's credentials, and in a file that cannot be parsed.
    write(
        root,
        "Dockerfile",
        &format!(
            "FROM alpine:3.20\nRUN git clone https://x-access-token:{TOKEN}@github.com/acme/app.git && curl -k https://h.example/i | sh\n"
        ),
    );
    write(
        root,
        "compose.override.yaml",
        &format!("services:\n  web: [\"{TOKEN}\"\n"),
    );
    let summary = root.join("summary.md");
    let sarif = root.join("out.sarif");
    for format in ["human", "json", "sarif", "github"] {
        let out = bin()
            .current_dir(root)
            .args(["scan", "--format", format, "--write-baseline", "b.json"])
            .args(["--summary", summary.to_str().unwrap()])
            .args(["--sarif", sarif.to_str().unwrap()])
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for (what, text) in [("stdout", &*stdout), ("stderr", &*stderr)] {
            assert!(
                !text.contains(TOKEN_BODY),
                "{format} {what} shows the token: {text}"
            );
        }
        let baseline = std::fs::read_to_string(root.join("b.json")).unwrap();
        assert!(!baseline.contains(TOKEN_BODY));
        let sarif = std::fs::read_to_string(&sarif).unwrap();
        assert!(!sarif.contains(TOKEN_BODY), "{sarif}");
        // The findings of the URL's line are there.
        assert!(
            stdout.contains("tls-verification-disabled"),
            "{format}: {stdout}"
        );
        // The interpolated image names the token's place, masked.
        assert!(stdout.contains("app:ghp_…[redacted]"), "{format}: {stdout}");
        // Public defaults and the words around them are intact.
        assert!(stdout.contains("postgres:16"), "{format}: {stdout}");
        assert!(!stdout.contains("…[redacted]ql"), "{format}: {stdout}");
    }
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(!summary.contains(TOKEN_BODY), "{summary}");
    // The "not checked" note quoting the healthcheck line is masked too.
    let out = bin()
        .current_dir(root)
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = doc["notifications"].to_string();
    assert!(notes.contains("token ghp_…[redacted]"), "{notes}");
}
