//! How containers run: compose services and workflow job containers.

pub mod privileged;

use crate::parse::yaml::Node;

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
