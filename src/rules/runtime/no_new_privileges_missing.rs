use super::{check_services, strings};
use crate::parse::{Document, compose};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a compose service without `security_opt: ["no-new-privileges:true"]` (also
    /// `no-new-privileges=true` or bare `no-new-privileges`). With no `security_opt` the finding
    /// is at the service's name; with one that lacks it, at `security_opt:`; an explicit
    /// `no-new-privileges:false` is reported at that item.
    ///
    /// ## Why is this bad?
    /// Without it, a process in the container can gain privileges through setuid binaries or
    /// file capabilities (`sudo`, `su`, `ping` on some images). With it the kernel refuses any
    /// privilege gain after start, which defeats a whole class of escalation exploits (CIS Docker
    /// Benchmark 5.26).
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
    ///     security_opt: ["no-new-privileges:true"]
    /// ```
    pub static NO_NEW_PRIVILEGES_MISSING = {
        id: "no-new-privileges-missing",
        summary: "container processes can gain new privileges",
        level: Warning,
        kinds: [Compose],
        tags: ["security", "hardening"],
        security_severity: Some("4.5"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let help = "add `no-new-privileges:true` to the service's `security_opt`";
    check_services(doc, cx, help, |service, scope, reports| {
        let sets_it = |s: &crate::parse::yaml::Node| {
            compose::list(s.get("security_opt")).iter().any(|n| {
                scope.values.text(n).is_some_and(|o| {
                    let o = o.trim().to_ascii_lowercase();
                    o == "no-new-privileges"
                        || o == "no-new-privileges:true"
                        || o == "no-new-privileges=true"
                })
            })
        };
        if scope.set_elsewhere(sets_it) {
            return;
        }
        let Some(entry) = service.entry("security_opt") else {
            if !scope.partial {
                reports.push((
                    service.key.span,
                    format!(
                        "Service `{}` sets no `no-new-privileges`: setuid binaries can gain root",
                        service.name
                    ),
                ));
            }
            return;
        };
        let mut set = false;
        for (node, opt) in strings(scope.values, Some(&entry.value)) {
            let opt = opt.trim().to_ascii_lowercase();
            match opt
                .strip_prefix("no-new-privileges")
                .map(|v| v.trim_start_matches([':', '=']))
            {
                Some("" | "true") => set = true,
                Some("false") => reports.push((
                    node.span,
                    format!("Service `{}` turns `no-new-privileges` off", service.name),
                )),
                _ => {}
            }
        }
        if !set && !scope.partial && !reports.iter().any(|(s, _)| entry.value.span.contains(*s)) {
            reports.push((
                entry.key.span,
                format!(
                    "Service `{}` has `security_opt` but not `no-new-privileges:true`",
                    service.name
                ),
            ));
        }
    });
}
