//! The README stays true: the workflows it offers for copy and paste pass Portcullis' own
//! scan, and its example output is what Portcullis prints for the example files.

mod common;

use common::{bin, render_findings, repo_root, scan_dir, write};

/// The README's example: `portcullis scan` in `tests/data/readme-example`, exactly. With
/// `PORTCULLIS_BLESS=1` the test writes the current output into the README instead.
#[test]
fn readme_example_output_is_current() {
    let example = repo_root().join("tests/data/readme-example");
    let out = bin()
        .current_dir(&example)
        .env_clear()
        .args(["scan", "--color", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let printed = String::from_utf8(out.stdout).unwrap();
    let readme_path = repo_root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let open = "```text\n$ portcullis scan\n";
    let start = readme.find(open).expect("the README shows an example run") + open.len();
    let end = start + readme[start..].find("```").unwrap();
    if std::env::var_os("PORTCULLIS_BLESS").is_some() {
        let updated = format!("{}{printed}{}", &readme[..start], &readme[end..]);
        std::fs::write(&readme_path, updated).unwrap();
        return;
    }
    assert_eq!(
        &readme[start..end],
        printed,
        "the README's example output is stale: run `PORTCULLIS_BLESS=1 cargo test --test readme`"
    );
}

#[test]
fn readme_workflows_have_no_findings() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut count = 0;
    for block in readme.split("```yaml\n").skip(1) {
        let code = &block[..block.find("```").unwrap()];
        let Some(name) = code
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# .github/workflows/"))
            .and_then(|l| l.split_whitespace().next())
        else {
            continue;
        };
        // The release commit is filled in by whoever copies the workflow.
        let code = code.replace("<release commit>", &"0".repeat(40));
        write(dir.path(), &format!(".github/workflows/{name}"), &code);
        count += 1;
    }
    assert_eq!(
        count, 4,
        "the pull-request, weekly, required and organization workflows"
    );
    let report = scan_dir(dir.path());
    assert_eq!(render_findings(&report, None), "");
}
