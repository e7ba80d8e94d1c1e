//! A Markdown summary for `$GITHUB_STEP_SUMMARY`: counts per level and per rule, then the most
//! severe findings with links. Useful where code scanning is not enabled.
//!
//! GitHub accepts at most 1 MiB of summary per step; the findings table stops well before that
//! and says how many it left out.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::RenderContext;
use crate::finding::{Finding, Level, Report};

/// Findings listed in the table; the rest are counted.
const MAX_ROWS: usize = 100;
/// Bytes of summary at most, far below GitHub's 1 MiB per step.
const MAX_BYTES: usize = 512 * 1024;

pub fn render(report: &Report, cx: &RenderContext, out: &mut dyn Write) -> io::Result<()> {
    let mut text = String::new();
    let total = report.findings.len();
    if total == 0 {
        text.push_str("### Portcullis: no findings\n\n");
    } else {
        let counts: Vec<String> = [Level::Error, Level::Warning, Level::Note]
            .into_iter()
            .map(|l| {
                format!(
                    "{} {}",
                    report.count(l),
                    plural(l.as_str(), report.count(l))
                )
            })
            .collect();
        text.push_str(&format!("### Portcullis: {}\n\n", counts.join(", ")));
    }
    let mut extras = vec![format!("{} files scanned", report.files_scanned)];
    for (n, what) in [
        (report.suppressed, "suppressed"),
        (report.baselined, "in the baseline"),
        (report.outside_changes, "already in the base"),
    ] {
        if n > 0 {
            extras.push(format!("{n} {what}"));
        }
    }
    text.push_str(&extras.join(" · "));
    text.push_str("\n\n");
    if !report.added_suppressions.is_empty() || !report.changed_configuration.is_empty() {
        text.push_str("#### Suppressions this change adds\n\n");
        for path in &report.changed_configuration {
            text.push_str(&format!("- configuration changed: {}\n", cell(path)));
        }
        for s in report.added_suppressions.iter().take(MAX_ROWS) {
            let how = if s.by_comment {
                "ignore comment"
            } else {
                "configuration `[[ignore]]`"
            };
            text.push_str(&format!(
                "- {} at {}:{} ({how})\n",
                cell(s.finding.rule.id),
                cell(&s.finding.location.path),
                s.finding.location.start.line
            ));
        }
        if report.added_suppressions.len() > MAX_ROWS {
            text.push_str(&format!(
                "- and {} more\n",
                report.added_suppressions.len() - MAX_ROWS
            ));
        }
        text.push('\n');
    }
    if total == 0 {
        return out.write_all(text.as_bytes());
    }

    let mut per_rule: BTreeMap<(std::cmp::Reverse<Level>, &str), usize> = BTreeMap::new();
    for f in &report.findings {
        *per_rule
            .entry((std::cmp::Reverse(f.level), f.rule.id))
            .or_default() += 1;
    }
    text.push_str("| rule | level | findings |\n|---|---|---:|\n");
    for ((level, id), n) in &per_rule {
        text.push_str(&format!(
            "| [`{id}`]({}) | {} | {n} |\n",
            super::rule_doc_uri(id),
            level.0.as_str()
        ));
    }

    let mut ordered: Vec<&Finding> = report.findings.iter().collect();
    ordered.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.sort_key().cmp(&b.sort_key()))
    });
    text.push_str("\n| level | location | rule | message |\n|---|---|---|---|\n");
    let mut listed = 0;
    for f in &ordered {
        if listed == MAX_ROWS || text.len() > MAX_BYTES {
            break;
        }
        let place = format!("{}:{}", f.location.path, f.location.start.line);
        let place = match &cx.blob_uri {
            Some(base) => format!(
                "[{}]({base}/{}#L{})",
                cell(&place),
                super::sarif::encode_uri(&f.location.path),
                f.location.start.line
            ),
            None => cell(&place),
        };
        text.push_str(&format!(
            "| {} | {place} | `{}` | {} |\n",
            f.level.as_str(),
            f.rule.id,
            cell(&f.message)
        ));
        listed += 1;
    }
    if listed < total {
        text.push_str(&format!(
            "\n{} more not listed; the full report is in the SARIF or JSON output.\n",
            total - listed
        ));
    }
    out.write_all(text.as_bytes())
}

/// Make text safe inside a Markdown table cell: no line breaks, pipes or raw HTML.
fn cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

fn plural(word: &str, n: usize) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b\n<c>"), "a\\|b &lt;c&gt;");
    }
}
