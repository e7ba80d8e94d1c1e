use super::{check_services, entry_span};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a compose service with `oom_kill_disable: true` (also the string forms).
    ///
    /// ## Why is this bad?
    /// When the host runs out of memory, the kernel can no longer kill this container's
    /// processes; it kills other processes — possibly the Docker daemon or sshd — instead. Without
    /// a memory limit, one leak can take the whole host down.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   cache:
    ///     image: example/cache:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     oom_kill_disable: true
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   cache:
    ///     image: example/cache:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     mem_limit: 1g
    /// ```
    pub static OOM_KILL_DISABLED = {
        id: "oom-kill-disabled",
        summary: "out-of-memory killer disabled",
        level: Warning,
        kinds: [Compose],
        tags: ["security", "availability"],
        security_severity: Some("4.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let help = "remove `oom_kill_disable` and set a memory limit (`mem_limit` or `deploy.resources.limits.memory`)";
    check_services(doc, cx, help, |service, scope, reports| {
        if let Some(entry) = service.entry("oom_kill_disable")
            && scope.values.bool(&entry.value) == Some(true)
        {
            reports.push((
                entry_span(entry),
                format!(
                    "Service `{}` cannot be killed when memory runs out",
                    service.name
                ),
            ));
        }
    });
}
