//! Secrets a range of commits leaves in the repository's history: every line the commits added,
//! including lines a later commit removed, goes through the secret rules. A diff-based check
//! sees only the end state; a token added in one commit and deleted in the next is in the
//! history for good, and must be rotated.

use std::collections::HashSet;
use std::path::Path;

use crate::changes::git_in;
use crate::finding::Finding;
use crate::scan::ScanOptions;

/// The lines one commit added to one file, with their line numbers in that commit's version.
#[derive(Clone, Debug, Default)]
pub struct AddedLines {
    pub commit: String,
    pub path: String,
    pub lines: Vec<(u32, String)>,
}

/// Marks the start of a commit in `git log` output (diff lines always start with a diff
/// prefix, so no content line can look like it).
pub const COMMIT_MARK: &str = "portcullis-commit ";

/// The lines every non-merge commit of `range` added, oldest commit first. Binary files,
/// deletions and pure renames add nothing. Merge commits are skipped: what they bring is in
/// the commits they merge.
pub fn added_lines(top: &Path, range: &str) -> Result<Vec<AddedLines>, String> {
    if range.starts_with('-') {
        return Err(format!("--history {range}: not a commit range"));
    }
    let format = format!("--format={COMMIT_MARK}%H");
    let out = git_in(
        top,
        top,
        None,
        &[
            "-c",
            "core.quotePath=false",
            "log",
            "--reverse",
            "--no-merges",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "-p",
            "-U0",
            &format,
            range,
            "--",
        ],
    )
    .map_err(|e| format!("--history {range}: {e}"))?;
    Ok(parse_log(&out))
}

/// Read `git log -p -U0` output into added lines per commit and file.
pub fn parse_log(out: &str) -> Vec<AddedLines> {
    let mut files: Vec<AddedLines> = Vec::new();
    let mut commit = String::new();
    let mut current: Option<AddedLines> = None;
    let mut in_header = false;
    let mut next_line: u32 = 1;
    let flush = |current: &mut Option<AddedLines>, files: &mut Vec<AddedLines>| {
        if let Some(file) = current.take()
            && !file.lines.is_empty()
        {
            files.push(file);
        }
    };
    for line in out.split('\n') {
        if let Some(sha) = line.strip_prefix(COMMIT_MARK) {
            flush(&mut current, &mut files);
            commit = sha.trim().to_string();
            in_header = false;
            continue;
        }
        if line.starts_with("diff --git ") {
            flush(&mut current, &mut files);
            in_header = true;
            continue;
        }
        if in_header {
            if let Some(path) = line.strip_prefix("+++ ") {
                in_header = false;
                if path != "/dev/null" {
                    let path = path.trim_end_matches('\r');
                    let path = unquote(path);
                    let path = path.strip_prefix("b/").unwrap_or(&path).to_string();
                    current = Some(AddedLines {
                        commit: commit.clone(),
                        path,
                        lines: Vec::new(),
                    });
                }
            }
            // `Binary files … differ`, modes, renames: nothing added to read.
            continue;
        }
        if let Some(hunk) = line.strip_prefix("@@ ") {
            // `@@ -a,b +c,d @@`: the added lines start at line c.
            next_line = hunk
                .split_whitespace()
                .find_map(|part| part.strip_prefix('+'))
                .and_then(|plus| plus.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            continue;
        }
        if let Some(added) = line.strip_prefix('+') {
            if let Some(file) = current.as_mut() {
                file.lines
                    .push((next_line, added.trim_end_matches('\r').to_string()));
            }
            next_line += 1;
        } else if line.starts_with(' ') {
            next_line += 1;
        }
    }
    flush(&mut current, &mut files);
    files
}

/// A path git quoted (`"dir/na\303\257ve"`), unescaped; others as they are.
fn unquote(path: &str) -> String {
    let Some(inner) = path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) else {
        return path.to_string();
    };
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(d @ b'0'..=b'7') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&next @ b'0'..=b'7') = chars.peek() {
                        value = value * 8 + u32::from(next - b'0');
                        chars.next();
                    }
                }
                bytes.push(value as u8);
            }
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(other) => bytes.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The secret findings of the lines `range` added, placed at their commit's line numbers, and
/// the secret values they mark. A finding the scan of the work tree already has (same
/// fingerprint: same rule, path and line) is left out; the same line added again later is
/// reported once, for its first commit.
pub fn findings(
    top: &Path,
    added: Vec<AddedLines>,
    options: &ScanOptions,
    current: &[Box<Finding>],
) -> (Vec<Box<Finding>>, Vec<(String, usize)>) {
    let known: HashSet<&str> = current.iter().map(|f| f.fingerprint.as_str()).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut findings = Vec::new();
    let mut secrets = Vec::new();
    for file in added {
        let mut text = String::new();
        for (_, line) in &file.lines {
            text.push_str(line);
            text.push('\n');
        }
        let display = display_in_scan(top, &file.path, options);
        let (found, marked) = crate::scan::secrets_in_text(&display, text, options);
        if found.is_empty() {
            continue;
        }
        secrets.extend(marked);
        let now = std::fs::read_to_string(top.join(&file.path)).unwrap_or_default();
        let short = &file.commit[..file.commit.len().min(12)];
        for mut finding in found {
            if known.contains(finding.fingerprint.as_str())
                || !seen.insert(finding.fingerprint.clone())
            {
                continue;
            }
            let index = finding.location.start.line as usize - 1;
            let Some((line_no, line_text)) = file.lines.get(index) else {
                continue;
            };
            // A finding spanning lines ends on the added line its last line came from.
            finding.location.end.line = file
                .lines
                .get(finding.location.end.line as usize - 1)
                .map_or(*line_no, |(n, _)| *n);
            finding.location.start.line = *line_no;
            finding.snippet.first_line = *line_no;
            let still_there = now.lines().any(|l| l == line_text);
            if still_there {
                finding.message = format!("{} (added in commit {short})", finding.message);
            } else {
                finding.message = format!(
                    "{} — found only in history: added in commit {short} and no longer in the file, it stays in the repository's history for good",
                    finding.message
                );
                finding.help = Some(std::borrow::Cow::Borrowed(
                    "rotate the credential now: deleting it from the files does not remove it from the history, which anyone who can clone the repository (or a fork) can read",
                ));
            }
            findings.push(finding);
        }
    }
    (findings, secrets)
}

/// How a path of the repository is shown: relative to the working folder, like the scan's.
fn display_in_scan(top: &Path, path: &str, options: &ScanOptions) -> String {
    crate::discover::display_path(&top.join(path), &options.cwd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_are_read_with_their_numbers() {
        let log = "portcullis-commit aaa\n\ndiff --git a/x.txt b/x.txt\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/x.txt\n@@ -0,0 +1,2 @@\n+one\n++++ plus\ndiff --git a/bin b/bin\nBinary files a/bin and b/bin differ\nportcullis-commit bbb\n\ndiff --git a/x.txt b/x.txt\n--- a/x.txt\n+++ b/x.txt\n@@ -2 +2 @@\n-+++ plus\n+two\ndiff --git \"a/na\\303\\257ve\" \"b/na\\303\\257ve\"\n--- /dev/null\n+++ \"b/na\\303\\257ve\"\n@@ -0,0 +1 @@\n+x\n";
        let files = parse_log(log);
        assert_eq!(files.len(), 3);
        assert_eq!(files[0].commit, "aaa");
        assert_eq!(
            files[0].lines,
            [(1, "one".to_string()), (2, "+++ plus".to_string())]
        );
        assert_eq!(files[1].commit, "bbb");
        assert_eq!(files[1].lines, [(2, "two".to_string())]);
        assert_eq!(files[2].path, "naïve");
    }
}
