use crate::parse::Document;
use crate::parse::dockerfile::{substitute, unquote};
use crate::rules::{Context, declare_rule};

const SYSTEM_DIRS: &[&str] = &["/proc", "/boot", "/dev", "/sys", "/initrd", "/lost+found"];

declare_rule! {
    /// ## What it does
    /// Flags `WORKDIR` set to a kernel or system directory or below one: `/proc`, `/boot`, `/dev`,
    /// `/sys`, `/initrd`, `/lost+found`. Variables are resolved from `ARG` and `ENV` defaults.
    ///
    /// ## Why is this bad?
    /// These directories are kernel interfaces or boot files. Working in them means build steps
    /// and the application write where they must not, and often signals an image that expects
    /// privileged access to the host (trivy DS-0030).
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// WORKDIR /proc/self
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// WORKDIR /app
    /// ```
    pub static SYSTEM_DIR_WORKDIR = {
        id: "system-dir-workdir",
        summary: "`WORKDIR` in a system directory",
        level: Warning,
        kinds: [Dockerfile],
        tags: ["security", "hardening"],
        security_severity: Some("5.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Dockerfile(file) = doc else {
        return;
    };
    for (idx, ins) in file.instructions.iter().enumerate() {
        if ins.keyword != "WORKDIR" {
            continue;
        }
        let Some(word) = ins.words.first() else {
            continue;
        };
        let stage = file.stage_of(idx).unwrap_or(0);
        let Some(path) = substitute(&unquote(&word.text), &|v| {
            file.lookup_in_stage(stage, idx, v)
        }) else {
            continue;
        };
        let normalised = path.trim_end_matches('/');
        if let Some(dir) = SYSTEM_DIRS
            .iter()
            .find(|d| normalised == **d || normalised.starts_with(&format!("{d}/")))
        {
            cx.report(
                word.span,
                format!("`WORKDIR {path}` is inside the system directory `{dir}`"),
            )
            .help("use an application directory such as `/app` or `/srv/<name>`");
        }
    }
}
