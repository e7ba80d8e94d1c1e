use super::{container_options, option_tokens};
use crate::parse::yaml::Node;
use crate::parse::{Document, compose, workflow};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags containers that run privileged: compose `privileged: true` (also the string
    /// forms `"true"`, `yes`), `build.privileged: true`, `build.entitlements` containing
    /// `security.insecure`, and workflow job containers or services whose `options:` contain
    /// `--privileged`.
    ///
    /// The finding points at the `privileged:` key (or the entitlement item, or the
    /// `--privileged` word inside `options:`).
    ///
    /// ## Why is this bad?
    /// A privileged container has every capability, every host device and no seccomp, AppArmor
    /// or SELinux confinement. Whoever runs code in it — through a vulnerable dependency or an
    /// injected command — can mount the host's disks and load kernel modules: it is root on the
    /// host (CIS Docker Benchmark 5.5).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   agent:
    ///     image: example/agent:1.4@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     privileged: true
    /// ```
    ///
    /// ## Use instead
    /// Grant only what the workload needs: a capability, a single device.
    /// ```yaml
    /// services:
    ///   agent:
    ///     image: example/agent:1.4@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     cap_add: [NET_ADMIN]
    ///     devices: ["/dev/net/tun:/dev/net/tun"]
    /// ```
    pub static PRIVILEGED = {
        id: "privileged",
        summary: "container runs privileged",
        level: Error,
        kinds: [Compose, Workflow],
        tags: ["security", "hardening", "external/cwe/cwe-250"],
        security_severity: Some("8.8"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    match doc {
        Document::Compose(root) => {
            // `privileged: ${PRIV:-true}` is as privileged as `true`.
            let values = super::Values::new(cx);
            for service in &compose::services(root) {
                if let Some(entry) = service.entry("privileged")
                    && values.bool(&entry.value) == Some(true)
                {
                    cx.report(
                        entry.key.span.to(entry.value.span),
                        format!(
                            "Service `{}` runs privileged: every capability and host device, no confinement",
                            service.name
                        ),
                    )
                    .help("remove `privileged: true`; add only the capabilities (`cap_add`) or devices (`devices`) the service needs");
                }
                let Some(build) = service.get("build") else {
                    continue;
                };
                if let Some(entry) = build.entry("privileged")
                    && values.bool(&entry.value) == Some(true)
                {
                    cx.report(
                        entry.key.span.to(entry.value.span),
                        format!("Build of service `{}` runs privileged", service.name),
                    )
                    .help("remove `build.privileged`; build steps rarely need more than the default sandbox");
                }
                for item in build
                    .get("entitlements")
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                {
                    if values.text(item).as_deref().map(str::trim) == Some("security.insecure") {
                        cx.report(
                            item.span,
                            format!(
                                "Build of service `{}` is granted `security.insecure`: `RUN --security=insecure` steps run privileged",
                                service.name
                            ),
                        )
                        .help("remove the `security.insecure` entitlement");
                    }
                }
            }
            values.finish(cx);
        }
        Document::Workflow(root) => {
            for job in workflow::jobs(root) {
                for options in container_options(&job) {
                    let Some(text) = options.as_str() else {
                        continue;
                    };
                    for (token, range) in option_tokens(text) {
                        if token == "--privileged" || token == "--privileged=true" {
                            let span = options.subspan(&cx.file.text, range);
                            cx.report(
                                span,
                                format!("A container of job `{}` runs privileged", job.id),
                            )
                            .help("remove `--privileged` from `options:`; add a single `--cap-add` or `--device` if one is needed");
                        }
                    }
                }
            }
        }
        _ => {}
    }
}
