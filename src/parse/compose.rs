//! Typed views over a compose file's YAML tree.

use super::yaml::{Entry, Node};

pub struct Service<'a> {
    pub name: &'a str,
    pub entry: &'a Entry,
}

impl<'a> Service<'a> {
    pub fn node(&self) -> &'a Node {
        &self.entry.value
    }

    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.entry.value.get(key)
    }

    pub fn entry(&self, key: &str) -> Option<&'a Entry> {
        self.entry.value.entry(key)
    }
}

/// The services of a compose file, in file order.
pub fn services(root: &Node) -> impl Iterator<Item = Service<'_>> {
    root.get("services")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|entry| {
            Some(Service {
                name: entry.key_str()?,
                entry,
            })
        })
}
