use super::{check_services, entry_span};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a compose service whose root filesystem is writable: no `read_only: true`
    /// (reported at the service's name), or `read_only: false` (reported at that key).
    ///
    /// ## Why is this bad?
    /// A writable root filesystem lets an attacker who gets code execution drop tools, replace
    /// binaries or plant persistence in the container. With `read_only: true`, everything the
    /// application must write goes to declared `tmpfs` mounts or volumes, which also documents it
    /// (CIS Docker Benchmark 5.13).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   web:
    ///     image: example/web:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   web:
    ///     image: example/web:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     read_only: true
    ///     tmpfs: [/tmp, /var/cache/nginx]
    /// ```
    pub static WRITABLE_ROOT_FILESYSTEM = {
        id: "writable-root-filesystem",
        summary: "container root filesystem is writable",
        level: Note,
        kinds: [Compose],
        tags: ["security", "hardening"],
        security_severity: Some("2.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let help =
        "set `read_only: true` and give the paths the application writes a `tmpfs:` or a volume";
    check_services(doc, cx, help, |service, scope, reports| {
        let read_only = |s: &crate::parse::yaml::Node| {
            s.get("read_only").and_then(|r| r.as_bool()) == Some(true)
        };
        match service.entry("read_only") {
            None if scope.partial || scope.set_elsewhere(read_only) => {}
            None => reports.push((
                service.key.span,
                format!(
                    "Service `{}` has a writable root filesystem: no `read_only: true`",
                    service.name
                ),
            )),
            Some(entry) => {
                if scope.values.bool(&entry.value) == Some(false) {
                    reports.push((
                        entry_span(entry),
                        format!(
                            "Service `{}` has a writable root filesystem (`read_only: false`)",
                            service.name
                        ),
                    ));
                }
            }
        }
    });
}
