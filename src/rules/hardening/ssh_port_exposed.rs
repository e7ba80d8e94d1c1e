use crate::parse::Document;
use crate::parse::dockerfile::substitute;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags `EXPOSE 22` (also `22/tcp` and port ranges that contain 22) in a stage that reaches
    /// the final image. Variables are resolved from `ARG` and `ENV` defaults; an `EXPOSE` in a
    /// build stage that the final image is not built `FROM` does not ship and is not reported.
    ///
    /// In compose files: a service publishing container port 22 (short or long syntax, ranges
    /// included) on anything but a loopback address; the long syntax is reported at `target:`.
    ///
    /// ## Why is this bad?
    /// An SSH server in a container is a second way in that bypasses the orchestrator's access
    /// control and audit, carries keys or passwords that must be managed, and usually means the
    /// container is being treated as a VM. Use `docker exec` / `kubectl exec` instead.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// EXPOSE 22 8080
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    /// EXPOSE 8080
    /// ```
    pub static SSH_PORT_EXPOSED = {
        id: "ssh-port-exposed",
        summary: "SSH port 22 exposed",
        level: Warning,
        kinds: [Dockerfile, Compose],
        tags: ["security", "hardening"],
        security_severity: Some("5.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    if let Document::Compose(root) = doc {
        use crate::rules::runtime::{Values, port_span};
        let values = Values::new(cx);
        let mut reports = Vec::new();
        for service in &crate::parse::compose::services(root) {
            for port in crate::parse::compose::ports(&service.node, &|n| values.text(n)) {
                if port.targets(22) && !port.loopback() && port.protocol.eq_ignore_ascii_case("tcp")
                {
                    reports.push((
                        port_span(&port, port.target_node),
                        format!("Service `{}` publishes the SSH port 22", service.name),
                    ));
                }
            }
        }
        values.finish(cx);
        for (span, message) in reports {
            cx.report(span, message)
                .help("remove the port: use `docker compose exec` to get a shell in a container");
        }
        return;
    }
    let Document::Dockerfile(file) = doc else {
        return;
    };
    for stage in file.final_chain() {
        for idx in file.stages[stage].body.clone() {
            let ins = &file.instructions[idx];
            if ins.keyword != "EXPOSE" {
                continue;
            }
            for word in &ins.words {
                let Some(value) = substitute(&word.text, &|v| file.lookup_in_stage(stage, idx, v))
                else {
                    continue;
                };
                if includes_port(&value, 22) {
                    cx.report(word.span, format!("`EXPOSE {}` publishes the SSH port", word.text))
                        .help("remove port 22: use `docker exec` or `kubectl exec` to get a shell in a container");
                }
            }
        }
    }
}

/// Does an `EXPOSE` item (`22`, `22/tcp`, `20-25/tcp`) include TCP port `port`?
pub fn includes_port(item: &str, port: u32) -> bool {
    let (ports, proto) = item.split_once('/').unwrap_or((item, "tcp"));
    if !proto.eq_ignore_ascii_case("tcp") {
        return false;
    }
    match ports.split_once('-') {
        Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) => a <= port && port <= b,
            _ => false,
        },
        None => ports.parse::<u32>() == Ok(port),
    }
}
