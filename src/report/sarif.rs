//! SARIF 2.1.0, the subset GitHub code scanning reads, written directly with serde_json.
//!
//! Own serialisation rather than `serde-sarif`: the output is a few dozen fields, and writing
//! them here keeps every field GitHub reads visible in one function, with no generated builder
//! types or build-time code generation.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{INFORMATION_URI, RenderContext, VERSION, rule_doc_uri};
use crate::descriptor::RuleDescriptor;
use crate::finding::{Finding, Location, Report};
use crate::rules::meta::parse_error::PARSE_ERROR;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Stand-in for the results while the rest of the document is serialized.
const RESULTS_MARK: &str = "\u{0}portcullis results\u{0}";

/// Write the SARIF document, streaming its results one at a time: memory does not grow with a
/// second copy of the findings as a JSON tree.
pub fn render(report: &Report, cx: &RenderContext, out: &mut dyn Write) -> io::Result<()> {
    let run = Run::new(report, cx);
    let text = serde_json::to_string_pretty(&run.document(json!(RESULTS_MARK)))?;
    let mark = serde_json::to_string(RESULTS_MARK)?;
    let at = text.find(&mark).expect("the mark is in the document");
    out.write_all(&text.as_bytes()[..at])?;
    out.write_all(b"[")?;
    super::write_each(out, &run.kept, |out, n, &i| {
        out.write_all(if n == 0 {
            b"\n        "
        } else {
            b",\n        "
        })?;
        serde_json::to_writer(&mut *out, &run.result(run.findings[i]))?;
        Ok(())
    })?;
    out.write_all(if run.kept.is_empty() {
        b"]"
    } else {
        b"\n      ]"
    })?;
    out.write_all(&text.as_bytes()[at + mark.len()..])?;
    writeln!(out)
}

/// The SARIF document as a JSON tree (for tests and tools that want one).
pub fn sarif(report: &Report, cx: &RenderContext) -> Value {
    let run = Run::new(report, cx);
    let results: Vec<Value> = run
        .kept
        .iter()
        .map(|&i| run.result(run.findings[i]))
        .collect();
    run.document(Value::Array(results))
}

/// Every finding SARIF carries: the reported ones, and those a comparison with a base left out
/// of the gate.
fn reported(report: &Report) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .chain(&report.unchanged)
        .map(|f| &**f)
        .collect()
}

/// One SARIF run: its rules, the findings it carries, and how each becomes a result.
struct Run<'a> {
    report: &'a Report,
    cx: &'a RenderContext<'a>,
    rules: Vec<&'static RuleDescriptor>,
    findings: Vec<&'a Finding>,
    /// Indexes into `findings` of the results written, within `MAX_RESULTS`.
    kept: Vec<usize>,
    unchanged: std::collections::HashSet<&'a str>,
}

impl<'a> Run<'a> {
    fn new(report: &'a Report, cx: &'a RenderContext<'a>) -> Run<'a> {
        // Every enabled rule is listed, plus any rule that reported (for `ruleIndex`).
        let mut rules: Vec<&'static RuleDescriptor> = cx.rules.to_vec();
        let findings = reported(report);
        for f in findings.iter() {
            if !rules.iter().any(|r| r.id == f.rule.id) {
                rules.push(f.rule);
            }
        }
        let kept = within_limit(&findings);
        let unchanged = report
            .unchanged
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        Run {
            report,
            cx,
            rules,
            findings,
            kept,
            unchanged,
        }
    }

    fn result(&self, f: &Finding) -> Value {
        let index = self
            .rules
            .iter()
            .position(|r| r.id == f.rule.id)
            .expect("listed in new");
        let mut value = result(f, index);
        if self.report.compared {
            // Which findings the change brings; the others stay open alerts.
            value["baselineState"] = json!(if self.unchanged.contains(f.fingerprint.as_str()) {
                "unchanged"
            } else {
                "new"
            });
        }
        value
    }

    /// The document with `results` as the run's results.
    fn document(&self, results: Value) -> Value {
        let (report, cx) = (self.report, self.cx);
        let descriptors: Vec<Value> = self.rules.iter().map(|r| descriptor(r, cx)).collect();
        let mut notifications: Vec<Value> = report
            .findings
            .iter()
            .filter(|f| f.rule.id == PARSE_ERROR.id)
            .map(|f| {
                json!({
                    "level": "warning",
                    "message": {"text": plain_text(&format!("{}: {}", f.location.path, f.message))},
                    "locations": [location(&f.location)],
                    "descriptor": {"id": PARSE_ERROR.id},
                })
            })
            .collect();
        let left_out = self.findings.len() - self.kept.len();
        if left_out > 0 {
            notifications.push(json!({
                "level": "warning",
                "message": {"text": limit_message(left_out)},
            }));
        }
        notifications.extend(report.notifications.iter().map(|n| {
            json!({
                "level": n.level.as_str(),
                "message": {"text": plain_text(&n.message)},
            })
        }));

        let mut run = json!({
            "tool": {
                "driver": {
                    "name": "Portcullis",
                    "version": VERSION,
                    "semanticVersion": VERSION,
                    "informationUri": INFORMATION_URI,
                    "rules": descriptors,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
        });
        if let Some(root) = &cx.root_uri {
            run["originalUriBaseIds"] = json!({"%SRCROOT%": {"uri": root}});
        }
        if let Some(category) = &cx.category {
            let id = if category.ends_with('/') {
                category.clone()
            } else {
                format!("{category}/")
            };
            run["automationDetails"] = json!({"id": id});
        }
        json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [run],
        })
    }
}

/// GitHub rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;

/// How many findings a SARIF run leaves out to stay within `MAX_RESULTS`.
pub fn left_out(report: &Report) -> usize {
    (report.findings.len() + report.unchanged.len()).saturating_sub(MAX_RESULTS)
}

pub fn limit_message(left_out: usize) -> String {
    format!(
        "{left_out} results left out: GitHub accepts at most {MAX_RESULTS} per run, so the most \
         severe were kept (by level, then security severity); the JSON output has them all"
    )
}

/// The findings a run reports: all of them, or the `MAX_RESULTS` most severe in their order.
fn within_limit(findings: &[&Finding]) -> Vec<usize> {
    if findings.len() <= MAX_RESULTS {
        return (0..findings.len()).collect();
    }
    let severity = |f: &Finding| {
        let score = f
            .rule
            .security_severity
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
        (f.level, (score * 10.0) as u32)
    };
    let mut order: Vec<usize> = (0..findings.len()).collect();
    // Stable: among equals the earlier finding (by path and line) stays.
    order.sort_by_key(|&i| std::cmp::Reverse(severity(findings[i])));
    order.truncate(MAX_RESULTS);
    order.sort_unstable();
    order
}

fn descriptor(rule: &RuleDescriptor, cx: &RenderContext) -> Value {
    let docs = rule.docs();
    let mut properties = json!({
        "tags": rule.tags,
        "precision": "high",
    });
    if let Some(score) = rule.security_severity {
        properties["security-severity"] = json!(score);
    }
    json!({
        "id": rule.id,
        "name": pascal_case(rule.id),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full_description(&docs)},
        "help": {"text": docs, "markdown": docs},
        "helpUri": rule_doc_uri(rule.id),
        "defaultConfiguration": {"level": (cx.level_of)(rule).as_str()},
        "properties": properties,
    })
}

/// A message as SARIF plain text. Viewers (GitHub's among them) turn `[text](n)` in a message
/// into a link to related location `n`; text quoted from a scanned file must not make one, so
/// a `](` that is not Portcullis' own link is escaped as SARIF says (`\]`). Messages never carry
/// Markdown: the only `markdown` fields are the rules' own help.
pub fn plain_text(text: &str) -> String {
    text.replace("](", "\\](")
}

fn result(f: &Finding, rule_index: usize) -> Value {
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nHelp: ");
        message.push_str(help);
    }
    let mut value = json!({
        "ruleId": f.rule.id,
        "ruleIndex": rule_index,
        "level": f.level.as_str(),
        "message": {"text": plain_text(&message)},
        "locations": [location(&f.location)],
        "partialFingerprints": {
            "portcullis/v1": f.fingerprint,
        },
    });
    if !f.line_hash.is_empty() {
        value["partialFingerprints"]["primaryLocationLineHash"] = json!(f.line_hash);
    }
    if !f.related.is_empty() {
        value["relatedLocations"] = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let mut loc = location(&r.location);
                loc["id"] = json!(i + 1);
                loc["message"] = json!({"text": plain_text(&r.message)});
                loc
            })
            .collect();
    }
    if let Some(fix) = &f.fix {
        value["fixes"] = json!([{
            "description": {"text": plain_text(&fix.description)},
            "artifactChanges": [{
                "artifactLocation": artifact_location(&f.location.path),
                "replacements": fix.replacements.iter().map(|r| json!({
                    "deletedRegion": {
                        "startLine": r.start.line,
                        "startColumn": r.start.column,
                        "endLine": r.end.line,
                        "endColumn": r.end.column,
                    },
                    "insertedContent": {"text": r.text},
                })).collect::<Vec<_>>(),
            }],
        }]);
    }
    value
}

fn location(loc: &Location) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": artifact_location(&loc.path),
            "region": {
                "startLine": loc.start.line,
                "startColumn": loc.start.column,
                "endLine": loc.end.line,
                "endColumn": loc.end.column,
            }
        }
    })
}

/// The first paragraph of "What it does", within GitHub's 1,024 characters.
fn full_description(docs: &str) -> String {
    let body = docs
        .split("## What it does")
        .nth(1)
        .unwrap_or(docs)
        .trim_start();
    let paragraph = body.split("\n\n").next().unwrap_or(body);
    let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= 1024 {
        text
    } else {
        text.chars().take(1023).collect::<String>() + "…"
    }
}

fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Percent-encode a relative path for a URI reference (slashes kept).
/// Where a file is: relative to `%SRCROOT%` (the working folder) when it is below it, as an
/// absolute `file://` URI otherwise (a scan root outside the working folder).
fn artifact_location(path: &str) -> Value {
    if path.starts_with('/') {
        json!({"uri": format!("file://{}", encode_uri(path))})
    } else if path.get(1..3) == Some(":/") {
        // A Windows drive: `C:/x` is `file:///C:/x`.
        json!({"uri": format!("file:///{}{}", &path[..2], encode_uri(&path[2..]))})
    } else {
        json!({"uri": encode_uri(path), "uriBaseId": "%SRCROOT%"})
    }
}

pub fn encode_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A folder as an absolute `file://` URI ending in `/`.
pub fn folder_uri(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut uri = String::from("file://");
    if !text.starts_with('/') {
        uri.push('/');
    }
    uri.push_str(&encode_uri(&text));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(pascal_case("latest-tag"), "LatestTag");
        assert_eq!(encode_uri("a dir/Dockerfile"), "a%20dir/Dockerfile");
        assert_eq!(
            folder_uri(std::path::Path::new("/w/repo")),
            "file:///w/repo/"
        );
    }
}
