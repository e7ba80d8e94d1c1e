use super::{Values, bind_sites, entry_span, normalise_host_path};
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

const SOCKETS: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "podman.sock",
    "crio.sock",
    "dockershim.sock",
];

declare_rule! {
    /// ## What it does
    /// Flags a container runtime socket bound into a container: `docker.sock`,
    /// `containerd.sock`, `podman.sock`, `crio.sock` (any path ending in one of them), or all of
    /// `/var/run` or `/run`. Compose short and long volume syntax, `extends` and anchors
    /// included; read-only binds too (a socket is usable read-only); compose
    /// `use_api_socket: true`; and workflow job containers' `volumes:` and `-v`/`--volume`/
    /// `--mount` in `options:`.
    ///
    /// ## Why is this bad?
    /// The runtime socket is root on the host: whoever can talk to it can start a privileged
    /// container that mounts the host's filesystem. A compromise of the container — or of any
    /// tool in it — becomes a compromise of the host and of every other container (CIS Docker
    /// Benchmark 5.32).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   ci-agent:
    ///     image: example/agent:1.4@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     volumes:
    ///       - /var/run/docker.sock:/var/run/docker.sock:ro
    /// ```
    ///
    /// ## Use instead
    /// Give the agent a narrow API instead (a socket proxy that allows only the calls it needs),
    /// or run a rootless builder:
    /// ```yaml
    /// services:
    ///   ci-agent:
    ///     image: example/agent:1.4@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     environment:
    ///       DOCKER_HOST: tcp://socket-proxy:2375
    /// ```
    pub static DOCKER_SOCKET_MOUNT = {
        id: "docker-socket-mount",
        summary: "container runtime socket mounted into a container",
        level: Error,
        kinds: [Compose, Workflow],
        tags: ["security", "hardening", "external/cwe/cwe-250"],
        security_severity: Some("9.0"),
        check: Some(check),
    }
}

pub fn is_runtime_socket(source: &str) -> bool {
    let path = normalise_host_path(source);
    SOCKETS
        .iter()
        .any(|s| path.ends_with(&format!("/{s}")) || path == *s)
        || matches!(path.as_str(), "/var/run" | "/run")
}

fn check(doc: &Document, cx: &mut Context) {
    let values = Values::new(cx);
    let sites = bind_sites(doc, cx, &values);
    let mut reports = Vec::new();
    for site in sites {
        if is_runtime_socket(&site.source) {
            reports.push((
                site.span,
                format!(
                    "The runtime socket `{}` is mounted into {}: that is root on the host",
                    site.source, site.place
                ),
            ));
        }
    }
    if let Document::Compose(root) = doc {
        for service in &compose::services(root) {
            if let Some(entry) = service.entry("use_api_socket")
                && values.bool(&entry.value) == Some(true)
            {
                reports.push((entry_span(entry), format!("Service `{}` gets the Docker API socket and your registry credentials (`use_api_socket`)", service.name)));
            }
        }
    }
    values.finish(cx);
    for (span, message) in reports {
        cx.report(span, message)
            .help("remove the mount; if the container must drive the runtime, put a socket proxy that allows only the needed API calls in front of it");
    }
}
