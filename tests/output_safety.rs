//! Scanned or server-supplied text never commands the terminal or the runner: every line on
//! standard error is one message with its control characters escaped, human output shows
//! control characters instead of sending them, and a malformed token is a usage error.

mod common;

use std::path::Path;
use std::process::Command;

use common::{bin, write};

fn portcullis(dir: &Path) -> Command {
    let mut cmd = bin();
    cmd.current_dir(dir).env_remove("GITHUB_TOKEN");
    cmd
}

#[test]
fn no_scanned_text_starts_a_workflow_command_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: \"evil/act@v1\\n::stop-commands::x\\n::error title=forged::forged\"\n",
    );
    let out = portcullis(dir.path())
        .args([
            "scan",
            "--online",
            "--api-url",
            "http://127.0.0.1:9",
            "--format",
            "json",
        ])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stderr.lines() {
        assert!(!line.trim_start().starts_with("::"), "{stderr}");
    }
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr}"
    );
}

#[test]
fn human_output_shows_control_characters_instead_of_sending_them() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM alpine:3.20\nRUN curl -k https://example.com/\x1b[2J\rfake | sh\n",
    );
    let out = portcullis(dir.path())
        .args(["scan", "--color", "never"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\r'),
        "{stdout:?}"
    );
    assert!(stdout.contains("\\x1b[2J\\rfake"), "{stdout}");
    // The underline still sits under the flag.
    let lines: Vec<&str> = stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("error[tls-verification-disabled]"))
        .unwrap();
    let at = header + 3;
    let flag = lines[at].find("-k").unwrap();
    assert_eq!(lines[at + 1].find('^'), Some(flag), "{stdout}");
}

#[test]
fn a_token_with_a_newline_works_and_one_with_control_characters_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", "FROM alpine:3.20\n");
    // Nothing listens there: the request fails, the scan does not.
    let out = portcullis(dir.path())
        .args(["scan", "--online", "--api-url", "http://127.0.0.1:9"])
        .env("GITHUB_TOKEN", "ghs_PortcullisTestToken\n")
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    for command in [
        vec!["scan", "--online", "--api-url", "http://127.0.0.1:9"],
        vec![
            "upload",
            "--repository",
            "acme/app",
            "--commit",
            "0123456789012345678901234567890123456789",
            "--ref",
            "refs/heads/main",
            "missing.sarif",
        ],
    ] {
        let out = portcullis(dir.path())
            .args(&command)
            .env("GITHUB_TOKEN", "ghs_Portcullis\u{1}Token")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command:?}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("GITHUB_TOKEN"));
    }
}
