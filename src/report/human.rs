//! Terminal output in the style of cargo and ruff: level and rule id, location, snippet with
//! the span underlined, help, and a summary.

use std::io::{self, Write};

use super::RenderContext;
use crate::finding::{Level, Report};
use crate::sink::escape_controls as shown;
use crate::source::window;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn level(&self, level: Level, text: &str) -> String {
        let code = match level {
            Level::Error => "1;31",
            Level::Warning => "1;33",
            Level::Note => "1;36",
        };
        self.wrap(code, text)
    }

    fn frame(&self, text: &str) -> String {
        self.wrap("1;34", text)
    }

    fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }
}

/// Characters of a snippet line shown at most, and how many of them before the span.
const WINDOW: usize = 160;
const WINDOW_BEFORE: usize = 40;

pub fn render(report: &Report, cx: &RenderContext, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint { on: cx.color };
    let mut condensed = 0;
    for finding in &report.findings {
        let level = finding.level;
        // A note is one line unless `--verbose`: notes are many and rarely urgent.
        if level == Level::Note && !cx.verbose {
            condensed += 1;
            writeln!(
                out,
                "{}{} {}:{}:{}: {}",
                paint.level(level, &format!("{}[{}]", level.as_str(), finding.rule.id)),
                paint.bold(":"),
                shown(&finding.location.path),
                finding.location.start.line,
                finding.location.start.column,
                shown(&finding.message)
            )?;
            continue;
        }
        writeln!(
            out,
            "{}{} {}",
            paint.level(level, &format!("{}[{}]", level.as_str(), finding.rule.id)),
            paint.bold(":"),
            paint.bold(&shown(&finding.message))
        )?;
        let snippet = &finding.snippet;
        let last_line = snippet.first_line + snippet.lines.len().saturating_sub(1) as u32;
        let width = last_line.max(1).to_string().len();
        let pad = " ".repeat(width);
        writeln!(
            out,
            "{pad}{} {}:{}:{}",
            paint.frame("-->"),
            shown(&finding.location.path),
            finding.location.start.line,
            finding.location.start.column
        )?;
        if !snippet.lines.is_empty() {
            writeln!(out, "{pad} {}", paint.frame("|"))?;
            // A long line (minified, a wall of tokens) is shown around the span only: the
            // output stays proportional to the findings, not to findings × line length.
            let first_start = snippet.underline.0.saturating_sub(1) as usize;
            let skip = first_start.saturating_sub(WINDOW_BEFORE);
            for (i, line) in snippet.lines.iter().enumerate() {
                let (line, offset) = window(line, skip, WINDOW);
                let line = line.as_ref();
                let number = snippet.first_line + i as u32;
                writeln!(
                    out,
                    "{} {} {}",
                    paint.frame(&format!("{number:>width$}")),
                    paint.frame("|"),
                    // Control characters in a scanned line are shown, never sent to the terminal.
                    shown(&line.replace('\t', "    "))
                )?;
                if i == 0 {
                    let (from, to) = snippet.underline;
                    let from = (from as usize - skip + offset) as u32;
                    let to = (to as usize)
                        .saturating_sub(skip)
                        .saturating_add(offset)
                        .min(line.chars().count() + 1) as u32;
                    let to = to.max(from + 1);
                    let prefix: String = line
                        .chars()
                        .take(from.saturating_sub(1) as usize)
                        .map(|c| match c {
                            '\t' => "    ".to_string(),
                            c if c.is_control() => " ".repeat(shown(&c.to_string()).len()),
                            _ => " ".to_string(),
                        })
                        .collect();
                    let marks = "^".repeat((to - from).max(1) as usize);
                    writeln!(
                        out,
                        "{pad} {} {prefix}{}",
                        paint.frame("|"),
                        paint.level(level, &marks)
                    )?;
                }
            }
        }
        for related in &finding.related {
            writeln!(
                out,
                "{pad} {} {}:{}:{}: {}",
                paint.frame("="),
                shown(&related.location.path),
                related.location.start.line,
                related.location.start.column,
                shown(&related.message)
            )?;
        }
        if let Some(help) = &finding.help {
            writeln!(
                out,
                "{pad} {} {} {}",
                paint.frame("="),
                paint.bold("help:"),
                shown(help)
            )?;
        }
        if let Some(fix) = &finding.fix {
            writeln!(
                out,
                "{pad} {} {} {}",
                paint.frame("="),
                paint.bold("fix:"),
                shown(&fix.description)
            )?;
        }
        writeln!(out)?;
    }
    if cx.quiet {
        return Ok(());
    }
    let total = report.findings.len();
    let files = plural(report.files_scanned, "file");
    let mut extras = vec![format!("{files} scanned")];
    if report.suppressed > 0 {
        extras.push(format!("{} suppressed", report.suppressed));
    }
    if report.baselined > 0 {
        extras.push(format!("{} in the baseline", report.baselined));
    }
    if report.outside_changes > 0 {
        extras.push(format!("{} already in the base", report.outside_changes));
    }
    if !report.added_suppressions.is_empty() {
        extras.push(format!(
            "{} added by this change",
            plural(report.added_suppressions.len(), "suppression")
        ));
    }
    if !report.changed_configuration.is_empty() {
        extras.push("configuration changed".to_string());
    }
    if report.not_checked > 0 {
        extras.push(format!(
            "{} not checked (unresolved variables)",
            plural(report.not_checked, "reference")
        ));
    }
    if report.below_min_level > 0 {
        extras.push(format!(
            "{} below --min-level not shown",
            report.below_min_level
        ));
    }
    if condensed > 0 {
        extras.push("--verbose shows notes in full".to_string());
    }
    if total == 0 {
        writeln!(
            out,
            "{} ({}).",
            paint.bold("No findings"),
            extras.join(", ")
        )?;
    } else {
        let counts: Vec<String> = [Level::Error, Level::Warning, Level::Note]
            .into_iter()
            .filter_map(|l| {
                let n = report.count(l);
                (n > 0).then(|| paint.level(l, &plural(n, l.as_str())))
            })
            .collect();
        writeln!(
            out,
            "{} {}: {} ({}).",
            paint.bold("Found"),
            paint.bold(&plural(total, "finding")),
            counts.join(", "),
            extras.join(", ")
        )?;
    }
    Ok(())
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod window_tests {
    use crate::source::window;

    #[test]
    fn long_lines_are_shown_around_the_span() {
        assert_eq!(window("short line", 0, super::WINDOW).0, "short line");
        let long = "x".repeat(100) + &"y".repeat(300);
        let (shown, offset) = window(&long, 60, super::WINDOW);
        assert_eq!(offset, 1);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().count(), super::WINDOW + 2);
        let zs = "z".repeat(200);
        let (shown, offset) = window(&zs, 0, super::WINDOW);
        assert_eq!((offset, shown.chars().count()), (0, super::WINDOW + 1));
    }
}
