//! A Markdown summary for `$GITHUB_STEP_SUMMARY`: counts per level and per rule, then the most
//! severe findings with links. Useful where code scanning is not enabled.
//!
//! GitHub accepts at most 1 MiB of summary per step; the summary stays below 512 KiB (the
//! findings table stops early and says how many it left out; past the byte cap the text ends
//! with a "truncated" line).
//!
//! Every value that comes from a scanned file (paths, messages) is escaped for GitHub
//! Markdown: it shows as the text it is and never becomes code, a link, an image, a mention,
//! math, HTML or a table break. Links are built only from paths and line numbers.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::RenderContext;
use crate::finding::{Finding, Level, Report};

/// The first line: whether the run passes, on which threshold, and why.
fn verdict(report: &Report, threshold: Option<Level>) -> String {
    let new = if report.compared { " new" } else { "" };
    let Some(threshold) = threshold else {
        let n = report.findings.len();
        return format!(
            "### ✅ Portcullis passed: `fail-on` is `never` ({n}{new} {})\n\n",
            plural("finding", n)
        );
    };
    let at_or_above = report
        .findings
        .iter()
        .filter(|f| f.level >= threshold)
        .count();
    if at_or_above == 0 {
        format!(
            "### ✅ Portcullis passed: no{new} finding at or above `{}`\n\n",
            threshold.as_str()
        )
    } else {
        format!(
            "### ❌ Portcullis failed: {at_or_above}{new} {} at or above `{}`\n\n",
            plural("finding", at_or_above),
            threshold.as_str()
        )
    }
}

/// Findings listed in the table; the rest are counted.
const MAX_ROWS: usize = 100;
/// Bytes of summary at most: below 512 KiB with room for the closing line and for masking,
/// far below GitHub's 1 MiB per step.
const MAX_BYTES: usize = 480 * 1024;
/// Characters of one value (a message, a path) shown in a cell.
const MAX_CELL_CHARS: usize = 1_000;

pub fn render(report: &Report, cx: &RenderContext, out: &mut dyn Write) -> io::Result<()> {
    let mut text = verdict(report, cx.threshold);
    let total = report.findings.len();
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
    let counted = if report.compared {
        format!("**{}** new in this change", counts.join(", "))
    } else {
        format!("**{}**", counts.join(", "))
    };
    let mut extras = vec![counted, format!("{} files scanned", report.files_scanned)];
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
    if let Some(uri) = &cx.results_uri {
        text.push_str(&format!(
            "Every finding, new and existing, is in [code scanning]({uri}).\n\n"
        ));
    }
    if !report.added_suppressions.is_empty() || !report.changed_configuration.is_empty() {
        text.push_str("#### Suppressions this change adds\n\n");
        for path in report.changed_configuration.iter().take(MAX_ROWS) {
            text.push_str(&format!("- configuration changed: {}\n", cell(path)));
        }
        for s in report.added_suppressions.iter().take(MAX_ROWS) {
            let how = if s.by_comment {
                "ignore comment"
            } else {
                "configuration `[[ignore]]`"
            };
            text.push_str(&format!(
                "- `{}` at {}:{} ({how})\n",
                s.finding.rule.id,
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
        return out.write_all(capped(text).as_bytes());
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

    // The findings table lists what `--min-level` shows; the counts above cover every finding.
    let mut ordered: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.level >= cx.min_level)
        .map(|f| &**f)
        .collect();
    let below = total - ordered.len();
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
    if listed + below < total {
        text.push_str(&format!(
            "\n{} more not listed; the full report is in the SARIF or JSON output.\n",
            total - below - listed
        ));
    }
    if below > 0 {
        text.push_str(&format!(
            "\n{below} {} below `{}` not listed (`min-level`); the SARIF output has them.\n",
            plural("finding", below),
            cx.min_level.as_str()
        ));
    }
    out.write_all(capped(text).as_bytes())
}

/// `text` cut at a line boundary below the byte cap, with a line saying so.
fn capped(mut text: String) -> String {
    if text.len() <= MAX_BYTES {
        return text;
    }
    let mut cut = MAX_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = text[..cut].rfind('\n').map_or(0, |at| at + 1);
    text.truncate(cut);
    text.push_str(
        "\n_Summary truncated at 480 KiB; the full report is in the SARIF or JSON output._\n",
    );
    text
}

/// A value from a scanned file, safe anywhere in GitHub Markdown, a table cell included: one
/// line, at most `MAX_CELL_CHARS` characters, its Markdown punctuation backslash-escaped, HTML
/// characters as entities, and the patterns GitHub turns into links or mentions on its own
/// (`://`, `www.`, `@name`) broken so they stay text.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    let mut shown = 0;
    while let Some(c) = chars.next() {
        if shown == MAX_CELL_CHARS {
            out.push('…');
            break;
        }
        shown += 1;
        match c {
            '\r' | '\n' | '\u{2028}' | '\u{2029}' => out.push(' '),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '|' | '~' | '!' | '$' | '#' | '^'
            | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            // `@name` is a mention, `a@b.c` a mail link: a word joiner keeps the text.
            '@' => out.push_str("@\u{2060}"),
            // `https://…` and `www.…` are linked without brackets.
            ':' if chars.peek() == Some(&'/') => out.push_str("&#58;"),
            '.' if out.len() >= 3
                && out.as_bytes()[out.len() - 3..].eq_ignore_ascii_case(b"www") =>
            {
                out.push_str("&#46;")
            }
            c if c.is_control() => out.push_str(&format!("\\\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
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

    #[test]
    fn cells_stay_text() {
        assert_eq!(
            cell("`x` [a](https://e.example) ![i](y) @octocat www.e.example $x$"),
            "\\`x\\` \\[a\\]\\(https&#58;//e.example\\) \\!\\[i\\]\\(y\\) @\u{2060}octocat www&#46;e.example \\$x\\$"
        );
        assert_eq!(cell("a\x1bb"), "a\\\\u{1b}b");
        let long = "x".repeat(5_000);
        assert_eq!(cell(&long).chars().count(), MAX_CELL_CHARS + 1);
    }

    /// 30,000 findings with long hostile paths and messages, and as many added suppressions.
    #[test]
    fn thirty_thousand_findings_stay_below_the_cap() {
        let rule = crate::rules::by_id("hardcoded-secret").unwrap();
        let finding = |i: usize| Finding {
            rule,
            level: Level::Error,
            location: crate::finding::Location {
                path: format!("dir{i}/{}`|[x](y)@team.Dockerfile", "p".repeat(3_000)),
                start: crate::source::LineCol { line: 1, column: 1 },
                end: crate::source::LineCol { line: 1, column: 2 },
            },
            message: format!("{i} {}", "<b>`m`</b> | [l](https://e.example) ".repeat(100)),
            help: None,
            related: Vec::new(),
            snippet: Default::default(),
            fingerprint: String::new(),
            line_hash: String::new(),
            fix: None,
        };
        let findings: Vec<Box<Finding>> = (0..30_000).map(|i| Box::new(finding(i))).collect();
        let report = Report {
            added_suppressions: findings
                .iter()
                .map(|f| crate::finding::Suppression {
                    finding: (**f).clone(),
                    by_comment: true,
                })
                .collect(),
            changed_configuration: (0..30_000)
                .map(|i| format!("{i}{}", "c".repeat(2_000)))
                .collect(),
            findings,
            ..Report::default()
        };
        let level_of = |r: &crate::descriptor::RuleDescriptor| r.level;
        let cx = RenderContext {
            rules: &[],
            level_of: &level_of,
            color: false,
            quiet: false,
            root_uri: None,
            category: None,
            blob_uri: Some("https://github.com/o/r/blob/abc".to_string()),
            threshold: Some(Level::Error),
            results_uri: None,
            verbose: false,
            min_level: Level::Note,
        };
        let mut out = Vec::new();
        render(&report, &cx, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.len() < 512 * 1024, "{} bytes", text.len());
        assert!(
            text.starts_with(
                "### ❌ Portcullis failed: 30000 findings at or above `error`\n\n**30000 errors, 0 warnings, 0 notes**"
            ),
            "{}",
            &text[..200]
        );
        assert!(
            text.ends_with("output._\n"),
            "{}",
            &text[text.len() - 300..]
        );
        assert!(!text.contains("](y)") && !text.contains("<b>") && !text.contains("@team"));
    }

    #[test]
    fn capped_below_the_limit_at_a_line() {
        let text = "line of text\n".repeat(100_000);
        let out = capped(text);
        assert!(out.len() < 512 * 1024);
        assert!(out.ends_with("output._\n"));
        assert!(out.contains("line of text\n\n_Summary truncated"));
    }
}
