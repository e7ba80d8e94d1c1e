//! Image references, wherever they are written: Dockerfile `FROM`, `COPY --from`,
//! `RUN --mount=…,from=`; compose `image:`; workflow `container:`, `services:`, `docker://`.

pub mod latest_tag;
pub mod unpinned_image;
pub mod untrusted_registry;

use crate::parse::Document;
use crate::parse::dockerfile::{self, Dockerfile};
use crate::parse::interpolate::interpolate;
use crate::parse::yaml::Node;
use crate::parse::{compose, workflow};
use crate::rules::Context;
use crate::source::Span;

/// One image reference as written, and its value after variable substitution.
pub struct ImageSite {
    /// The reference as written in the source.
    pub span: Span,
    pub image: String,
    /// True when `image` is exactly the written text, so sub-spans (the tag) are exact.
    pub verbatim: bool,
    /// Where it is used, for messages: "base image of stage `build`".
    pub place: String,
}

impl ImageSite {
    /// The span of `range` inside the image text, or the whole reference when substituted.
    pub fn subspan(&self, range: std::ops::Range<usize>) -> Span {
        if self.verbatim {
            self.span.sub(range.start, range.len())
        } else {
            self.span
        }
    }
}

/// Every image reference of a document that can be resolved; the rest are recorded as not checked.
pub fn sites(doc: &Document, cx: &mut Context) -> Vec<ImageSite> {
    let mut out = Vec::new();
    match doc {
        Document::Dockerfile(file) => dockerfile_sites(file, cx, &mut out),
        Document::Compose(root) => {
            for service in &compose::services(root) {
                if service.get("build").is_some() {
                    continue; // `image:` names the image being built
                }
                let Some(image) = service.get("image") else {
                    continue;
                };
                let place = format!("image of service `{}`", service.name);
                yaml_site(image, &place, true, cx, &mut out);
            }
        }
        Document::Workflow(root) => {
            for job in workflow::jobs(root) {
                for (node, place) in workflow::job_images(&job) {
                    // `image: ${{ matrix.x }}` with a literal matrix: check every value.
                    if let Some(values) = matrix_values(&job, node) {
                        for value in values {
                            yaml_site(
                                value,
                                &format!("{place}, from the matrix"),
                                false,
                                cx,
                                &mut out,
                            );
                        }
                        continue;
                    }
                    yaml_site(node, &place, false, cx, &mut out);
                }
            }
            docker_uses(workflow::uses_entries(root, false), cx, &mut out);
        }
        Document::Action(root) => {
            docker_uses(workflow::uses_entries(root, true), cx, &mut out);
            if let Some(image) = root.get("runs").and_then(|r| r.get("image"))
                && let Some(text) = image.as_str()
                && let Some(reference) = text.strip_prefix("docker://")
            {
                let offset = text.len() - reference.len();
                let span = image.subspan(&cx.file.text, offset..text.len());
                push_checked(reference, span, "image of the Docker action", cx, &mut out);
            }
        }
        Document::Env(_)
        | Document::Dockerignore
        | Document::DependencyBot(_)
        | Document::Unparsed => {}
    }
    out
}

/// The literal values of `matrix.<name>` when `node` is exactly `${{ matrix.<name> }}`: the
/// list under `strategy.matrix.<name>` and the `<name>` of each `include:` entry.
fn matrix_values<'a>(job: &workflow::Job<'a>, node: &Node) -> Option<Vec<&'a Node>> {
    let text = node.as_str()?.trim();
    let inner = text.strip_prefix("${{")?.strip_suffix("}}")?.trim();
    let name = inner.strip_prefix("matrix.")?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    let matrix = job.get("strategy")?.get("matrix")?;
    let mut values: Vec<&Node> = matrix
        .get(name)
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .collect();
    for include in matrix.get("include").and_then(Node::as_seq).unwrap_or(&[]) {
        values.extend(include.get(name));
    }
    let literal = !values.is_empty()
        && values
            .iter()
            .all(|v| v.as_str().is_some_and(|t| !t.contains("${{")));
    literal.then_some(values)
}

fn docker_uses(
    entries: Vec<&crate::parse::yaml::Entry>,
    cx: &mut Context,
    out: &mut Vec<ImageSite>,
) {
    for entry in entries {
        let Some(text) = entry.value.as_str() else {
            continue;
        };
        let Some(reference) = text.strip_prefix("docker://") else {
            continue;
        };
        let offset = text.len() - reference.len();
        let span = entry.value.subspan(&cx.file.text, offset..text.len());
        push_checked(reference, span, "image of a `docker://` step", cx, out);
    }
}

fn push_checked(
    reference: &str,
    span: Span,
    place: &str,
    cx: &mut Context,
    out: &mut Vec<ImageSite>,
) {
    if reference.contains("${{") {
        cx.not_checked(span, format!("{place} uses an expression"));
        return;
    }
    out.push(ImageSite {
        span,
        image: reference.to_string(),
        verbatim: true,
        place: place.to_string(),
    });
}

fn yaml_site(node: &Node, place: &str, compose: bool, cx: &mut Context, out: &mut Vec<ImageSite>) {
    let Some(text) = node.as_str().filter(|t| !t.trim().is_empty()) else {
        return;
    };
    let span = node.subspan(&cx.file.text, 0..text.len());
    if !compose {
        push_checked(text, span, place, cx, out);
        return;
    }
    match interpolate(text, &|v| cx.compose_var(v)) {
        Ok(image) => out.push(ImageSite {
            span,
            verbatim: image == text,
            image,
            place: place.to_string(),
        }),
        Err(unresolved) => cx.not_checked(
            span,
            format!("{place}: variable `{}` has no value", unresolved.0),
        ),
    }
}

fn dockerfile_sites(file: &Dockerfile, cx: &mut Context, out: &mut Vec<ImageSite>) {
    for (index, stage) in file.stages.iter().enumerate() {
        let place = match &stage.name {
            Some(name) => format!("base image of stage `{name}`"),
            None if index + 1 == file.stages.len() => "base image of the final stage".to_string(),
            None => format!("base image of stage {index}"),
        };
        if stage.base_stage.is_some() || stage.is_scratch() {
            continue;
        }
        match &stage.resolved {
            Some(image) => out.push(ImageSite {
                span: stage.image.span,
                verbatim: *image == stage.image.text,
                image: image.clone(),
                place,
            }),
            None => cx.not_checked(
                stage.image.span,
                format!("{place} uses an `ARG` with no default"),
            ),
        }

        for idx in stage.body.clone() {
            let ins = &file.instructions[idx];
            let lookup = |var: &str| file.lookup_in_stage(index, idx, var);
            for flag in &ins.flags {
                let (Some(value), Some(value_span)) = (&flag.value, flag.value_span) else {
                    continue;
                };
                // `COPY --from=<image>` and `RUN --mount=…,from=<image>`.
                let (reference, span) = match (ins.keyword.as_str(), flag.name.as_str()) {
                    ("COPY" | "ADD", "from") => (value.as_str(), value_span),
                    ("RUN", "mount") => {
                        let mut offset = 0;
                        let mut found = None;
                        for part in value.split(',') {
                            if let Some(v) = part.strip_prefix("from=") {
                                found = Some((v, value_span.sub(offset + 5, v.len())));
                            }
                            offset += part.len() + 1;
                        }
                        match found {
                            Some(f) => f,
                            None => continue,
                        }
                    }
                    _ => continue,
                };
                let Some(resolved) = dockerfile::substitute(reference, &lookup) else {
                    cx.not_checked(span, "image of `--from` uses an `ARG` with no value");
                    continue;
                };
                if file.stage_ref(index + 1, &resolved).is_some() || resolved == "scratch" {
                    continue;
                }
                out.push(ImageSite {
                    span,
                    verbatim: resolved == reference,
                    image: resolved,
                    place: format!("image of `{} --{}`", ins.keyword, flag.name),
                });
            }
        }
    }
}
