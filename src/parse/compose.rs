//! Typed views over a compose file's YAML tree.

use std::borrow::Cow;

use super::yaml::{Entry, Node, Value};

/// A service, with `extends:` within the same file already applied.
pub struct Service<'a> {
    pub name: &'a str,
    /// The service's name key: where "missing" findings point.
    pub key: &'a Node,
    /// The service definition after `extends` (values keep the spans where they are written).
    pub node: Cow<'a, Node>,
    /// `extends: {file: …}`: a base service in another file, which is not followed.
    pub extends_file: Option<&'a Node>,
}

impl Service<'_> {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.node.get(key)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.node.entry(key)
    }
}

/// Whether `root` is a legacy (version 1) compose file: no `services:` key, and services at
/// the top level (entries with `image` or `build`).
pub fn is_legacy(root: &Node) -> bool {
    root.get("services").is_none() && root.as_map().unwrap_or(&[]).iter().any(legacy_service)
}

fn legacy_service(entry: &Entry) -> bool {
    entry
        .key_str()
        .is_some_and(|k| !k.starts_with("x-") && k != "version")
        && (entry.value.get("image").is_some() || entry.value.get("build").is_some())
}

/// The entries that define services: under `services:` those whose value is a mapping (a key
/// such as `restart: always` misplaced there is not a service); in a legacy file the top-level
/// entries with `image` or `build`.
pub fn service_entries(root: &Node) -> Vec<&Entry> {
    match root.get("services") {
        Some(services) => services
            .as_map()
            .unwrap_or(&[])
            .iter()
            .filter(|e| e.value.as_map().is_some())
            .collect(),
        None => root
            .as_map()
            .unwrap_or(&[])
            .iter()
            .filter(|e| legacy_service(e))
            .collect(),
    }
}

/// The services of a compose file, in file order. A legacy file's `net:` is read as
/// `network_mode:` (what it became).
pub fn services(root: &Node) -> Vec<Service<'_>> {
    let legacy = root.get("services").is_none();
    let entries = match root.get("services") {
        Some(services) => services.as_map().unwrap_or(&[]),
        None => root.as_map().unwrap_or(&[]),
    };
    service_entries(root)
        .into_iter()
        .filter_map(|entry| {
            let name = entry.key_str()?;
            let (mut node, extends_file) = resolve_extends(entries, &entry.value, 0);
            if legacy && node.get("net").is_some() && node.get("network_mode").is_none() {
                node = Cow::Owned(renamed(&node, "net", "network_mode"));
            }
            Some(Service {
                name,
                key: &entry.key,
                node,
                extends_file,
            })
        })
        .collect()
}

/// `node` with its key `from` named `to` (spans kept: findings point at what is written).
fn renamed(node: &Node, from: &str, to: &str) -> Node {
    let mut node = node.clone();
    if let Value::Map(entries) = &mut node.value {
        for entry in entries.iter_mut() {
            if entry.key_str() == Some(from)
                && let Value::Scalar(scalar) = &mut entry.key.value
            {
                scalar.text = to.to_string();
            }
        }
    }
    node
}

/// Apply `extends: base` / `extends: {service: base}` from the same file, recursively.
fn resolve_extends<'a>(
    services: &'a [Entry],
    node: &'a Node,
    depth: usize,
) -> (Cow<'a, Node>, Option<&'a Node>) {
    let Some(extends) = node.get("extends") else {
        return (Cow::Borrowed(node), None);
    };
    if let Some(file) = extends.get("file") {
        return (Cow::Borrowed(node), Some(file));
    }
    let base_name = extends
        .as_str()
        .or_else(|| extends.get("service").and_then(Node::as_str));
    let base = base_name.and_then(|b| services.iter().find(|e| e.key_str() == Some(b)));
    match base {
        Some(base) if depth < 16 && !std::ptr::eq(&base.value, node) => {
            let (base_node, file) = resolve_extends(services, &base.value, depth + 1);
            (Cow::Owned(merge(&base_node, node)), file)
        }
        _ => (Cow::Borrowed(node), None),
    }
}

/// Compose's merge: mappings merge key by key, sequences append, scalars are replaced;
/// `!reset` removes a value and `!override` replaces it whole.
pub fn merge(base: &Node, over: &Node) -> Node {
    match (&base.value, &over.value) {
        (Value::Map(b), Value::Map(o)) if over.tag.as_deref() != Some("!override") => {
            let mut entries: Vec<Entry> = Vec::with_capacity(b.len() + o.len());
            for be in b {
                match o
                    .iter()
                    .find(|oe| oe.key_str().is_some() && oe.key_str() == be.key_str())
                {
                    Some(oe) if oe.value.tag.as_deref() == Some("!reset") => {}
                    Some(oe) => entries.push(Entry {
                        key: oe.key.clone(),
                        value: merge(&be.value, &oe.value),
                    }),
                    None => entries.push(be.clone()),
                }
            }
            for oe in o {
                let in_base = b
                    .iter()
                    .any(|be| be.key_str().is_some() && be.key_str() == oe.key_str());
                if !in_base
                    && oe.value.tag.as_deref() != Some("!reset")
                    && oe.key_str() != Some("extends")
                {
                    entries.push(oe.clone());
                }
            }
            Node {
                span: over.span,
                value: Value::Map(entries),
                tag: None,
            }
        }
        (Value::Seq(b), Value::Seq(o)) if over.tag.is_none() => Node {
            span: over.span,
            value: Value::Seq(b.iter().chain(o.iter()).cloned().collect()),
            tag: None,
        },
        _ => over.clone(),
    }
}

/// Files a compose file loads: `include:` entries (a path, or `path:` as one path or a list)
/// and `extends: {file}` of its services. Remote (`://`, `git@`) and interpolated paths are
/// left out.
pub fn referenced_files(root: &Node) -> Vec<String> {
    let mut out = Vec::new();
    for item in list(root.get("include")) {
        match item.get("path") {
            Some(path) => out.extend(
                list(Some(path))
                    .iter()
                    .filter_map(|p| p.as_str())
                    .map(str::to_string),
            ),
            None => out.extend(item.as_str().map(str::to_string)),
        }
    }
    for entry in service_entries(root) {
        if let Some(file) = entry
            .value
            .get("extends")
            .and_then(|e| e.get("file"))
            .and_then(Node::as_str)
        {
            out.push(file.to_string());
        }
    }
    out.retain(|p| !p.contains("://") && !p.starts_with("git@") && !p.contains('$'));
    out
}

/// The `env_file:` entries of every service (a path, a list, or `{path}` items), with the node
/// that names each.
pub fn env_files(root: &Node) -> Vec<(String, &Node)> {
    let mut out = Vec::new();
    for entry in service_entries(root) {
        for item in list(entry.value.get("env_file")) {
            let node = item.get("path").unwrap_or(item);
            if let Some(path) = node.as_str() {
                out.push((path.to_string(), node));
            }
        }
    }
    out
}

/// A published or exposed port, from the short (`"127.0.0.1:8080:80/tcp"`) or long syntax.
#[derive(Debug, Clone)]
pub struct Port<'a> {
    /// The list item.
    pub item: &'a Node,
    /// Host address, if one is given (brackets of IPv6 removed).
    pub host_ip: Option<String>,
    /// The `host_ip:` entry of the long syntax.
    pub host_ip_node: Option<&'a Node>,
    /// Published host port or range as written; `None` when only the container port is given
    /// (Docker then publishes it on an ephemeral host port).
    pub published: Option<String>,
    /// Container port range (first, last).
    pub target: (u32, u32),
    /// The `target:` entry of the long syntax.
    pub target_node: Option<&'a Node>,
    pub protocol: String,
}

impl Port<'_> {
    /// Bound to every interface: no host address, `0.0.0.0` or `::`.
    pub fn all_interfaces(&self) -> bool {
        matches!(
            self.host_ip.as_deref(),
            None | Some("0.0.0.0") | Some("::") | Some("")
        )
    }

    pub fn loopback(&self) -> bool {
        self.host_ip
            .as_deref()
            .is_some_and(|ip| ip.starts_with("127.") || ip == "::1" || ip == "localhost")
    }

    pub fn targets(&self, port: u32) -> bool {
        self.target.0 <= port && port <= self.target.1
    }
}

fn port_range(text: &str) -> Option<(u32, u32)> {
    let text = text.trim();
    match text.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => {
            let p = text.parse().ok()?;
            Some((p, p))
        }
    }
}

/// Parse the `ports:` of a service; `value` interpolates a scalar (unresolvable → `None`,
/// and the port is skipped).
pub fn ports<'a>(service: &'a Node, value: &dyn Fn(&'a Node) -> Option<String>) -> Vec<Port<'a>> {
    let mut out = Vec::new();
    for item in service.get("ports").and_then(Node::as_seq).unwrap_or(&[]) {
        if item.as_map().is_some() {
            let Some(target) = item
                .get("target")
                .and_then(value)
                .and_then(|t| port_range(&t))
            else {
                continue;
            };
            // `published: "127.0.0.1:8080"` is not in the specification, but is written and read
            // as an address and a port.
            let mut published = item.get("published").and_then(value);
            let mut host_ip = item
                .get("host_ip")
                .and_then(value)
                .map(|ip| ip.trim_matches(['[', ']']).to_string());
            if let Some(p) = published.clone() {
                if let Some((ip, port)) = p.rsplit_once(':') {
                    host_ip = host_ip.or_else(|| Some(ip.trim_matches(['[', ']']).to_string()));
                    published = Some(port.to_string());
                } else if p.parse::<std::net::Ipv4Addr>().is_ok() {
                    host_ip = host_ip.or(Some(p));
                    published = None;
                }
            }
            out.push(Port {
                item,
                host_ip,
                host_ip_node: item.get("host_ip"),
                published,
                target,
                target_node: item.get("target"),
                protocol: item
                    .get("protocol")
                    .and_then(value)
                    .unwrap_or_else(|| "tcp".into()),
            });
            continue;
        }
        let Some(text) = value(item) else { continue };
        let (spec, protocol) = match text.rsplit_once('/') {
            Some((s, p)) => (s.to_string(), p.to_string()),
            None => (text.clone(), "tcp".to_string()),
        };
        // `[::1]:8080:80`, `::1:8080:80`, `1.2.3.4:8080:80`, `8080:80`, `80`.
        let (host_ip, rest) = if let Some(stripped) = spec.strip_prefix('[') {
            match stripped.split_once("]:") {
                Some((ip, rest)) => (Some(ip.to_string()), rest.to_string()),
                None => (None, spec.clone()),
            }
        } else {
            let parts: Vec<&str> = spec.split(':').collect();
            if parts.len() > 3 {
                // Unbracketed IPv6: everything before the last two parts.
                let ip = parts[..parts.len() - 2].join(":");
                (Some(ip), parts[parts.len() - 2..].join(":"))
            } else if parts.len() == 3 {
                (
                    Some(parts[0].to_string()),
                    format!("{}:{}", parts[1], parts[2]),
                )
            } else {
                (None, spec.clone())
            }
        };
        let (published, target) = match rest.split_once(':') {
            Some((p, t)) => (Some(p.to_string()).filter(|p| !p.is_empty()), t.to_string()),
            None => (None, rest.clone()),
        };
        let Some(target) = port_range(&target) else {
            continue;
        };
        out.push(Port {
            item,
            host_ip,
            host_ip_node: None,
            published,
            target,
            target_node: None,
            protocol,
        });
    }
    out
}

/// A mount from `volumes:`, short (`./data:/data:ro`) or long syntax.
#[derive(Debug, Clone)]
pub struct Mount<'a> {
    pub item: &'a Node,
    /// The node to point at: the short item, or the long syntax's `source:` entry.
    pub source_node: &'a Node,
    /// Host path or volume name; `None` for an anonymous volume.
    pub source: Option<String>,
    pub target: Option<String>,
    /// A bind mount (host path), as opposed to a named volume or tmpfs.
    pub bind: bool,
    pub read_only: bool,
    /// Propagation mode and the node that sets it (short item or `bind.propagation:` entry).
    pub propagation: Option<(String, &'a Node)>,
}

/// Is a short-syntax volume source a host path (a bind) rather than a volume name?
pub fn is_host_path(source: &str) -> bool {
    source.starts_with(['.', '/', '~', '\\'])
        || source.as_bytes().get(1) == Some(&b':') && source.as_bytes()[0].is_ascii_alphabetic()
}

/// Split a short volume spec on `:`, keeping `${…}` and a Windows drive letter together.
fn split_volume(spec: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut depth = 0;
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && chars.get(i + 1) == Some(&'{') {
            depth += 1;
        } else if c == '}' && depth > 0 {
            depth -= 1;
        }
        let drive = c == ':'
            && current.len() == 1
            && current.chars().all(|d| d.is_ascii_alphabetic())
            && parts.is_empty()
            && matches!(chars.get(i + 1), Some('\\') | Some('/'));
        if c == ':' && depth == 0 && !drive {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
        i += 1;
    }
    parts.push(current);
    parts
}

pub fn mounts<'a>(service: &'a Node, value: &dyn Fn(&'a Node) -> Option<String>) -> Vec<Mount<'a>> {
    let mut out = Vec::new();
    for item in service.get("volumes").and_then(Node::as_seq).unwrap_or(&[]) {
        if item.as_map().is_some() {
            let kind = item.get("type").and_then(value).unwrap_or_default();
            let source = item.get("source").and_then(value);
            let bind =
                kind == "bind" || (kind.is_empty() && source.as_deref().is_some_and(is_host_path));
            let read_only = item
                .get("read_only")
                .and_then(Node::as_bool)
                .unwrap_or(false);
            let propagation = item
                .get("bind")
                .and_then(|b| b.entry("propagation"))
                .and_then(|e| e.value.as_str().map(|p| (p.to_string(), &e.value)));
            out.push(Mount {
                item,
                source_node: item.entry("source").map_or(item, |e| &e.value),
                source,
                target: item.get("target").and_then(value),
                bind,
                read_only,
                propagation,
            });
            continue;
        }
        let Some(text) = value(item) else { continue };
        let parts = split_volume(&text);
        let (source, target, mode) = match parts.as_slice() {
            [target] => (None, Some(target.clone()), String::new()),
            [source, target] => (Some(source.clone()), Some(target.clone()), String::new()),
            [source, target, mode, ..] => {
                (Some(source.clone()), Some(target.clone()), mode.clone())
            }
            [] => continue,
        };
        let options: Vec<&str> = mode.split(',').map(str::trim).collect();
        let propagation = options
            .iter()
            .find(|o| {
                matches!(
                    **o,
                    "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate"
                )
            })
            .map(|p| (p.to_string(), item));
        out.push(Mount {
            item,
            source_node: item,
            bind: source.as_deref().is_some_and(is_host_path),
            source,
            target,
            read_only: options.contains(&"ro"),
            propagation,
        });
    }
    out
}

/// The items of a list (or the single value of a scalar) as nodes.
pub fn list(node: Option<&Node>) -> Vec<&Node> {
    match node {
        None => Vec::new(),
        Some(n) => match n.as_seq() {
            Some(items) => items.iter().collect(),
            None if n.as_str().is_some() => vec![n],
            None => Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;

    fn service(text: &str) -> Node {
        yaml::parse(text).unwrap().unwrap()
    }

    #[test]
    fn port_syntaxes() {
        let s = service(
            "ports:\n  - 80\n  - \"8080:80\"\n  - 127.0.0.1:5432:5432\n  - \"[::1]:6379:6379/tcp\"\n  - \"::1:22:22\"\n  - 9000-9002:9000-9002\n  - target: 22\n    published: 2222\n    host_ip: 0.0.0.0\n",
        );
        let value = |n: &Node| n.as_str().map(str::to_string);
        let ports = ports(&s, &value);
        assert_eq!(ports.len(), 7);
        assert!(ports[0].published.is_none() && ports[0].all_interfaces());
        assert_eq!(ports[1].published.as_deref(), Some("8080"));
        assert!(ports[2].loopback());
        assert_eq!(ports[3].host_ip.as_deref(), Some("::1"));
        assert!(ports[4].loopback() && ports[4].targets(22));
        assert!(ports[5].targets(9001));
        assert!(
            ports[6].targets(22) && ports[6].all_interfaces() && ports[6].target_node.is_some()
        );
    }

    #[test]
    fn mount_syntaxes() {
        let s = service(
            "volumes:\n  - /var/run/docker.sock:/var/run/docker.sock:ro\n  - data:/data\n  - ./src:/src:rw,rshared\n  - /cache\n  - ${HOME:-/root}/.ssh:/root/.ssh\n  - C:\\\\data:/data\n  - type: bind\n    source: /etc\n    target: /host-etc\n    read_only: true\n    bind:\n      propagation: rslave\n",
        );
        let value = |n: &Node| n.as_str().map(str::to_string);
        let m = mounts(&s, &value);
        assert_eq!(m.len(), 7);
        assert!(
            m[0].bind && m[0].read_only && m[0].source.as_deref() == Some("/var/run/docker.sock")
        );
        assert!(!m[1].bind);
        assert_eq!(
            m[2].propagation.as_ref().map(|p| p.0.as_str()),
            Some("rshared")
        );
        assert!(m[3].source.is_none());
        assert_eq!(m[4].source.as_deref(), Some("${HOME:-/root}/.ssh"));
        assert_eq!(m[5].source.as_deref(), Some("C:\\\\data"));
        assert!(m[6].bind && m[6].read_only && m[6].propagation.is_some());
    }
}
