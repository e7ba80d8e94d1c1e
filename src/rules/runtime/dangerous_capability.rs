use super::{Values, container_flags, strings};
use crate::finding::Level;
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

/// The capabilities Docker grants by default; adding one of them changes nothing.
pub const DEFAULT_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

declare_rule! {
    /// ## What it does
    /// Flags capabilities added beyond Docker's default set: compose `cap_add` (list or flow
    /// form, `extends` and anchors applied) and `--cap-add` in workflow job containers'
    /// `options:`. Case and the `CAP_` prefix do not matter.
    ///
    /// `ALL` and `SYS_ADMIN` are errors (each is close to `privileged`); any other capability
    /// outside the default set — `NET_ADMIN`, `SYS_PTRACE`, `SYS_MODULE`, `DAC_READ_SEARCH`,
    /// `SYS_RAWIO`, `BPF`, `SYS_TIME`, … — is a warning. Adding a default capability back after
    /// `cap_drop: [ALL]` (e.g. `NET_BIND_SERVICE`) is not reported.
    ///
    /// ## Why is this bad?
    /// Capabilities are pieces of root. `SYS_ADMIN` alone allows mounting filesystems and most
    /// container escapes; `SYS_PTRACE` reads other processes' memory; `NET_ADMIN` reconfigures
    /// the network; `SYS_MODULE` loads kernel code (CIS Docker Benchmark 5.4).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   vpn:
    ///     image: example/vpn:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     cap_add: [SYS_ADMIN]
    /// ```
    ///
    /// ## Use instead
    /// Add only the narrow capability the workload needs:
    /// ```yaml
    /// services:
    ///   vpn:
    ///     image: example/vpn:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     cap_drop: [ALL]
    ///     cap_add: [NET_BIND_SERVICE]
    /// ```
    pub static DANGEROUS_CAPABILITY = {
        id: "dangerous-capability",
        summary: "container is granted a dangerous capability",
        level: Error,
        kinds: [Compose, Workflow],
        tags: ["security", "hardening", "external/cwe/cwe-250"],
        security_severity: Some("7.5"),
        check: Some(check),
    }
}

pub fn normalise(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").unwrap_or(&upper).to_string()
}

fn check(doc: &Document, cx: &mut Context) {
    let mut found = Vec::new();
    match doc {
        Document::Compose(root) => {
            let values = Values::new(cx);
            for service in &compose::services(root) {
                for (node, cap) in strings(&values, service.get("cap_add")) {
                    found.push((
                        node.span,
                        normalise(&cap),
                        format!("service `{}`", service.name),
                    ));
                }
            }
            values.finish(cx);
        }
        Document::Workflow(root) => {
            for flag in container_flags(root, &["--cap-add"]) {
                found.push((
                    flag.options.subspan(&cx.file.text, flag.found.value_range),
                    normalise(&flag.found.value),
                    format!("a container of job `{}`", flag.job),
                ));
            }
        }
        _ => {}
    }
    for (span, cap, place) in found {
        if DEFAULT_CAPS.contains(&cap.as_str()) {
            continue;
        }
        let severe = cap == "ALL" || cap == "SYS_ADMIN";
        let why = match cap.as_str() {
            "ALL" => "every capability: root in all but name",
            "SYS_ADMIN" => "mounts, namespaces and most container escapes",
            "SYS_PTRACE" => "reads and changes other processes' memory",
            "SYS_MODULE" => "loads kernel modules",
            "NET_ADMIN" => "reconfigures interfaces, routes and firewalls",
            "DAC_READ_SEARCH" => "bypasses file read permissions (the shocker escape)",
            "SYS_RAWIO" => "raw access to devices and I/O ports",
            "BPF" | "PERFMON" => "loads kernel programs and reads kernel data",
            _ => "a privilege Docker does not grant by default",
        };
        let draft = cx.report(
            span,
            format!("Capability `{cap}` is added to {place}: {why}"),
        );
        draft.help("drop the capability; if one is truly needed, start from `cap_drop: [ALL]` and add back only that one");
        if !severe {
            draft.level(Level::Warning);
        }
    }
}
