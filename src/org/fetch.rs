//! Fetch the files Portcullis checks from one repository's default branch through the API: the
//! branch and its commit (one GraphQL query for fifty repositories), its tree (one recursive REST
//! listing), then only the checked files, fifty at a time in one GraphQL query. No git, no
//! clone: a repository of 50,000 files whose twelve are Dockerfiles, compose files and workflows
//! costs two requests and a fiftieth.

use std::path::{Path, PathBuf};

use base64::Engine;
use octocrab::Octocrab;
use serde_json::Value;

use super::get_patiently;
use crate::github::{ApiError, describe, encode_path, is_commit};

/// Blobs fetched at once from one repository, one request each (when GraphQL cannot give them).
const CONCURRENT_BLOBS: usize = 8;

/// Files fetched together in one GraphQL query, and their largest total size: one request
/// instead of fifty, where the rate limit (not the bandwidth) bounds an organization's scan.
const BATCH_FILES: usize = 50;
const BATCH_BYTES: u64 = 4 * 1024 * 1024;

/// What was fetched.
#[derive(Debug, Default)]
pub struct Fetched {
    pub branch: String,
    /// Empty for an empty repository.
    pub commit: String,
    pub files: usize,
    pub bytes: u64,
    /// Checked files that were not fetched, with the reason (too large, refused by GitHub).
    pub not_fetched: Vec<(String, String)>,
    /// API requests made.
    pub requests: usize,
}

/// Which files to fetch.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// GitHub's GraphQL endpoint (`https://api.github.com/graphql`, on GitHub Enterprise Server
    /// `https://HOST/api/graphql`): text files come through it in batches.
    pub graphql: String,
    /// Files larger than this are recorded as not fetched (the scan's `max-file-size`).
    pub max_file_size: u64,
    /// Every text file, for `secrets-scope = "all"`.
    pub all_text: bool,
}

/// Repositories whose heads are asked for in one GraphQL query.
pub const HEADS_PER_QUERY: usize = 50;

/// A repository's default branch and its commit; `None` for an empty repository.
pub type Head = Option<(String, String)>;

/// The heads of `repositories` from one GraphQL query (one point of the rate limit, where a
/// query each costs one each). A repository GraphQL gave no usable answer for is left out:
/// its fetch asks again alone, and the REST way if need be, which words the reason.
pub async fn heads(
    client: &Octocrab,
    graphql: &str,
    repositories: &[String],
) -> std::collections::HashMap<String, Head> {
    let mut declared = Vec::new();
    let mut fields = String::new();
    let mut variables = serde_json::Map::new();
    for (i, repository) in repositories.iter().enumerate() {
        let (owner, name) = repository.split_once('/').unwrap_or((repository, ""));
        declared.push(format!("$o{i}: String!, $n{i}: String!"));
        fields.push_str(&format!(
            " r{i}: repository(owner: $o{i}, name: $n{i}) {{ defaultBranchRef {{ name target {{ oid }} }} }}"
        ));
        variables.insert(format!("o{i}"), Value::from(owner));
        variables.insert(format!("n{i}"), Value::from(name));
    }
    let body = serde_json::json!({
        "query": format!("query({}) {{{fields} }}", declared.join(", ")),
        "variables": variables,
    });
    let Ok(answer) = super::post_patiently(client, graphql, &body).await else {
        return Default::default();
    };
    repositories
        .iter()
        .enumerate()
        .filter_map(|(i, repository)| {
            let head = head_of(&answer["data"][format!("r{i}").as_str()]).ok()?;
            Some((repository.clone(), head))
        })
        .collect()
}

/// The head in a GraphQL `repository { defaultBranchRef … }` answer; `Err` when the answer
/// does not say.
fn head_of(repository: &Value) -> Result<Head, ()> {
    if !repository.is_object() {
        return Err(());
    }
    let branch = &repository["defaultBranchRef"];
    if branch.is_null() {
        return Ok(None);
    }
    match (branch["name"].as_str(), branch["target"]["oid"].as_str()) {
        (Some(name), Some(oid)) if !name.is_empty() && is_commit(oid) => {
            Ok(Some((name.to_string(), oid.to_string())))
        }
        _ => Err(()),
    }
}

/// Fetch `repository`'s checked files into `into` (an empty folder). `known` is its head when
/// already asked for with others' ([`heads`]).
pub async fn fetch(
    client: &Octocrab,
    repository: &str,
    into: &Path,
    wanted: Wanted,
    known: Option<Head>,
) -> Result<Fetched, String> {
    let mut fetched = Fetched::default();
    let (owner, name) = repository.split_once('/').unwrap_or((repository, ""));
    let head = match known {
        Some(head) => head,
        None => {
            fetched.requests += 1;
            match head_by_graphql(client, &wanted.graphql, owner, name).await {
                Ok(head) => head,
                // GraphQL said nothing usable (an endpoint without it, a refusal): ask the REST
                // way, which also words a missing repository or branch the way GitHub does.
                Err(()) => head_by_rest(client, repository, &mut fetched.requests).await?,
            }
        }
    };
    let Some((branch, commit)) = head else {
        // An empty repository has no branch yet: nothing to check.
        return Ok(fetched);
    };
    fetched.branch = branch;
    fetched.commit = commit.clone();

    let entries = tree(client, repository, &commit, &mut fetched.requests).await?;
    let mut wanted_blobs = Vec::new();
    for entry in entries {
        if !checked(&entry.path, wanted.all_text) {
            continue;
        }
        let Some(relative) = safe_relative(&entry.path) else {
            fetched
                .not_fetched
                .push((entry.path, "not a plain relative path".to_string()));
            continue;
        };
        if entry.size > wanted.max_file_size {
            fetched.not_fetched.push((
                entry.path,
                format!(
                    "{} bytes, larger than max-file-size ({} bytes)",
                    entry.size, wanted.max_file_size
                ),
            ));
            continue;
        }
        wanted_blobs.push((entry, relative));
    }

    // Text in batches through GraphQL; what it cannot give exactly (binary or truncated
    // content, text that is not UTF-8, a batch it refuses) the REST way, file by file.
    let mut by_rest = Vec::new();
    for batch in batches(wanted_blobs) {
        fetched.requests += 1;
        let texts = match texts(client, &wanted.graphql, owner, name, &batch).await {
            Ok(texts) => texts,
            Err(_) => vec![None; batch.len()],
        };
        for ((entry, relative), text) in batch.into_iter().zip(texts) {
            match text {
                Some(text) => {
                    write_file(into, &relative, &entry.path, text.as_bytes())?;
                    fetched.files += 1;
                    fetched.bytes += text.len() as u64;
                }
                None => by_rest.push((entry, relative)),
            }
        }
    }

    let mut pending = by_rest.into_iter();
    let mut running = tokio::task::JoinSet::new();
    loop {
        while running.len() < CONCURRENT_BLOBS {
            let Some((entry, relative)) = pending.next() else {
                break;
            };
            let client = client.clone();
            let route = format!("/repos/{repository}/git/blobs/{}", entry.sha);
            running.spawn(async move {
                let answer = get_patiently(&client, &route).await;
                (entry, relative, answer)
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (entry, relative, answer) = done.map_err(|e| format!("fetching a file: {e}"))?;
        fetched.requests += 1;
        let bytes = match answer
            .map_err(|e| describe(e, &entry.path))
            .and_then(|blob| decode(&blob, &entry.path))
        {
            Ok(bytes) => bytes,
            Err(reason) => return Err(reason),
        };
        write_file(into, &relative, &entry.path, &bytes)?;
        fetched.files += 1;
        fetched.bytes += bytes.len() as u64;
    }
    Ok(fetched)
}

/// The default branch and its commit from one GraphQL query (REST takes two requests, and
/// GraphQL's rate limit is counted apart from REST's). `Ok(None)`: an empty repository.
async fn head_by_graphql(
    client: &Octocrab,
    graphql: &str,
    owner: &str,
    name: &str,
) -> Result<Option<(String, String)>, ()> {
    let body = serde_json::json!({
        "query": "query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { defaultBranchRef { name target { oid } } } }",
        "variables": {"owner": owner, "name": name},
    });
    let answer = super::post_patiently(client, graphql, &body)
        .await
        .map_err(|_| ())?;
    head_of(&answer["data"]["repository"])
}

/// The default branch and its commit the REST way: the repository, then the branch's ref.
async fn head_by_rest(
    client: &Octocrab,
    repository: &str,
    requests: &mut usize,
) -> Result<Option<(String, String)>, String> {
    let about = get_patiently(client, &format!("/repos/{repository}"))
        .await
        .map_err(|e| describe(e, "repository"))?;
    *requests += 1;
    let branch = about["default_branch"]
        .as_str()
        .filter(|b| !b.is_empty())
        .ok_or("repository: GitHub gave no default branch")?;
    let reference = get_patiently(
        client,
        &format!("/repos/{repository}/git/ref/heads/{}", encode_path(branch)),
    )
    .await;
    *requests += 1;
    match reference {
        Ok(reference) => Ok(Some((
            branch.to_string(),
            reference["object"]["sha"]
                .as_str()
                .filter(|sha| is_commit(sha))
                .ok_or("default branch: GitHub gave no commit")?
                .to_string(),
        ))),
        // An empty repository has no branch yet.
        Err(ApiError::Status { status: 409, .. }) => Ok(None),
        Err(e) => Err(describe(e, "default branch")),
    }
}

fn write_file(into: &Path, relative: &Path, shown: &str, bytes: &[u8]) -> Result<(), String> {
    let target = into.join(relative);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("{shown}: cannot create its folder: {e}"))?;
    }
    std::fs::write(&target, bytes).map_err(|e| format!("{shown}: cannot write: {e}"))
}

/// `files` in batches of at most `BATCH_FILES` files and `BATCH_BYTES` bytes (a larger file
/// alone).
fn batches(files: Vec<(Entry, PathBuf)>) -> Vec<Vec<(Entry, PathBuf)>> {
    let mut out: Vec<Vec<(Entry, PathBuf)>> = Vec::new();
    let mut bytes = 0;
    for file in files {
        let full = out
            .last()
            .is_none_or(|batch| batch.len() == BATCH_FILES || bytes + file.0.size > BATCH_BYTES);
        if full {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += file.0.size;
        if let Some(batch) = out.last_mut() {
            batch.push(file);
        }
    }
    out
}

/// The text of each file of `batch` from one GraphQL query: `None` where GitHub gives no exact
/// text (binary, truncated, or bytes that are not UTF-8, whose text would not be the file).
async fn texts(
    client: &Octocrab,
    graphql: &str,
    owner: &str,
    name: &str,
    batch: &[(Entry, PathBuf)],
) -> Result<Vec<Option<String>>, String> {
    let mut query = String::from(
        "query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) {",
    );
    for (i, (entry, _)) in batch.iter().enumerate() {
        // Object ids are checked hex when the tree is read: nothing else goes into the query.
        query.push_str(&format!(
            " f{i}: object(oid: \"{}\") {{ ... on Blob {{ text isBinary isTruncated byteSize }} }}",
            entry.sha
        ));
    }
    query.push_str(" } }");
    let body = serde_json::json!({"query": query, "variables": {"owner": owner, "name": name}});
    let answer = super::post_patiently(client, graphql, &body)
        .await
        .map_err(|e| describe(e, "files"))?;
    let repository = &answer["data"]["repository"];
    if !repository.is_object() {
        return Err("files: GitHub's GraphQL answer has no repository".to_string());
    }
    Ok(batch
        .iter()
        .enumerate()
        .map(|(i, (entry, _))| {
            let blob = &repository[format!("f{i}").as_str()];
            let text = blob["text"].as_str()?;
            let exact = blob["isBinary"] == Value::Bool(false)
                && blob["isTruncated"] == Value::Bool(false)
                && blob["byteSize"].as_u64() == Some(text.len() as u64)
                && entry.size == text.len() as u64;
            exact.then(|| text.to_string())
        })
        .collect())
}

/// GitHub's GraphQL endpoint for REST endpoint `api_url`.
pub fn graphql_url(api_url: &str) -> String {
    let api = api_url.trim_end_matches('/');
    match api.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{api}/graphql"),
    }
}

/// A file of the tree.
#[derive(Debug)]
struct Entry {
    path: String,
    sha: String,
    size: u64,
}

/// Every blob of `commit`'s tree (not links, not submodules). One recursive listing; when
/// GitHub truncates it (over 100,000 entries or 7 MB), the tree is read folder by folder.
async fn tree(
    client: &Octocrab,
    repository: &str,
    commit: &str,
    requests: &mut usize,
) -> Result<Vec<Entry>, String> {
    let answer = get_patiently(
        client,
        &format!("/repos/{repository}/git/trees/{commit}?recursive=1"),
    )
    .await
    .map_err(|e| describe(e, "tree"))?;
    *requests += 1;
    if answer["truncated"].as_bool() != Some(true) {
        return Ok(blobs(&answer, ""));
    }
    let mut out = Vec::new();
    let mut folders = vec![(commit.to_string(), String::new())];
    while let Some((sha, prefix)) = folders.pop() {
        let answer = get_patiently(client, &format!("/repos/{repository}/git/trees/{sha}"))
            .await
            .map_err(|e| describe(e, "tree"))?;
        *requests += 1;
        if answer["truncated"].as_bool() == Some(true) {
            return Err(format!(
                "tree: folder `{prefix}` has more entries than GitHub lists in one answer"
            ));
        }
        out.extend(blobs(&answer, &prefix));
        for item in answer["tree"].as_array().into_iter().flatten() {
            if item["type"].as_str() == Some("tree")
                && let (Some(path), Some(sha)) = (item["path"].as_str(), item["sha"].as_str())
                && is_commit(sha)
            {
                folders.push((sha.to_string(), format!("{prefix}{path}/")));
            }
        }
    }
    Ok(out)
}

fn blobs(answer: &Value, prefix: &str) -> Vec<Entry> {
    answer["tree"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| {
            item["type"].as_str() == Some("blob")
                // Links are checked through their targets, which are in the tree themselves.
                && item["mode"].as_str() != Some("120000")
        })
        .filter_map(|item| {
            Some(Entry {
                path: format!("{prefix}{}", item["path"].as_str()?),
                sha: item["sha"].as_str().filter(|s| is_commit(s))?.to_string(),
                size: item["size"].as_u64().unwrap_or(0),
            })
        })
        .collect()
}

/// Whether a scan checks the file at `path` (a repository path): what the walk would pick,
/// and the repository's own configuration.
fn checked(path: &str, all_text: bool) -> bool {
    let path = Path::new(path);
    if path.parent() == Some(Path::new("")) || path.parent() == Some(Path::new(".github")) {
        let shown = path.to_string_lossy();
        if crate::config::FILE_NAMES.contains(&shown.as_ref()) {
            return true;
        }
    }
    crate::discover::classify(path).is_some()
        || (all_text && crate::discover::plain_text_name(path))
}

/// `path` as a relative path of plain names: never absolute, never `.` or `..`, never an
/// empty segment, never into `.git`.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let plain = !path.contains('\0')
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && !segment.eq_ignore_ascii_case(".git")
        });
    plain.then(|| PathBuf::from(path))
}

fn decode(blob: &Value, path: &str) -> Result<Vec<u8>, String> {
    if blob["encoding"].as_str() != Some("base64") {
        return Err(format!("{path}: GitHub did not give the file's content"));
    }
    let encoded: String = blob["content"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| format!("{path}: the content is not base64"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_checked_files_are_wanted() {
        for path in [
            "Dockerfile",
            "svc/api/Dockerfile.prod",
            "compose.yaml",
            ".github/workflows/ci.yml",
            "action.yml",
            ".env",
            "web/.dockerignore",
            "portcullis.toml",
            ".github/portcullis.toml",
        ] {
            assert!(checked(path, false), "{path}");
        }
        for path in [
            "README.md",
            "src/main.rs",
            "deep/portcullis.toml",
            "workflows/ci.yml",
        ] {
            assert!(!checked(path, false), "{path}");
        }
        assert!(checked("src/settings.py", true));
        assert!(!checked("logo.png", true));
    }

    #[test]
    fn graphql_endpoints() {
        assert_eq!(
            graphql_url("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            graphql_url("https://ghe.example/api/v3/"),
            "https://ghe.example/api/graphql"
        );
    }

    #[test]
    fn batches_hold_fifty_files_or_four_megabytes() {
        let file = |size| {
            (
                Entry {
                    path: "Dockerfile".into(),
                    sha: "0".repeat(40),
                    size,
                },
                PathBuf::from("Dockerfile"),
            )
        };
        let sizes = |files: Vec<u64>| -> Vec<usize> {
            batches(files.into_iter().map(file).collect())
                .iter()
                .map(Vec::len)
                .collect()
        };
        assert_eq!(sizes(vec![10; 120]), [50, 50, 20]);
        assert_eq!(sizes(vec![3 << 20, 2 << 20, 9 << 20, 10]), [1, 1, 1, 1]);
        assert_eq!(sizes(vec![1 << 20, 1 << 20, 1 << 20, 1 << 20, 1]), [4, 1]);
        assert!(sizes(Vec::new()).is_empty());
    }

    #[test]
    fn paths_stay_inside_the_folder() {
        assert_eq!(
            safe_relative("a/b/Dockerfile"),
            Some(PathBuf::from("a/b/Dockerfile"))
        );
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            ".git/config",
            "x/.GIT/hooks",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }
}
