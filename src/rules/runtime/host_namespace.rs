use super::{check_services, container_flags, entry_span};
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

const KEYS: &[(&str, &str)] = &[
    ("network_mode", "network"),
    ("pid", "process"),
    ("ipc", "IPC"),
    ("userns_mode", "user"),
    ("uts", "UTS (hostname)"),
    ("cgroup", "cgroup"),
];

declare_rule! {
    /// ## What it does
    /// Flags a container that shares a namespace with the host: compose `network_mode: host`,
    /// `pid: host`, `ipc: host`, `userns_mode: host`, `uts: host`, `cgroup: host` (after
    /// interpolation and `extends`), and workflow job containers whose `options:` contain
    /// `--network host`, `--net=host`, `--pid host`, `--ipc host`, `--userns host`,
    /// `--uts host` or `--cgroupns host`.
    ///
    /// ## Why is this bad?
    /// Namespaces are what make a container a container. Sharing the host's network exposes
    /// every host-local service (metadata endpoints, databases bound to localhost) and lets the
    /// container sniff or bind host ports; the PID namespace lets it see and signal host
    /// processes; IPC, user and UTS sharing remove further isolation (CIS Docker Benchmark 5.10,
    /// 5.16, 5.17, 5.21, 5.31).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   monitor:
    ///     image: example/monitor:3.1@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     network_mode: host
    ///     pid: host
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   monitor:
    ///     image: example/monitor:3.1@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     ports: ["127.0.0.1:9100:9100"]
    /// ```
    pub static HOST_NAMESPACE = {
        id: "host-namespace",
        summary: "container shares a host namespace",
        level: Warning,
        kinds: [Compose, Workflow],
        tags: ["security", "hardening"],
        security_severity: Some("6.5"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let help = "remove the setting: publish the ports the service needs instead of sharing the host's network, and keep its own process, IPC and user namespaces";
    // The key as written: a legacy file's `net:` is read as `network_mode:`.
    let text = &cx.file.text;
    check_services(doc, cx, help, |service, scope, reports| {
        for (key, what) in KEYS {
            if let Some(entry) = service.entry(key)
                && scope.values.text(&entry.value).as_deref() == Some("host")
            {
                let written = text
                    .get(entry.key.span.range())
                    .filter(|w| w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                    .unwrap_or(key);
                reports.push((
                    entry_span(entry),
                    format!(
                        "Service `{}` shares the host's {what} namespace (`{written}: host`)",
                        service.name
                    ),
                ));
            }
        }
    });
    let Document::Workflow(root) = doc else {
        return;
    };
    let flags = [
        "--network",
        "--net",
        "--pid",
        "--ipc",
        "--userns",
        "--uts",
        "--cgroupns",
    ];
    for flag in container_flags(root, &flags) {
        let what = match flag.found.flag {
            "--network" | "--net" => "network",
            "--pid" => "process",
            "--ipc" => "IPC",
            "--userns" => "user",
            "--uts" => "UTS (hostname)",
            _ => "cgroup",
        };
        if flag.found.value == "host" {
            let span = flag.options.subspan(&cx.file.text, flag.found.whole);
            cx.report(
                span,
                format!(
                    "A container of job `{}` shares the host's {what} namespace",
                    flag.job
                ),
            )
            .help(help);
        }
    }
}
