use super::{check_services, container_flags, strings};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a container whose kernel security profile is turned off: `seccomp:unconfined`,
    /// `apparmor:unconfined` or `label:disable` (with `:` or `=`) in compose `security_opt`, and
    /// `--security-opt` with the same values in workflow job containers' `options:`.
    ///
    /// ## Why is this bad?
    /// Docker's default seccomp profile blocks about 50 dangerous system calls, and AppArmor or
    /// SELinux confine what the process may touch. Turning them off removes the layer that stops
    /// many kernel exploits and container escapes (CIS Docker Benchmark 5.2, 5.3, 5.22).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   browser:
    ///     image: example/chrome:120@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     security_opt: ["seccomp:unconfined"]
    /// ```
    ///
    /// ## Use instead
    /// Use a custom profile that allows just the extra calls the workload needs:
    /// ```yaml
    /// services:
    ///   browser:
    ///     image: example/chrome:120@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     security_opt: ["seccomp=./chrome-seccomp.json"]
    /// ```
    pub static SECURITY_PROFILE_DISABLED = {
        id: "security-profile-disabled",
        summary: "seccomp, AppArmor or SELinux confinement disabled",
        level: Warning,
        kinds: [Compose, Workflow],
        tags: ["security", "hardening"],
        security_severity: Some("6.0"),
        check: Some(check),
    }
}

/// `seccomp:unconfined`, `apparmor=unconfined`, `label:disable`…: which profile is off.
fn disabled(option: &str) -> Option<&'static str> {
    let o = option.trim().to_ascii_lowercase().replace('=', ":");
    match o.as_str() {
        "seccomp:unconfined" => Some("seccomp"),
        "apparmor:unconfined" => Some("AppArmor"),
        "label:disable" => Some("SELinux labelling"),
        _ => None,
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let help = "keep the default profile, or write a custom one that allows only the extra system calls or paths the workload needs";
    check_services(doc, cx, help, |service, scope, reports| {
        for (node, opt) in strings(scope.values, service.get("security_opt")) {
            if let Some(what) = disabled(&opt) {
                reports.push((
                    node.span,
                    format!(
                        "Service `{}` runs without {what} confinement (`{opt}`)",
                        service.name
                    ),
                ));
            }
        }
    });
    let Document::Workflow(root) = doc else {
        return;
    };
    for flag in container_flags(root, &["--security-opt"]) {
        if let Some(what) = disabled(&flag.found.value) {
            let span = flag.options.subspan(&cx.file.text, flag.found.whole);
            cx.report(
                span,
                format!(
                    "A container of job `{}` runs without {what} confinement",
                    flag.job
                ),
            )
            .help(help);
        }
    }
}
