//! The organization report: a Markdown summary for the workflow's step summary, one
//! self-contained HTML page (no external assets: data, style and script inline, under a
//! content security policy that forbids every fetch), and the merged JSON.
//!
//! Every value comes from scanned repositories and is escaped for where it goes: Markdown cells
//! through `summary::cell`, HTML through `html_text`, the page's data as JSON with `<`, `>`,
//! `&` and line separators escaped so no value can close the script element. The page builds
//! its rows with `textContent`, never as markup.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::finding::Level;
use crate::org::results::{Merged, RepositoryResult, Status};
use crate::report::summary::cell;

/// Rows of each Markdown table.
const TOP: usize = 10;
/// New findings listed in the Markdown summary.
const NEW_LISTED: usize = 50;
/// GitHub's step summary holds at most 1 MiB; the org summary stays well below.
const MAX_MARKDOWN_BYTES: usize = 480 * 1024;

/// Findings, repositories affected, per rule: most findings first.
fn rules(merged: &Merged) -> Vec<(&str, usize, usize)> {
    let mut by_rule: BTreeMap<&str, (usize, Vec<&str>)> = BTreeMap::new();
    for (repository, finding) in merged.findings() {
        let entry = by_rule.entry(finding.rule.as_str()).or_default();
        entry.0 += 1;
        if entry.1.last() != Some(&repository.repository.as_str()) {
            entry.1.push(&repository.repository);
        }
    }
    let mut out: Vec<_> = by_rule
        .into_iter()
        .map(|(rule, (findings, repositories))| (rule, findings, repositories.len()))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out
}

/// Checked repositories with findings, worst first (errors, then warnings, then notes).
fn worst(merged: &Merged) -> Vec<&RepositoryResult> {
    let mut out: Vec<&RepositoryResult> = merged
        .repositories
        .iter()
        .filter(|r| !r.findings.is_empty())
        .collect();
    let key = |r: &RepositoryResult| {
        (
            r.count(Level::Error),
            r.count(Level::Warning),
            r.count(Level::Note),
        )
    };
    out.sort_by(|a, b| key(b).cmp(&key(a)).then(a.repository.cmp(&b.repository)));
    out
}

fn new_count(merged: &Merged) -> usize {
    merged.findings().filter(|(_, f)| f.new).count()
}

fn not_checked(merged: &Merged) -> impl Iterator<Item = &RepositoryResult> {
    merged
        .repositories
        .iter()
        .filter(|r| r.status == Status::NotChecked)
}

/// Files that could not be fetched, over all checked repositories.
fn gaps(merged: &Merged) -> usize {
    merged
        .repositories
        .iter()
        .map(|r| r.not_fetched.len())
        .sum()
}

fn totals_line(merged: &Merged) -> String {
    let files: usize = merged.repositories.iter().map(|r| r.files).sum();
    let findings = merged.findings().count();
    format!(
        "{} of {} repositories checked, {} files, {} findings: {} errors, {} warnings, {} notes",
        merged.checked(),
        merged.repositories.len(),
        files,
        findings,
        merged.count(Level::Error),
        merged.count(Level::Warning),
        merged.count(Level::Note),
    )
}

/// The Markdown summary; `page` links to where the HTML report can be read, when known.
pub fn markdown(merged: &Merged, page: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let mut text = String::new();
    text.push_str("## Portcullis: organization report\n\n");
    text.push_str(&format!("**{}**", totals_line(merged)));
    if merged.compared {
        text.push_str(&format!(
            "; **{} new** since the previous report",
            new_count(merged)
        ));
    }
    text.push_str(".\n\n");
    let missing = not_checked(merged).count();
    if missing > 0 || gaps(merged) > 0 {
        text.push_str(&format!(
            "> [!WARNING]\n> {missing} repositories were not checked and {} files could not be fetched: their findings are unknown (listed below).\n\n",
            gaps(merged)
        ));
    }
    if let Some(page) = page.filter(|p| is_plain_url(p)) {
        text.push_str(&format!(
            "Every finding, with filters, in the HTML page of the [run's `portcullis-org-report` artifact]({page}).\n\n"
        ));
    }
    let rules = rules(merged);
    if !rules.is_empty() {
        text.push_str("### Top rules\n\n| rule | findings | repositories |\n|---|---:|---:|\n");
        for (rule, findings, repositories) in rules.iter().take(TOP) {
            text.push_str(&format!(
                "| [{}]({}) | {findings} | {repositories} |\n",
                cell(rule),
                crate::report::rule_doc_uri(rule)
            ));
        }
        text.push('\n');
    }
    let worst = worst(merged);
    if !worst.is_empty() {
        text.push_str(
            "### Most exposed repositories\n\n| repository | errors | warnings | notes |",
        );
        text.push_str(if merged.compared {
            " new |\n|---|---:|---:|---:|---:|\n"
        } else {
            "\n|---|---:|---:|---:|\n"
        });
        for r in worst.iter().take(TOP) {
            text.push_str(&format!(
                "| {} | {} | {} | {} |",
                cell(&r.repository),
                r.count(Level::Error),
                r.count(Level::Warning),
                r.count(Level::Note)
            ));
            if merged.compared {
                text.push_str(&format!(
                    " {} |",
                    r.findings.iter().filter(|f| f.new).count()
                ));
            }
            text.push('\n');
        }
        text.push('\n');
    }
    if merged.compared {
        let new: Vec<_> = merged.findings().filter(|(_, f)| f.new).collect();
        if !new.is_empty() {
            text.push_str("### New since the previous report\n\n| level | repository | file | rule | message |\n|---|---|---|---|---|\n");
            for (r, f) in new.iter().take(NEW_LISTED) {
                text.push_str(&format!(
                    "| {} | {} | {}:{} | {} | {} |\n",
                    cell(&f.level),
                    cell(&r.repository),
                    cell(&f.path),
                    f.line,
                    cell(&f.rule),
                    cell(&f.message)
                ));
            }
            if new.len() > NEW_LISTED {
                text.push_str(&format!(
                    "\n{} more in the HTML and JSON reports.\n",
                    new.len() - NEW_LISTED
                ));
            }
            text.push('\n');
        }
    }
    if missing > 0 || gaps(merged) > 0 {
        text.push_str("### Not checked\n\n| repository | what | why |\n|---|---|---|\n");
        for r in not_checked(merged) {
            text.push_str(&format!(
                "| {} | the repository | {} |\n",
                cell(&r.repository),
                cell(r.reason.as_deref().unwrap_or(""))
            ));
        }
        for r in &merged.repositories {
            for gap in &r.not_fetched {
                text.push_str(&format!(
                    "| {} | {} | {} |\n",
                    cell(&r.repository),
                    cell(&gap.path),
                    cell(&gap.reason)
                ));
            }
        }
        text.push('\n');
    }
    if text.len() > MAX_MARKDOWN_BYTES {
        let mut cut = MAX_MARKDOWN_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let cut = text[..cut].rfind('\n').map_or(0, |at| at + 1);
        text.truncate(cut);
        text.push_str("\n_Summary truncated; the HTML and JSON reports hold everything._\n");
    }
    out.write_all(text.as_bytes())
}

/// An `http(s)` address that can sit in a Markdown link as it is.
fn is_plain_url(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://"))
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>[]`\\\"'".contains(&b))
}

/// The merged results as JSON, one repository a line: the output streams through the sink a
/// repository at a time instead of holding the whole report as one line.
pub fn json(merged: &Merged, out: &mut dyn Write) -> io::Result<()> {
    write!(
        out,
        "{{\"version\":{},\"compared\":{},\"repositories\":[",
        merged.version, merged.compared
    )?;
    for (i, repository) in merged.repositories.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, repository).map_err(io::Error::other)?;
    }
    out.write_all(b"\n]}\n")
}

/// `text` safe as HTML text and attribute values.
fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// JSON that can sit inside `<script>`: nothing in it can end the element or the script.
fn script_json(value: &impl serde::Serialize) -> io::Result<String> {
    let text = serde_json::to_string(value).map_err(io::Error::other)?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// One repository as the page's script reads it: findings as `[level, rule, path, line,
/// message, new]` rows, borrowed from the results.
#[derive(serde::Serialize)]
struct PageRepository<'a> {
    name: &'a str,
    commit: &'a str,
    findings: Vec<(&'a str, &'a str, &'a str, u32, &'a str, bool)>,
}

/// The self-contained HTML page. `server` is the GitHub web address files are linked to
/// (`https://github.com`); links point at each file at the scanned commit.
pub fn html(merged: &Merged, server: &str, out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::new();
    page.push_str(HEAD);
    page.push_str("<header><h1>Portcullis — organization report</h1>\n<p id=\"totals\">");
    page.push_str(&html_text(&totals_line(merged)));
    if merged.compared {
        page.push_str(&format!(
            "; <strong>{} new</strong> since the previous report",
            new_count(merged)
        ));
    }
    page.push_str(".</p></header>\n<main>\n");

    let missing: Vec<_> = not_checked(merged).collect();
    if !missing.is_empty() || gaps(merged) > 0 {
        page.push_str("<section class=\"warn\"><h2>Not checked</h2><p>Their findings are unknown.</p><table><thead><tr><th>Repository</th><th>What</th><th>Why</th></tr></thead><tbody>\n");
        for r in &missing {
            page.push_str(&format!(
                "<tr><td>{}</td><td>the repository</td><td>{}</td></tr>\n",
                html_text(&r.repository),
                html_text(r.reason.as_deref().unwrap_or(""))
            ));
        }
        for r in &merged.repositories {
            for gap in &r.not_fetched {
                page.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    html_text(&r.repository),
                    html_text(&gap.path),
                    html_text(&gap.reason)
                ));
            }
        }
        page.push_str("</tbody></table></section>\n");
    }

    page.push_str("<div class=\"columns\"><section><h2>Top rules</h2><table><thead><tr><th>Rule</th><th class=\"n\">Findings</th><th class=\"n\">Repositories</th></tr></thead><tbody>\n");
    for (rule, findings, repositories) in rules(merged).iter().take(TOP) {
        page.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td class=\"n\">{findings}</td><td class=\"n\">{repositories}</td></tr>\n",
            html_text(&crate::report::rule_doc_uri(rule)),
            html_text(rule)
        ));
    }
    page.push_str("</tbody></table></section>\n<section><h2>Most exposed repositories</h2><table><thead><tr><th>Repository</th><th class=\"n\">Errors</th><th class=\"n\">Warnings</th><th class=\"n\">Notes</th></tr></thead><tbody>\n");
    for r in worst(merged).iter().take(TOP) {
        page.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            html_text(&r.repository),
            r.count(Level::Error),
            r.count(Level::Warning),
            r.count(Level::Note)
        ));
    }
    page.push_str("</tbody></table></section></div>\n");

    let mut rule_names: Vec<&str> = rules(merged).iter().map(|(r, _, _)| *r).collect();
    rule_names.sort_unstable();
    page.push_str("<section><h2>Findings</h2>\n<form id=\"filters\" onsubmit=\"return false\">\n<label>Rule <select id=\"rule\"><option value=\"\">every rule</option>");
    for rule in rule_names {
        page.push_str(&format!("<option>{}</option>", html_text(rule)));
    }
    page.push_str("</select></label>\n<label>Level <select id=\"level\"><option value=\"\">every level</option><option>error</option><option>warning</option><option>note</option></select></label>\n<label>Repository <input id=\"repo\" list=\"repos\" placeholder=\"owner/name\" autocomplete=\"off\"></label><datalist id=\"repos\">");
    for r in &merged.repositories {
        page.push_str(&format!("<option>{}</option>", html_text(&r.repository)));
    }
    page.push_str("</datalist>\n");
    if merged.compared {
        page.push_str("<label><input type=\"checkbox\" id=\"new\"> new only</label>\n");
    }
    page.push_str("<output id=\"shown\"></output></form>\n<table id=\"findings\"><thead><tr><th>Level</th><th>Repository</th><th>File</th><th>Rule</th><th>Message</th></tr></thead><tbody></tbody></table>\n<p id=\"more\" hidden></p></section>\n</main>\n<script type=\"application/json\" id=\"data\">");
    out.write_all(page.as_bytes())?;
    // The data streams a repository a line, so the page is never held whole in memory.
    write!(
        out,
        "{{\"server\":{},\"compared\":{},\"repositories\":[",
        script_json(&server.trim_end_matches('/'))?,
        merged.compared
    )?;
    for (i, r) in merged.repositories.iter().enumerate() {
        let row = PageRepository {
            name: &r.repository,
            commit: &r.commit,
            findings: r
                .findings
                .iter()
                .map(|f| (&*f.level, &*f.rule, &*f.path, f.line, &*f.message, f.new))
                .collect(),
        };
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        out.write_all(script_json(&row)?.as_bytes())?;
    }
    out.write_all(b"\n]}</script>\n")?;
    out.write_all(SCRIPT.as_bytes())?;
    out.write_all(b"</body></html>\n")
}

const HEAD: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'">
<meta name="referrer" content="no-referrer">
<title>Portcullis organization report</title>
<style>
:root { color-scheme: light dark; --line: #d0d7de; --muted: #59636e; --error: #cf222e; --warning: #9a6700; --note: #0969da; }
body { font: 14px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1280px; padding: 0 24px 48px; }
h1 { font-size: 22px; margin: 24px 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; }
#totals { color: var(--muted); margin: 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { font-weight: 600; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 32px; }
.warn { border-left: 4px solid var(--warning); padding-left: 12px; }
form { display: flex; flex-wrap: wrap; gap: 16px; align-items: center; margin-bottom: 8px; }
select, input { font: inherit; }
#shown { color: var(--muted); margin-left: auto; }
td.level { font-weight: 600; white-space: nowrap; }
tr.error td.level { color: var(--error); } tr.warning td.level { color: var(--warning); } tr.note td.level { color: var(--note); }
td.file { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
.new { font-size: 11px; border: 1px solid currentColor; border-radius: 8px; padding: 0 5px; margin-left: 6px; }
</style></head><body>
"##;

const SCRIPT: &str = r##"<script>
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const LIMIT = 5000;
  const rows = [];
  for (const repository of data.repositories) {
    for (const [level, rule, path, line, message, isNew] of repository.findings) {
      rows.push({ repository: repository.name, commit: repository.commit, level, rule, path, line, message, isNew });
    }
  }
  const order = { error: 0, warning: 1, note: 2 };
  rows.sort((a, b) => order[a.level] - order[b.level] || a.repository.localeCompare(b.repository) || a.path.localeCompare(b.path) || a.line - b.line);
  const field = (id) => document.getElementById(id);
  const body = document.querySelector("#findings tbody");
  const fileLink = (row) => {
    const path = row.path.split("/").map(encodeURIComponent).join("/");
    const repo = row.repository.split("/").map(encodeURIComponent).join("/");
    return data.server + "/" + repo + "/blob/" + encodeURIComponent(row.commit) + "/" + path + "#L" + row.line;
  };
  const cell = (tr, text, className) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  };
  function render() {
    const rule = field("rule").value, level = field("level").value, repo = field("repo").value.trim();
    const onlyNew = field("new") ? field("new").checked : false;
    const kept = rows.filter((row) => (!rule || row.rule === rule) && (!level || row.level === level)
      && (!repo || row.repository === repo || row.repository.includes(repo)) && (!onlyNew || row.isNew));
    body.replaceChildren();
    for (const row of kept.slice(0, LIMIT)) {
      const tr = document.createElement("tr");
      tr.className = row.level;
      tr.dataset.rule = row.rule;
      tr.dataset.repository = row.repository;
      const levelCell = cell(tr, row.level, "level");
      if (row.isNew) {
        const badge = document.createElement("span");
        badge.className = "new";
        badge.textContent = "new";
        levelCell.appendChild(badge);
      }
      cell(tr, row.repository);
      const file = cell(tr, "", "file");
      const link = document.createElement("a");
      link.href = fileLink(row);
      link.rel = "noopener noreferrer";
      link.textContent = row.path + ":" + row.line;
      file.appendChild(link);
      cell(tr, row.rule);
      cell(tr, row.message);
      body.appendChild(tr);
    }
    field("shown").textContent = kept.length + " of " + rows.length + " findings";
    const more = field("more");
    more.hidden = kept.length <= LIMIT;
    more.textContent = "The first " + LIMIT + " are shown; narrow the filters to see the rest.";
    const hash = new URLSearchParams();
    if (rule) hash.set("rule", rule);
    if (level) hash.set("level", level);
    if (repo) hash.set("repo", repo);
    if (onlyNew) hash.set("new", "1");
    const text = hash.toString();
    if (("#" + text) !== location.hash && !(text === "" && location.hash === "")) history.replaceState(null, "", text ? "#" + text : location.pathname);
  }
  const initial = new URLSearchParams(location.hash.slice(1));
  const choose = (id, value) => {
    const select = field(id);
    if (value && [...select.options].some((o) => o.value === value)) select.value = value;
  };
  choose("rule", initial.get("rule"));
  choose("level", initial.get("level"));
  field("repo").value = initial.get("repo") || "";
  if (field("new")) field("new").checked = initial.get("new") === "1";
  for (const id of ["rule", "level", "repo", "new"]) {
    if (field(id)) field(id).addEventListener("input", render);
  }
  render();
})();
</script>
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::results::{OrgFinding, Timing};

    fn merged() -> Merged {
        let finding = |rule: &str, level: &str, message: &str| OrgFinding {
            rule: rule.into(),
            level: level.into(),
            path: "deploy/compose.yaml".into(),
            line: 4,
            column: 5,
            message: message.into(),
            fingerprint: format!("{rule}{message}"),
            new: false,
        };
        let mut broken =
            RepositoryResult::not_checked("acme/broken", "tree: GitHub answered 500".into());
        broken.timing = Timing::default();
        Merged {
            version: 1,
            compared: false,
            repositories: vec![
                RepositoryResult {
                    findings: vec![
                        finding("privileged", "error", "</script><script>alert(1)</script>"),
                        finding("latest-tag", "warning", "| `x` @team https://evil"),
                    ],
                    status: Status::Checked,
                    reason: None,
                    commit: "0123456789abcdef0123456789abcdef01234567".into(),
                    files: 3,
                    ..RepositoryResult::not_checked("acme/api", String::new())
                },
                broken,
            ],
        }
    }

    #[test]
    fn scanned_text_cannot_escape_the_page() {
        let mut out = Vec::new();
        html(&merged(), "https://github.com", &mut out).unwrap();
        let page = String::from_utf8(out).unwrap();
        assert_eq!(
            page.matches("</script>").count(),
            2,
            "only the page's own script ends"
        );
        assert!(page.contains("\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
        assert!(!page.contains("src=\"http"), "no external asset");
        assert!(page.contains("acme/broken"));
    }

    #[test]
    fn markdown_counts_and_escapes() {
        let mut out = Vec::new();
        markdown(&merged(), None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("**1 of 2 repositories checked, 3 files, 2 findings: 1 errors, 1 warnings, 0 notes**"), "{text}");
        assert!(
            text.contains("| acme/broken | the repository | tree: GitHub answered 500 |"),
            "{text}"
        );
        assert!(text.contains("### Top rules"));
        assert!(!text.contains("| `x` @team"), "{text}");
    }

    #[test]
    fn comparison_marks_new_findings() {
        let previous = merged();
        let mut now = merged();
        now.repositories[0].findings[1].fingerprint = "other".into();
        now.compare(&previous);
        let new: Vec<_> = now
            .findings()
            .filter(|(_, f)| f.new)
            .map(|(_, f)| f.rule.as_str())
            .collect();
        assert_eq!(new, ["latest-tag"]);
        let mut out = Vec::new();
        markdown(&now, None, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("**1 new** since the previous report"),
            "{text}"
        );
        assert!(text.contains("### New since the previous report"));
    }
}
