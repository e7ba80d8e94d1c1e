use super::dangerous_capability::normalise;
use super::{check_services, strings};
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a compose service that does not drop all capabilities: no `cap_drop` (reported at
    /// the service's name), or a `cap_drop` without `ALL` (reported at `cap_drop:`).
    ///
    /// ## Why is this bad?
    /// Docker's default set still includes `NET_RAW` (packet spoofing), `MKNOD`, `SETUID`,
    /// `DAC_OVERRIDE` and more. Most services need none of them; dropping all and adding back
    /// the few needed limits what an attacker can do after getting code execution (CIS Docker
    /// Benchmark 5.4).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: example/api:2.3@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   api:
    ///     image: example/api:2.3@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     cap_drop: [ALL]
    /// ```
    pub static CAPABILITIES_NOT_DROPPED = {
        id: "capabilities-not-dropped",
        summary: "container keeps Docker's default capabilities",
        level: Note,
        kinds: [Compose],
        tags: ["security", "hardening"],
        security_severity: Some("2.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let help = "add `cap_drop: [ALL]` and `cap_add` back only what the service needs (often nothing, or `NET_BIND_SERVICE`)";
    check_services(doc, cx, help, |service, scope, reports| {
        let drops_all = |s: &crate::parse::yaml::Node| {
            compose::list(s.get("cap_drop"))
                .iter()
                .any(|n| scope.values.text(n).is_some_and(|c| normalise(&c) == "ALL"))
        };
        match service.entry("cap_drop") {
            None if scope.partial || scope.set_elsewhere(drops_all) => {}
            None => reports.push((
                service.key.span,
                format!(
                    "Service `{}` keeps Docker's default capabilities: no `cap_drop`",
                    service.name
                ),
            )),
            Some(entry) => {
                let all = strings(scope.values, Some(&entry.value))
                    .iter()
                    .any(|(_, c)| normalise(c) == "ALL");
                if !all {
                    reports.push((
                        entry.key.span,
                        format!(
                            "Service `{}` drops some capabilities but not `ALL`",
                            service.name
                        ),
                    ));
                }
            }
        }
    });
}
