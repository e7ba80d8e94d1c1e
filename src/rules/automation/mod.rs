//! Repository automation: the configuration of dependency-update bots.

pub mod dependency_bot_code_execution;
pub mod missing_dependency_cooldown;

use crate::parse::yaml::Node;

/// The `updates[]` items of a Dependabot configuration.
pub fn dependabot_updates(root: &Node) -> &[Node] {
    root.get("updates").and_then(Node::as_seq).unwrap_or(&[])
}
