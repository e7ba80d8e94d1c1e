use super::{check_services, container_flags, strings};
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags host devices given to a container: every compose `devices:` entry (short
    /// `/dev/x:/dev/x:rwm`, long `{source, target, permissions}` at its `source:`, CDI names),
    /// `device_cgroup_rules` that allow every device (`a *:* rwm`, `c *:* rwm`, …), and
    /// `--device` / `--device-cgroup-rule` in workflow job containers' `options:`.
    ///
    /// ## Why is this bad?
    /// A device node is direct access to host hardware: a disk (`/dev/sda`) is the host's whole
    /// filesystem, `/dev/mem` is its memory, `/dev/kvm` and GPUs expose large kernel drivers. A
    /// broad cgroup rule allows creating any such node (CIS Docker Benchmark 5.18).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   recorder:
    ///     image: example/recorder:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     devices: ["/dev/sda:/dev/sda"]
    /// ```
    ///
    /// ## Use instead
    /// Give the container data through a volume rather than the block device; keep device access
    /// to the one node a workload truly needs, read-only where possible.
    /// ```yaml
    /// services:
    ///   recorder:
    ///     image: example/recorder:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     volumes: ["recordings:/data"]
    /// volumes:
    ///   recordings: {}
    /// ```
    pub static HOST_DEVICE = {
        id: "host-device",
        summary: "host device exposed to a container",
        level: Warning,
        kinds: [Compose, Workflow],
        tags: ["security", "hardening"],
        security_severity: Some("5.5"),
        check: Some(check),
    }
}

fn broad_rule(rule: &str) -> bool {
    let parts: Vec<&str> = rule.split_whitespace().collect();
    matches!(parts.as_slice(), [kind, numbers, ..] if *kind == "a" || numbers.contains('*'))
}

fn check(doc: &Document, cx: &mut Context) {
    let help = "remove the device; if the workload needs one, map only that node and prefer read-only (`:r`) permissions";
    check_services(doc, cx, help, |service, scope, reports| {
        for item in compose::list(service.get("devices")) {
            let (node, device) = match item.get("source") {
                Some(source) => (
                    item.entry("source").map_or(source, |e| &e.value),
                    scope.values.text(source),
                ),
                None => (item, scope.values.text(item)),
            };
            let Some(device) = device else { continue };
            let host = device.split(':').next().unwrap_or(&device).to_string();
            reports.push((
                node.span,
                format!(
                    "Service `{}` is given the host device `{host}`",
                    service.name
                ),
            ));
        }
        for (node, rule) in strings(scope.values, service.get("device_cgroup_rules")) {
            if broad_rule(&rule) {
                reports.push((
                    node.span,
                    format!(
                        "Service `{}` may create any device node (`{rule}`)",
                        service.name
                    ),
                ));
            }
        }
    });
    let Document::Workflow(root) = doc else {
        return;
    };
    for flag in container_flags(root, &["--device", "--device-cgroup-rule"]) {
        let value = &flag.found.value;
        let message = match flag.found.flag {
            "--device" => format!(
                "A container of job `{}` is given the host device `{}`",
                flag.job,
                value.split(':').next().unwrap_or("")
            ),
            _ if broad_rule(value) => format!(
                "A container of job `{}` may create any device node",
                flag.job
            ),
            _ => continue,
        };
        let span = flag.options.subspan(&cx.file.text, flag.found.whole);
        cx.report(span, message).help(help);
    }
}
