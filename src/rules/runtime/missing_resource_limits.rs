use super::check_services;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a compose service without a memory limit, a CPU limit or a process (pids) limit;
    /// one finding per service, at its name, naming the limits that are missing. A limit counts
    /// when set at the service level (`mem_limit`, `cpus` or `cpu_quota`, `pids_limit`) or under
    /// `deploy.resources.limits` (`memory`, `cpus`, `pids`), whatever the obsolete `version:`
    /// key says. `pids_limit: -1` and `cpus: 0` mean "unlimited" and do not count.
    ///
    /// ## Why is this bad?
    /// One runaway or compromised container can take all the host's memory, CPU or process
    /// slots — a fork bomb needs no privileges — and starve every other service (CIS Docker
    /// Benchmark 5.11, 5.12, 5.29).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   worker:
    ///     image: example/worker:4.2@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   worker:
    ///     image: example/worker:4.2@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     deploy:
    ///       resources:
    ///         limits: {memory: 512m, cpus: "1.0", pids: 256}
    /// ```
    pub static MISSING_RESOURCE_LIMITS = {
        id: "missing-resource-limits",
        summary: "container has no memory, CPU or process limit",
        level: Note,
        kinds: [Compose],
        tags: ["security", "availability"],
        security_severity: Some("2.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let help = "set `deploy.resources.limits` (`memory`, `cpus`, `pids`) or `mem_limit`, `cpus` and `pids_limit`";
    check_services(doc, cx, help, |service, scope, reports| {
        // Limits are all "missing" settings: an override file has none of its own to report.
        if scope.partial {
            return;
        }
        let set = |service_keys: &[&str], limit_key: &str| {
            let check = |node: &crate::parse::yaml::Node| {
                has_limit(node, service_keys, limit_key, scope.values)
            };
            check(&service.node) || scope.set_elsewhere(check)
        };
        let mut missing = Vec::new();
        if !set(&["mem_limit"], "memory") {
            missing.push("memory");
        }
        if !set(&["cpus", "cpu_quota"], "cpus") {
            missing.push("CPU");
        }
        if !set(&["pids_limit"], "pids") {
            missing.push("process (pids)");
        }
        if !missing.is_empty() {
            reports.push((
                service.key.span,
                format!("Service `{}` has no {} limit", service.name, join(&missing)),
            ));
        }
    });
}

fn join(items: &[&str]) -> String {
    match items {
        [one] => one.to_string(),
        [a, b] => format!("{a} or {b}"),
        [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
        [] => String::new(),
    }
}

/// A limit set at the service level (`service_keys`) or under `deploy.resources.limits`;
/// `-1` and `0` mean unlimited.
fn has_limit(
    service: &crate::parse::yaml::Node,
    service_keys: &[&str],
    limit_key: &str,
    values: &super::Values,
) -> bool {
    let unlimited = |v: &str| matches!(v.trim(), "-1" | "0" | "0.0" | "0.000" | "");
    // `mem_limit: ${MEM:-0}` is no limit; a variable with no value is not guessed at.
    let limits_something = |node: &crate::parse::yaml::Node| match values.text(node) {
        Some(value) => !unlimited(&value),
        None => node.as_str().is_some(),
    };
    let limits = service
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("limits"));
    service_keys
        .iter()
        .any(|k| service.get(k).is_some_and(limits_something))
        || limits
            .and_then(|l| l.get(limit_key))
            .is_some_and(limits_something)
}
