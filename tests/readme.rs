//! The workflows the README offers for copy and paste pass Portcullis' own scan.

mod common;

use common::{render_findings, repo_root, scan_dir, write};

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
    assert_eq!(count, 3, "the pull-request, weekly and required workflows");
    let report = scan_dir(dir.path());
    assert_eq!(render_findings(&report, None), "");
}
