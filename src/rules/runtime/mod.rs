//! How containers run: compose services and workflow job containers.

pub mod capabilities_not_dropped;
pub mod dangerous_capability;
pub mod docker_socket_mount;
pub mod host_device;
pub mod host_namespace;
pub mod missing_resource_limits;
pub mod mount_propagation_shared;
pub mod no_new_privileges_missing;
pub mod oom_kill_disabled;
pub mod port_exposed_all_interfaces;
pub mod privileged;
pub mod security_profile_disabled;
pub mod sensitive_host_mount;
pub mod sensitive_port_exposed;
pub mod unknown_compose_key;
pub mod writable_root_filesystem;

use crate::parse::yaml::Node;
use crate::rules::Context;

/// Tokens of a `docker create` options string (`container.options` in workflows), with their
/// byte ranges in the string. Quotes group words; they are not part of the token.
pub fn option_tokens(options: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = None;
    let mut quote = None;
    for (i, c) in options.char_indices() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                continue;
            }
            Some(_) => {}
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                start.get_or_insert(i);
                continue;
            }
            None if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    out.push((std::mem::take(&mut current), s..i));
                }
                continue;
            }
            None => {}
        }
        start.get_or_insert(i);
        current.push(c);
    }
    if let Some(s) = start {
        out.push((current, s..options.len()));
    }
    out
}

/// One `--flag value` or `--flag=value` of an options string.
pub struct FlagValue {
    pub flag: &'static str,
    pub value: String,
    /// Flag and value in the options string.
    pub whole: std::ops::Range<usize>,
    /// The value alone.
    pub value_range: std::ops::Range<usize>,
}

/// The values given to the flags in `names`, in either form, in the order written.
pub fn flag_values(options: &str, names: &[&'static str]) -> Vec<FlagValue> {
    let tokens = option_tokens(options);
    let mut out = Vec::new();
    for (i, (token, range)) in tokens.iter().enumerate() {
        let (name, inline) = match token.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (token.as_str(), None),
        };
        let Some(&flag) = names.iter().find(|n| **n == name) else {
            continue;
        };
        match inline {
            Some(value) => out.push(FlagValue {
                flag,
                value: value.to_string(),
                whole: range.clone(),
                value_range: (range.start + name.len() + 1).min(range.end)..range.end,
            }),
            None => {
                if let Some((value, value_range)) = tokens.get(i + 1) {
                    out.push(FlagValue {
                        flag,
                        value: value.clone(),
                        whole: range.start..value_range.end,
                        value_range: value_range.clone(),
                    });
                }
            }
        }
    }
    out
}

/// A flag given in a workflow container's `options:`: the job, the options node (spans are
/// inside it) and the flag.
pub struct ContainerFlag<'a> {
    pub job: &'a str,
    pub options: &'a Node,
    pub found: FlagValue,
}

/// The flags in `names` given in the `options:` of the job containers and services of a
/// workflow.
pub fn container_flags<'a>(root: &'a Node, names: &[&'static str]) -> Vec<ContainerFlag<'a>> {
    let mut out = Vec::new();
    for job in crate::parse::workflow::jobs(root) {
        for options in container_options(&job) {
            let Some(text) = options.as_str() else {
                continue;
            };
            out.extend(
                flag_values(text, names)
                    .into_iter()
                    .map(|found| ContainerFlag {
                        job: job.id,
                        options,
                        found,
                    }),
            );
        }
    }
    out
}

/// The `options:` of a workflow job's container and of each of its services.
pub fn container_options<'a>(job: &crate::parse::workflow::Job<'a>) -> Vec<&'a Node> {
    let mut out = Vec::new();
    if let Some(options) = job.get("container").and_then(|c| c.get("options")) {
        out.push(options);
    }
    for service in job.get("services").and_then(Node::as_map).unwrap_or(&[]) {
        if let Some(options) = service.value.get("options") {
            out.push(options);
        }
    }
    out
}

/// Interpolated compose values for rules: an unresolvable value is recorded as "not checked",
/// never guessed at.
pub struct Values<'a> {
    env: Option<&'a crate::parse::env::EnvFile>,
    /// Compose interpolates `${VAR}`; a workflow's `${{ … }}` are GitHub expressions, and its
    /// values are taken as written.
    interpolate: bool,
    misses: std::cell::RefCell<Vec<(crate::source::Span, String)>>,
}

impl<'a> Values<'a> {
    pub fn new(cx: &Context<'a>) -> Values<'a> {
        let project: &'a crate::rules::Project = cx.project;
        let env = cx.path.parent().and_then(|dir| project.env_files.get(dir));
        Values {
            env,
            interpolate: cx.file.kind == crate::source::FileKind::Compose,
            misses: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// The scalar's value after interpolation; `None` for collections, null, or when a variable
    /// has no value (then recorded).
    pub fn text(&self, node: &Node) -> Option<String> {
        let raw = node.as_str()?;
        if !self.interpolate {
            return Some(raw.to_string());
        }
        let vars = |name: &str| self.env.and_then(|e| e.get(name)).map(str::to_string);
        match crate::parse::interpolate::interpolate(raw, &vars) {
            Ok(value) => Some(value),
            Err(unresolved) => {
                self.misses.borrow_mut().push((
                    node.span,
                    format!("`{raw}`: variable `{}` has no value", unresolved.0),
                ));
                None
            }
        }
    }

    pub fn bool(&self, node: &Node) -> Option<bool> {
        match self.text(node)?.trim() {
            "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "1" => {
                Some(true)
            }
            "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "0" => {
                Some(false)
            }
            _ => None,
        }
    }

    /// Hand the values that could not be resolved to the context.
    pub fn finish(self, cx: &mut Context) {
        for (span, what) in self.misses.into_inner() {
            cx.not_checked(span, what);
        }
    }
}

/// Strings of a list (or single scalar) with their nodes, interpolated.
pub fn strings<'n>(values: &Values, node: Option<&'n Node>) -> Vec<(&'n Node, String)> {
    crate::parse::compose::list(node)
        .into_iter()
        .filter_map(|n| values.text(n).map(|t| (n, t)))
        .collect()
}

/// The span of a mapping entry, key through value, for "a scalar setting" findings.
pub fn entry_span(entry: &crate::parse::yaml::Entry) -> crate::source::Span {
    entry.key.span.to(entry.value.span)
}

/// A bind mount from a compose service or a workflow job container, wherever it is written.
pub struct BindSite {
    pub span: crate::source::Span,
    pub source: String,
    pub read_only: bool,
    /// "service `web`", "container of job `build`".
    pub place: String,
}

/// Every host path bound into a container: compose `volumes:` (both syntaxes, `extends` and
/// anchors applied), workflow `container.volumes`/`services.*.volumes`, and `-v`/`--volume`/
/// `--mount` in workflow `options:`.
pub fn bind_sites(doc: &crate::parse::Document, cx: &Context, values: &Values) -> Vec<BindSite> {
    use crate::parse::Document;
    let mut out = Vec::new();
    match doc {
        Document::Compose(root) => {
            for service in &crate::parse::compose::services(root) {
                for m in crate::parse::compose::mounts(&service.node, &|n| values.text(n)) {
                    match (m.bind, m.source.clone()) {
                        (true, Some(source)) => out.push(BindSite {
                            span: m.source_node.span,
                            source,
                            read_only: m.read_only,
                            place: format!("service `{}`", service.name),
                        }),
                        // A named volume whose driver binds a host directory
                        // (`driver_opts: {o: bind, device: /path}`, or a `mountpoint`).
                        (false, Some(name)) => {
                            let options = root
                                .get("volumes")
                                .and_then(|v| v.get(&name))
                                .and_then(|v| v.get("driver_opts"));
                            let Some(options) = options else { continue };
                            let binds = options
                                .get("o")
                                .and_then(|o| values.text(o))
                                .is_some_and(|o| o.split(',').any(|x| x.trim() == "bind"));
                            let device = options
                                .get("device")
                                .filter(|_| binds)
                                .or_else(|| options.get("mountpoint"));
                            if let Some(device) = device
                                && let Some(source) = values.text(device)
                            {
                                out.push(BindSite {
                                    span: device.span,
                                    source,
                                    read_only: m.read_only,
                                    place: format!(
                                        "service `{}` (through volume `{name}`)",
                                        service.name
                                    ),
                                });
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        Document::Workflow(root) => {
            for job in crate::parse::workflow::jobs(root) {
                let mut containers: Vec<(&Node, String)> = Vec::new();
                if let Some(c) = job.get("container").filter(|c| c.as_map().is_some()) {
                    containers.push((c, format!("the container of job `{}`", job.id)));
                }
                for s in job.get("services").and_then(Node::as_map).unwrap_or(&[]) {
                    if s.value.as_map().is_some() {
                        containers.push((
                            &s.value,
                            format!(
                                "the service container `{}` of job `{}`",
                                s.key_str().unwrap_or(""),
                                job.id
                            ),
                        ));
                    }
                }
                for (container, place) in containers {
                    for m in crate::parse::compose::mounts(container, &|n| values.text(n)) {
                        if let (true, Some(source)) = (m.bind, m.source.clone()) {
                            out.push(BindSite {
                                span: m.item.span,
                                source,
                                read_only: m.read_only,
                                place: place.clone(),
                            });
                        }
                    }
                    let Some(options) = container.get("options") else {
                        continue;
                    };
                    let Some(text) = options.as_str() else {
                        continue;
                    };
                    for found in flag_values(text, &["-v", "--volume", "--mount"]) {
                        let (value, value_range) = (found.value, found.value_range);
                        let (source, read_only) = if found.flag == "--mount" {
                            let fields: Vec<&str> = value.split(',').collect();
                            let source = fields.iter().find_map(|f| {
                                f.strip_prefix("source=").or_else(|| f.strip_prefix("src="))
                            });
                            let bind = fields.contains(&"type=bind");
                            match source {
                                Some(s) if bind => (
                                    s.to_string(),
                                    fields.iter().any(|f| {
                                        *f == "readonly" || *f == "ro" || *f == "readonly=true"
                                    }),
                                ),
                                _ => continue,
                            }
                        } else {
                            let mut parts = value.splitn(3, ':');
                            let source = parts.next().unwrap_or("").to_string();
                            if parts.next().is_none()
                                || !crate::parse::compose::is_host_path(&source)
                            {
                                continue;
                            }
                            let ro = parts
                                .next()
                                .is_some_and(|o| o.split(',').any(|x| x == "ro"));
                            (source, ro)
                        };
                        out.push(BindSite {
                            span: options.subspan(&cx.file.text, value_range),
                            source,
                            read_only,
                            place: place.clone(),
                        });
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// A host path with `~`, `$HOME`-style prefixes and `/./`, `//`, trailing `/` normalised.
pub fn normalise_host_path(path: &str) -> String {
    let mut p = path.trim().to_string();
    for home in ["${HOME}", "$HOME", "${HOME:-~}"] {
        if let Some(rest) = p.strip_prefix(home) {
            p = format!("~{rest}");
        }
    }
    let absolute = p.starts_with('/');
    let parts: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Where a port finding points: the long syntax's `target:`/`host_ip:` entry when asked for and
/// present, else the item (its first line for the long syntax).
pub fn port_span(port: &crate::parse::compose::Port, prefer: Option<&Node>) -> crate::source::Span {
    if let Some(node) = prefer {
        return node.span;
    }
    match port.item.as_map().and_then(|m| m.first()) {
        Some(first) => first.key.span.to(first.value.span),
        None => port.item.span,
    }
}

/// The Dockerfile a compose service is built from: `build: <context>` or `build.context` +
/// `build.dockerfile`, relative to the compose file. `None` for images, Git contexts and inline
/// Dockerfiles.
pub fn service_dockerfile(
    service: &crate::parse::compose::Service,
    compose_path: &std::path::Path,
    values: &Values,
) -> Option<std::path::PathBuf> {
    let build = service.get("build")?;
    let (context, dockerfile) = match build.as_str() {
        Some(_) => (values.text(build)?, "Dockerfile".to_string()),
        None => {
            if build.get("dockerfile_inline").is_some() {
                return None;
            }
            let context = build
                .get("context")
                .map_or(Some(".".to_string()), |c| values.text(c))?;
            let dockerfile = build
                .get("dockerfile")
                .map_or(Some("Dockerfile".to_string()), |d| values.text(d))?;
            (context, dockerfile)
        }
    };
    if context.contains("://")
        || context.starts_with("git@")
        || context.ends_with(".git")
        || context.contains(".git#")
    {
        return None;
    }
    let base = compose_path.parent()?.join(context);
    Some(base.join(dockerfile))
}

/// Compose merges `compose.override.yaml` into `compose.yaml`, and `extends: {file: …}` pulls a
/// base service from another file. Rules that report a *missing* setting ask here whether one of
/// those files sets it for the service, so that hardening written there is not reported as
/// missing. (Values found in those files are reported in their own file, never here.)
pub struct Elsewhere {
    services: Vec<(std::sync::Arc<Node>, String)>,
}

const BASE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];
const OVERRIDE_NAMES: &[&str] = &[
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// What a rule about one service's settings knows of the service beyond its own entry.
pub struct ServiceScope<'s, 'a> {
    /// The file only overrides a base file: settings missing here are the base's to report.
    pub partial: bool,
    pub values: &'s Values<'a>,
    cx: &'s Context<'a>,
    service: &'s crate::parse::compose::Service<'s>,
    /// Read when a rule first asks: most rules never need the other files.
    elsewhere: std::cell::OnceCell<Elsewhere>,
}

impl ServiceScope<'_, '_> {
    /// Does `compose.override.yaml` or `extends: {file}` set something for the service that
    /// `test` accepts?
    pub fn set_elsewhere(&self, test: impl Fn(&Node) -> bool) -> bool {
        self.elsewhere
            .get_or_init(|| Elsewhere::new(self.cx, self.service, self.values))
            .sets(test)
    }
}

/// Run `check` on every service of a compose file, then report what it collected with `help`.
/// The skeleton of the compose rules about a service's own settings.
pub fn check_services(
    doc: &crate::parse::Document,
    cx: &mut Context,
    help: &'static str,
    mut check: impl FnMut(
        &crate::parse::compose::Service,
        &ServiceScope,
        &mut Vec<(crate::source::Span, String)>,
    ),
) {
    let crate::parse::Document::Compose(root) = doc else {
        return;
    };
    let values = Values::new(cx);
    let partial = is_override_file(cx.path);
    let mut reports = Vec::new();
    for service in &crate::parse::compose::services(root) {
        let scope = ServiceScope {
            partial,
            values: &values,
            cx,
            service,
            elsewhere: std::cell::OnceCell::new(),
        };
        check(service, &scope, &mut reports);
    }
    values.finish(cx);
    for (span, message) in reports {
        cx.report(span, message).help(help);
    }
}

/// An override file only adds to a base file: "missing" settings are the base file's to report.
pub fn is_override_file(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().contains("override"))
}

impl Elsewhere {
    pub fn new(
        cx: &Context,
        service: &crate::parse::compose::Service,
        values: &Values,
    ) -> Elsewhere {
        let mut services = Vec::new();
        let Some(dir) = cx.path.parent() else {
            return Elsewhere { services };
        };
        let is_base = cx
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| BASE_NAMES.contains(&n));
        if is_base {
            for name in OVERRIDE_NAMES {
                // Asked of the per-scan cache, which also remembers the files that are not there.
                if let Some(root) = cx.project.yaml_file(&dir.join(name)) {
                    services.push((root, service.name.to_string()));
                }
            }
        }
        if let Some(file) = service.extends_file.and_then(|f| values.text(f)) {
            let base = service
                .get("extends")
                .and_then(|e| e.get("service"))
                .and_then(|s| values.text(s))
                .unwrap_or_else(|| service.name.to_string());
            if let Some(root) = cx.project.yaml_file(&dir.join(file)) {
                services.push((root, base));
            }
        }
        Elsewhere { services }
    }

    /// Does any of those files set something for this service that `test` accepts?
    pub fn sets(&self, test: impl Fn(&Node) -> bool) -> bool {
        self.services.iter().any(|(root, name)| {
            crate::parse::compose::service_entries(root)
                .iter()
                .find(|e| e.key_str() == Some(name.as_str()))
                .is_some_and(|e| test(&e.value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_with_quotes() {
        let t = option_tokens("--cpus 1 --privileged  -e \"A=b c\"");
        let words: Vec<_> = t.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(words, ["--cpus", "1", "--privileged", "-e", "A=b c"]);
        assert_eq!(t[2].1, 9..21);
    }
}
