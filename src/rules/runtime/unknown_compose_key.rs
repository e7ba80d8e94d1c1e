use crate::parse::Document;
use crate::parse::compose_keys::KEYS;
use crate::parse::yaml::Node;
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags a key the Compose Specification does not define, at the top level, in a service
    /// and in the structures inside it (`build`, `deploy`, `healthcheck`, long-syntax ports,
    /// volumes, secrets, …) and in top-level networks, volumes, secrets and configs. Keys
    /// starting with `x-` are extensions and always allowed; values are not checked. The key
    /// table is generated from the specification's JSON schema. The message suggests the
    /// closest known key.
    ///
    /// ## Why is this bad?
    /// A misspelt hardening key is hardening that silently is not there: `secutity_opt`,
    /// `read-only` or `cap-drop` leave the container exactly as unprotected as before, while the
    /// file looks right in review. Some Compose versions only warn about unknown keys.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: example/api:2.3@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     secutity_opt: ["no-new-privileges:true"]
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// services:
    ///   api:
    ///     image: example/api:2.3@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     security_opt: ["no-new-privileges:true"]
    /// ```
    pub static UNKNOWN_COMPOSE_KEY = {
        id: "unknown-compose-key",
        summary: "key not defined by the Compose Specification",
        level: Warning,
        kinds: [Compose],
        tags: ["correctness", "hardening"],
        security_severity: None,
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Compose(root) = doc else { return };
    let mut reports = Vec::new();
    if crate::parse::compose::is_legacy(root) {
        // A legacy file: its top-level entries are services (or `version`), each checked as one.
        for entry in crate::parse::compose::service_entries(root) {
            let mut service = entry.value.clone();
            // `net:` is what `network_mode:` was called.
            if let crate::parse::yaml::Value::Map(entries) = &mut service.value {
                entries.retain(|e| e.key_str() != Some("net"));
            }
            walk(&service, "services.*", &mut reports);
        }
    } else {
        walk(root, "", &mut reports);
        // A key misplaced under `services:` (`restart: always`) is not a service.
        for entry in root
            .get("services")
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter(|e| e.value.as_map().is_none())
        {
            let Some(key) = entry.key_str() else { continue };
            let hint = if allowed("services.*").is_some_and(|keys| keys.contains(&key)) {
                format!("`{key}` is a key of a service: indent it under the service it belongs to")
            } else {
                "a service is a mapping of its settings: give it some, or remove the entry"
                    .to_string()
            };
            reports.push((
                entry.key.span,
                format!("`{key}` under `services` is not a service (its value is not a mapping)"),
                hint,
            ));
        }
    }
    for (span, message, help) in reports {
        cx.report(span, message).help(help);
    }
}

fn allowed(path: &str) -> Option<&'static [&'static str]> {
    KEYS.iter().find(|(p, _)| *p == path).map(|(_, keys)| *keys)
}

fn known(path: &str) -> bool {
    KEYS.iter().any(|(p, _)| {
        *p == path
            || p.strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn walk(node: &Node, path: &str, out: &mut Vec<(crate::source::Span, String, String)>) {
    if let Some(entries) = node.as_map() {
        let keys = allowed(path);
        for entry in entries {
            let Some(key) = entry.key_str() else { continue };
            if key.starts_with("x-") {
                continue;
            }
            if let Some(keys) = keys
                && !keys.contains(&key)
            {
                let place = if path.is_empty() {
                    "at the top level".to_string()
                } else {
                    format!("in `{}`", display(path))
                };
                let help = match closest(key, keys) {
                    Some(best) => format!(
                        "did you mean `{best}`? Unknown keys are ignored or rejected by Compose"
                    ),
                    None => "remove it, or prefix it with `x-` if it is an extension".to_string(),
                };
                out.push((
                    entry.key.span,
                    format!("`{key}` is not a Compose key {place}"),
                    help,
                ));
                continue;
            }
            let exact = join(path, key);
            let any = join(path, "*");
            if known(&exact) {
                walk(&entry.value, &exact, out);
            } else if known(&any) && keys.is_none() {
                walk(&entry.value, &any, out);
            }
        }
    } else if let Some(items) = node.as_seq() {
        let item_path = format!("{path}[]");
        if known(&item_path) {
            for item in items {
                walk(item, &item_path, out);
            }
        }
    }
}

/// `services.*.deploy` → `services.<name>.deploy`.
fn display(path: &str) -> String {
    path.replace(".*", ".<name>").replace("[]", "[…]")
}

/// The known key nearest to `key` by edit distance, if it is near enough to be a typo.
fn closest<'k>(key: &str, keys: &[&'k str]) -> Option<&'k str> {
    let normalised = key.replace('-', "_").to_ascii_lowercase();
    keys.iter()
        .map(|k| (distance(&normalised, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let service = allowed("services.*").unwrap();
        assert_eq!(closest("secutity_opt", service), Some("security_opt"));
        assert_eq!(closest("read-only", service), Some("read_only"));
        assert_eq!(closest("cap-drop", service), Some("cap_drop"));
        assert_eq!(closest("completely_unrelated_thing", service), None);
    }
}
