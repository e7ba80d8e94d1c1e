//! Typed views over GitHub Actions workflows and action metadata (`action.yml`).

use super::yaml::{Entry, Node};

#[derive(Clone, Copy)]
pub struct Job<'a> {
    pub id: &'a str,
    pub entry: &'a Entry,
}

/// The same job: the same entry of the `jobs` mapping (a repeated id is another entry).
impl PartialEq for Job<'_> {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.entry, other.entry)
    }
}

impl<'a> Job<'a> {
    pub fn get(&self, key: &str) -> Option<&'a Node> {
        self.entry.value.get(key)
    }

    /// The jobs this one names in `needs:` (one id or a list).
    pub fn needs(&self) -> Vec<String> {
        match self.get("needs") {
            Some(node) => match node.as_seq() {
                Some(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                None => node.as_str().map(str::to_string).into_iter().collect(),
            },
            None => Vec::new(),
        }
    }

    pub fn steps(&self) -> impl Iterator<Item = &'a Node> + use<'a> {
        self.get("steps")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
    }
}

pub fn jobs(root: &Node) -> impl Iterator<Item = Job<'_>> {
    root.get("jobs")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .filter_map(|entry| {
            Some(Job {
                id: entry.key_str()?,
                entry,
            })
        })
}

/// Steps of a composite action (`runs.steps`).
pub fn action_steps(root: &Node) -> impl Iterator<Item = &Node> {
    root.get("runs")
        .and_then(|r| r.get("steps"))
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
}

/// Every `uses:` entry of a workflow (steps and reusable-workflow jobs) or action (steps).
pub fn uses_entries(root: &Node, is_action: bool) -> Vec<&Entry> {
    let mut out = Vec::new();
    if is_action {
        out.extend(action_steps(root).filter_map(|s| s.entry("uses")));
    } else {
        for job in jobs(root) {
            if let Some(uses) = job.entry.value.entry("uses") {
                out.push(uses);
            }
            out.extend(job.steps().filter_map(|s| s.entry("uses")));
        }
    }
    out
}

/// A job's `container:` and `services:` images: (the node holding the image string, label).
pub fn job_images<'a>(job: &Job<'a>) -> Vec<(&'a Node, String)> {
    let mut out = Vec::new();
    if let Some(container) = job.get("container") {
        let image = if container.as_str().is_some() {
            Some(container)
        } else {
            container.get("image")
        };
        if let Some(image) = image {
            out.push((image, format!("container of job `{}`", job.id)));
        }
    }
    for service in job.get("services").and_then(Node::as_map).unwrap_or(&[]) {
        let image = if service.value.as_str().is_some() {
            Some(&service.value)
        } else {
            service.value.get("image")
        };
        if let (Some(image), Some(name)) = (image, service.key_str()) {
            out.push((image, format!("service `{name}` of job `{}`", job.id)));
        }
    }
    out
}

/// A workflow's triggers with the span to report them at: the trigger's key in the mapping
/// form, the `on:` key for the scalar and list forms.
pub fn triggers(root: &Node) -> Vec<(String, crate::source::Span)> {
    // YAML 1.1 loaders read `on` as `true`; GitHub reads the key `on`.
    let Some(entry) = root.entry("on").or_else(|| root.entry("true")) else {
        return Vec::new();
    };
    let on = entry.key.span;
    match &entry.value.value {
        crate::parse::yaml::Value::Scalar(s) => vec![(s.text.clone(), on)],
        crate::parse::yaml::Value::Seq(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(|t| (t.to_string(), on)))
            .collect(),
        crate::parse::yaml::Value::Map(entries) => {
            let flow = !entry.value.span.is_empty()
                && !entries.is_empty()
                && entry.value.span.start < entries[0].key.span.start;
            entries
                .iter()
                .filter_map(|e| {
                    e.key_str()
                        .map(|k| (k.to_string(), if flow { on } else { e.key.span }))
                })
                .collect()
        }
    }
}

/// A step with the job it belongs to (`None` in a composite action).
pub struct StepRef<'a> {
    pub job: Option<&'a Job<'a>>,
    pub node: &'a Node,
}

/// `uses:` of a step without its `@ref`, lower-cased: `actions/checkout`.
pub fn action_name(step: &Node) -> Option<String> {
    let uses = step.get("uses")?.as_str()?;
    let name = uses.split('@').next().unwrap_or(uses);
    Some(name.trim().to_ascii_lowercase())
}
