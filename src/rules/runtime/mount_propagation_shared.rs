use super::check_services;
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a compose mount with `shared`, `rshared`, `slave` or `rslave` propagation: the
    /// short syntax option (`./data:/data:rshared`) or the long syntax's `bind.propagation`
    /// (reported at that key).
    ///
    /// ## Why is this bad?
    /// With shared propagation, mounts made inside the container appear on the host and the
    /// other way round. A compromised container can then mount over host paths or see mounts it
    /// should not (CIS Docker Benchmark 5.20).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   storage:
    ///     image: example/storage:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     volumes: ["./data:/data:rshared"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   storage:
    ///     image: example/storage:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     volumes: ["./data:/data"]
    /// ```
    pub static MOUNT_PROPAGATION_SHARED = {
        id: "mount-propagation-shared",
        summary: "mount shares propagation with the host",
        level: Warning,
        kinds: [Compose],
        tags: ["security", "hardening"],
        security_severity: Some("5.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let help = "remove the propagation option (the default, `rprivate`, keeps mounts apart)";
    check_services(doc, cx, help, |service, scope, reports| {
        for mount in compose::mounts(&service.node, &|n| scope.values.text(n)) {
            if let Some((mode, node)) = &mount.propagation
                && matches!(mode.as_str(), "shared" | "rshared" | "slave" | "rslave")
            {
                // Long syntax: point at the `propagation:` key through its value.
                let span = mount
                    .item
                    .get("bind")
                    .and_then(|b| b.entry("propagation"))
                    .map_or(node.span, super::entry_span);
                reports.push((span, format!("A mount of service `{}` uses `{mode}` propagation: mounts cross between host and container", service.name)));
            }
        }
    });
}
