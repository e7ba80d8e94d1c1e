//! Repository automation: the configuration of dependency-update bots.

pub mod dependency_bot_code_execution;
pub mod missing_dependency_cooldown;

use crate::parse::yaml::Node;

/// The `updates[]` items of a Dependabot configuration.
pub fn dependabot_updates(root: &Node) -> &[Node] {
    root.get("updates").and_then(Node::as_seq).unwrap_or(&[])
}

/// Whether the file is Renovate's (JSON or JSON5) rather than Dependabot's.
pub fn is_renovate(path: &std::path::Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| crate::discover::RENOVATE_FILES.contains(&n.to_ascii_lowercase().as_str()))
}

/// `packageRules[]` entries of a Renovate configuration.
pub fn package_rules(root: &Node) -> &[Node] {
    root.get("packageRules")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
}
