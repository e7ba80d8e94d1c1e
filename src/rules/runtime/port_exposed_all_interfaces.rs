use super::{check_services, port_span};
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a published compose port bound to every host interface: no host address
    /// (`"8080:80"`, or just `"80"`, which publishes on a random host port), or `0.0.0.0`/`::`,
    /// in the short or the long syntax (`host_ip` absent or all-interfaces), ranges included.
    /// Short items are reported at the item, long ones at `host_ip:` or the item's first line.
    /// A port of `sensitive-port-exposed`'s list (SSH, databases, container APIs…) is reported
    /// by that rule alone: one published port, one finding.
    ///
    /// ## Why is this bad?
    /// Docker publishes ports by writing its own firewall rules, ahead of the host firewall: a
    /// port meant for local development or another container becomes reachable from every
    /// network the host is on (CIS Docker Benchmark 5.14).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   admin:
    ///     image: example/admin:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     ports: ["8080:8080"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   admin:
    ///     image: example/admin:1.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     ports: ["127.0.0.1:8080:8080"]
    /// ```
    pub static PORT_EXPOSED_ALL_INTERFACES = {
        id: "port-exposed-all-interfaces",
        summary: "port published on every host interface",
        level: Note,
        kinds: [Compose],
        tags: ["security", "network"],
        security_severity: Some("3.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let help = "bind to the interface that needs it, usually `127.0.0.1:<host>:<container>` (or `host_ip: 127.0.0.1`), and put a reverse proxy in front of public services";
    check_services(doc, cx, help, |service, scope, reports| {
        for port in compose::ports(&service.node, &|n| scope.values.text(n)) {
            // A port of the sensitive list is `sensitive-port-exposed`'s alone.
            if port.all_interfaces() && !super::sensitive_port_exposed::reported_here(&port) {
                let published = port
                    .published
                    .clone()
                    .unwrap_or_else(|| "a random port".into());
                let target = if port.target.0 == port.target.1 {
                    port.target.0.to_string()
                } else {
                    format!("{}-{}", port.target.0, port.target.1)
                };
                reports.push((
                    port_span(&port, port.host_ip_node),
                    format!("Service `{}` publishes container port {target} on {published} of every host interface", service.name),
                ));
            }
        }
    });
}
