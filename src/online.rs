//! What `scan --online` asks GitHub about the actions a workflow uses: which refs are branches
//! and tags, which commit a ref names, whether a pinned commit belongs to the repository, and
//! which versions have security advisories; and, for fixes, what digest an image tag names now
//! (asked of the image's registry through `registry`).
//!
//! Every answer is cached: one lookup per distinct `repository@ref` (and per repository for its
//! tags, branches and advisories), however many files use it and whichever rule asks first.
//! Rules run in parallel; a lookup in flight makes the others asking for it wait rather than
//! ask again. Failures never fail the scan: a rate limit stops further lookups and becomes one
//! note in the report, any other error a note naming the repository.

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use octocrab::Octocrab;
use serde_json::Value;

use crate::finding::{Level, Notification};
use crate::github::encode_path;

/// A cache whose entries are computed once, even when several threads ask at the same time.
struct Cache<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceLock<V>>>>,
}

impl<K: Eq + Hash, V: Clone> Cache<K, V> {
    fn new() -> Cache<K, V> {
        Cache {
            cells: Mutex::new(HashMap::new()),
        }
    }

    fn get_or(&self, key: K, compute: impl FnOnce() -> V) -> V {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            cells.entry(key).or_default().clone()
        };
        cell.get_or_init(compute).clone()
    }
}

/// What a symbolic ref (`v4`, `main`) names in a repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefFacts {
    pub is_branch: bool,
    pub is_tag: bool,
    /// The commit the ref resolves to, when it resolves.
    pub commit: Option<String>,
}

/// What `GET /repos/{owner}/{repo}` says of a repository.
#[derive(Clone, Debug, Default)]
pub struct RepoInfo {
    pub default_branch: Option<String>,
    /// Read-only: its owner stopped maintaining it.
    pub archived: bool,
}

/// Tags and branches of a repository (the first 300 of each) and its default branch.
#[derive(Clone, Debug, Default)]
pub struct RepoFacts {
    pub default_branch: Option<String>,
    /// (name, commit).
    pub tags: Vec<(String, String)>,
    /// (name, commit).
    pub branches: Vec<(String, String)>,
}

/// Whether a commit belongs to a repository's own history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// The head of a branch or tag, or an ancestor of the default branch or of the named tag.
    Reachable,
    /// GitHub serves the commit under the repository's name, but no branch or tag checked
    /// contains it: it comes from elsewhere in the fork network.
    Unreachable,
    /// No such commit, in the repository or its fork network.
    Missing,
}

/// One affected range of a GitHub security advisory for an action.
#[derive(Clone, Debug)]
pub struct Advisory {
    pub id: String,
    pub severity: String,
    pub summary: String,
    /// The package the advisory names (`owner/repo` or `owner/repo/path`).
    pub package: String,
    /// E.g. `>= 1.0.0, < 1.2.3`.
    pub vulnerable_range: String,
    pub first_patched: Option<String>,
}

/// Pages of 100 tags or branches read per repository.
const LIST_PAGES: u32 = 3;
/// Release branches a pinned commit is compared with, at most.
const RELEASE_BRANCHES: usize = 5;

/// The answer of one request: the JSON, `None` for "not found", or an error already recorded.
type Answer = Result<Option<Value>, ()>;

/// The GitHub lookups of one scan. Build it with [`Online::new`], hand it to the scan, then
/// read [`Online::notes`] for the report.
pub struct Online {
    runtime: tokio::runtime::Runtime,
    client: Octocrab,
    rate_limited: AtomicBool,
    /// Lookups not made because the rate limit was reached.
    skipped: AtomicUsize,
    /// Lookups not made because the command's network time was used up.
    out_of_time: AtomicUsize,
    problems: Mutex<BTreeSet<String>>,
    refs: Cache<(String, String), Option<RefFacts>>,
    repos: Cache<String, Option<Arc<RepoFacts>>>,
    repo_info: Cache<String, Option<Arc<RepoInfo>>>,
    membership: Cache<(String, String, Option<String>), Option<Membership>>,
    advisories: Cache<String, Option<Arc<Vec<Advisory>>>>,
    /// Image digests for fixes, from the images' registries (made when first needed; one at a
    /// time, as images are few).
    registries: Mutex<Option<crate::registry::Registries>>,
    registry_mirror: Option<String>,
    allowed_registries: crate::registry::Allowed,
    digests: Cache<String, Option<String>>,
    /// Images whose digest could not be had: their findings just carry no fix.
    unresolved_images: Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for Online {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Online")
    }
}

impl Online {
    /// A client for `api_url`, with `token` when there is one (anonymous clients get 60
    /// requests an hour, which a rate-limit note then reports).
    pub fn new(
        api_url: &str,
        token: Option<&str>,
        registry_mirror: Option<&str>,
        allowed_registries: crate::registry::Allowed,
    ) -> Result<Online, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        // The client spawns its connection tasks on the runtime it is built in.
        let client = {
            let _inside = runtime.enter();
            crate::github::client_maybe_anonymous(api_url, token)?
        };
        Ok(Online {
            runtime,
            client,
            rate_limited: AtomicBool::new(false),
            skipped: AtomicUsize::new(0),
            out_of_time: AtomicUsize::new(0),
            problems: Mutex::new(BTreeSet::new()),
            refs: Cache::new(),
            repos: Cache::new(),
            repo_info: Cache::new(),
            membership: Cache::new(),
            advisories: Cache::new(),
            registries: Mutex::new(None),
            registry_mirror: registry_mirror.map(str::to_string),
            allowed_registries,
            digests: Cache::new(),
            unresolved_images: Mutex::new(BTreeSet::new()),
        })
    }

    /// The `sha256:…` digest the tagged image `reference` names now, from its registry; `None`
    /// (and a note) when the registry cannot tell.
    pub fn image_digest(&self, reference: &str) -> Option<String> {
        self.digests.get_or(reference.to_string(), || {
            let mut registries = self.registries.lock().unwrap_or_else(|e| e.into_inner());
            if registries.is_none() {
                *registries = Some(
                    crate::registry::Registries::new(
                        self.registry_mirror.as_deref(),
                        self.allowed_registries.clone(),
                    )
                    .map_err(|e| self.problem(e))
                    .ok()?,
                );
            }
            match registries.as_mut()?.digest(reference) {
                Ok(digest) => Some(digest),
                Err(e) => {
                    self.unresolved_images
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(format!("{reference}: {e}"));
                    None
                }
            }
        })
    }

    /// What the online lookups could not do, for the report's notifications.
    pub fn notes(&self) -> Vec<Notification> {
        let mut notes: Vec<Notification> = self
            .problems
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|problem| Notification {
                level: Level::Warning,
                message: format!("online checks: {problem}"),
                path: None,
            })
            .collect();
        notes.extend(
            self.unresolved_images
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|problem| Notification {
                    level: Level::Note,
                    message: format!("online checks: no digest for {problem}"),
                    path: None,
                }),
        );
        let out_of_time = self.out_of_time.load(Ordering::Relaxed);
        if out_of_time > 0 {
            notes.push(Notification {
                level: Level::Warning,
                message: format!(
                    "online checks incomplete: the time for network requests ran out and {out_of_time} {} not made; \
                     raise --timeout",
                    if out_of_time == 1 { "lookup was" } else { "lookups were" }
                ),
                path: None,
            });
        }
        let skipped = self.skipped.load(Ordering::Relaxed);
        if skipped > 0 {
            notes.push(Notification {
                level: Level::Warning,
                message: format!(
                    "online checks incomplete: the GitHub API rate limit was reached and {skipped} {} not made; \
                     give a token in GITHUB_TOKEN or scan again after the limit resets",
                    if skipped == 1 { "lookup was" } else { "lookups were" }
                ),
                path: None,
            });
        }
        notes
    }

    /// GET `route`; `Ok(None)` when GitHub answers 404 (or 422, its "no such commit").
    fn get(&self, route: &str, what: &str) -> Answer {
        if self.rate_limited.load(Ordering::Relaxed) {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            return Err(());
        }
        if crate::net::deadline_passed() {
            self.out_of_time.fetch_add(1, Ordering::Relaxed);
            return Err(());
        }
        let answer = self
            .runtime
            .block_on(crate::github::get_json(&self.client, route));
        match answer {
            Ok(value) => Ok(Some(value)),
            Err(error) if matches!(error.status(), Some(404 | 422)) => Ok(None),
            Err(error) => {
                if error.is_rate_limit() {
                    if !self.rate_limited.swap(true, Ordering::Relaxed) {
                        self.problems
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(crate::github::describe(error, what));
                    }
                    self.skipped.fetch_add(1, Ordering::Relaxed);
                } else {
                    self.problem(crate::github::describe(error, what));
                }
                Err(())
            }
        }
    }

    fn problem(&self, message: String) {
        self.problems
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(message);
    }

    /// Branch, tag and commit of `repository@reference` (a symbolic ref). `None` when GitHub
    /// could not be asked.
    pub fn reference(&self, repository: &str, reference: &str) -> Option<RefFacts> {
        self.refs.get_or(
            (repository.to_ascii_lowercase(), reference.to_string()),
            || {
                let what = format!("{repository}@{reference}");
                let encoded = encode_path(reference);
                let branch = self.get(
                    &format!("/repos/{repository}/git/ref/heads/{encoded}"),
                    &what,
                );
                let tag = self.get(
                    &format!("/repos/{repository}/git/ref/tags/{encoded}"),
                    &what,
                );
                let commit = self.get(&format!("/repos/{repository}/commits/{encoded}"), &what);
                Some(RefFacts {
                    is_branch: branch.ok()?.is_some(),
                    is_tag: tag.ok()?.is_some(),
                    commit: commit.ok()?.and_then(|c| full_sha(&c["sha"])),
                })
            },
        )
    }

    /// The repository itself (one request per repository and run); `None` when it does not
    /// exist for this token or GitHub could not be asked.
    pub fn repository_info(&self, repository: &str) -> Option<Arc<RepoInfo>> {
        self.repo_info.get_or(repository.to_ascii_lowercase(), || {
            let repo = self
                .get(&format!("/repos/{repository}"), repository)
                .ok()??;
            Some(Arc::new(RepoInfo {
                default_branch: repo["default_branch"].as_str().map(str::to_string),
                archived: repo["archived"].as_bool() == Some(true),
            }))
        })
    }

    /// Default branch and the first page of tags and branches of `repository`.
    pub fn repository(&self, repository: &str) -> Option<Arc<RepoFacts>> {
        self.repos.get_or(repository.to_ascii_lowercase(), || {
            let info = self.repository_info(repository)?;
            Some(Arc::new(RepoFacts {
                default_branch: info.default_branch.clone(),
                tags: self.list(repository, "tags")?,
                branches: self.list(repository, "branches")?,
            }))
        })
    }

    /// `(name, commit)` of the tags or branches of `repository`, up to `LIST_PAGES` pages.
    fn list(&self, repository: &str, what: &str) -> Option<Vec<(String, String)>> {
        let mut out = Vec::new();
        for page in 1..=LIST_PAGES {
            let route = format!("/repos/{repository}/{what}?per_page=100&page={page}");
            let answer = self.get(&route, repository).ok()?;
            let items = heads(answer.as_ref());
            let full = items.len() == 100;
            out.extend(items);
            if !full {
                break;
            }
        }
        Some(out)
    }

    /// Whether `commit` is in the history of `repository`: the head of one of its first 300
    /// tags or branches, or an ancestor of its default branch, of `tag` (the version a comment
    /// names) or of a release branch. `None` when GitHub could not be asked.
    pub fn membership(
        &self,
        repository: &str,
        commit: &str,
        tag: Option<&str>,
    ) -> Option<Membership> {
        let key = (
            repository.to_ascii_lowercase(),
            commit.to_ascii_lowercase(),
            tag.map(str::to_string),
        );
        self.membership.get_or(key, || {
            let facts = self.repository(repository)?;
            let is_head = |list: &[(String, String)]| {
                list.iter().any(|(_, sha)| sha.eq_ignore_ascii_case(commit))
            };
            if is_head(&facts.tags) || is_head(&facts.branches) {
                return Some(Membership::Reachable);
            }
            let what = format!("{repository}@{commit}");
            let exists = self
                .get(&format!("/repos/{repository}/commits/{commit}"), &what)
                .ok()?
                .is_some();
            if !exists {
                return Some(Membership::Missing);
            }
            // Ancestry: the default branch, the tag the comment names, and release branches
            // (`releases/v3`, `v2`), where older major versions live on.
            let mut bases: Vec<&str> = facts.default_branch.as_deref().into_iter().collect();
            bases.extend(tag);
            bases.extend(
                facts
                    .branches
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .filter(|name| {
                        name.starts_with("release")
                            || (name.starts_with('v')
                                && name[1..].starts_with(|c: char| c.is_ascii_digit()))
                    })
                    .take(RELEASE_BRANCHES),
            );
            bases.dedup();
            for base in bases {
                let route = format!(
                    "/repos/{repository}/compare/{}...{commit}",
                    encode_path(base)
                );
                let answer = self.get(&route, &what).ok()?;
                let status = answer.as_ref().and_then(|a| a["status"].as_str());
                if matches!(status, Some("behind" | "identical")) {
                    return Some(Membership::Reachable);
                }
            }
            Some(Membership::Unreachable)
        })
    }

    /// The GitHub security advisories for actions of `repository` (reviewed, first 100).
    pub fn advisories(&self, repository: &str) -> Option<Arc<Vec<Advisory>>> {
        self.advisories.get_or(repository.to_ascii_lowercase(), || {
            let route = format!(
                "/advisories?ecosystem=actions&affects={}&per_page=100",
                encode_path(repository)
            );
            let list = self
                .get(&route, &format!("advisories of {repository}"))
                .ok()?;
            Some(Arc::new(parse_advisories(list.as_ref())))
        })
    }
}

fn full_sha(value: &Value) -> Option<String> {
    value
        .as_str()
        .filter(|s| is_commit_sha(s))
        .map(str::to_ascii_lowercase)
}

pub fn is_commit_sha(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `[{name, commit: {sha}}]` of the tags and branches APIs.
fn heads(list: Option<&Value>) -> Vec<(String, String)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| {
            Some((
                item["name"].as_str()?.to_string(),
                full_sha(&item["commit"]["sha"])?,
            ))
        })
        .collect()
}

fn parse_advisories(list: Option<&Value>) -> Vec<Advisory> {
    let mut out = Vec::new();
    for advisory in list.and_then(Value::as_array).into_iter().flatten() {
        let (Some(id), Some(vulnerabilities)) = (
            advisory["ghsa_id"].as_str(),
            advisory["vulnerabilities"].as_array(),
        ) else {
            continue;
        };
        if advisory["withdrawn_at"].as_str().is_some() {
            continue;
        }
        for v in vulnerabilities {
            if v["package"]["ecosystem"].as_str() != Some("actions") {
                continue;
            }
            let (Some(package), Some(range)) = (
                v["package"]["name"].as_str(),
                v["vulnerable_version_range"].as_str(),
            ) else {
                continue;
            };
            out.push(Advisory {
                id: id.to_string(),
                severity: advisory["severity"]
                    .as_str()
                    .unwrap_or("unknown")
                    .to_string(),
                summary: advisory["summary"].as_str().unwrap_or("").to_string(),
                package: package.to_string(),
                vulnerable_range: range.to_string(),
                first_patched: v["first_patched_version"]
                    .as_str()
                    .or(v["first_patched_version"]["identifier"].as_str())
                    .map(str::to_string),
            });
        }
    }
    out
}

/// A version as numbers: `v1.2.3` → [1, 2, 3]; pre-release and build suffixes are dropped.
pub fn version(text: &str) -> Option<Vec<u64>> {
    let text = text.trim();
    let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let core = text.split(['-', '+']).next()?;
    let parts: Option<Vec<u64>> = core.split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| !p.is_empty() && p.len() <= 4)
}

fn compare(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// Whether `version` is in an advisory range such as `>= 1.0.0, < 1.2.3` or `<= 45.0.7`.
/// A range that cannot be read matches nothing.
pub fn in_range(version: &[u64], range: &str) -> bool {
    let mut any = false;
    for constraint in range.split(',') {
        let constraint = constraint.trim();
        let (op, bound) = ["<=", ">=", "<", ">", "="]
            .iter()
            .find_map(|op| constraint.strip_prefix(op).map(|rest| (*op, rest)))
            .unwrap_or(("=", constraint));
        let Some(bound) = self::version(bound) else {
            return false;
        };
        let ordering = compare(version, &bound);
        let holds = match op {
            "<=" => ordering.is_le(),
            ">=" => ordering.is_ge(),
            "<" => ordering.is_lt(),
            ">" => ordering.is_gt(),
            _ => ordering.is_eq(),
        };
        if !holds {
            return false;
        }
        any = true;
    }
    any
}

/// The most precise version among the tags that point at `commit`: `v4.2.2` rather than `v4`.
pub fn version_of_commit(facts: &RepoFacts, commit: &str) -> Option<(String, Vec<u64>)> {
    facts
        .tags
        .iter()
        .filter(|(_, sha)| sha.eq_ignore_ascii_case(commit))
        .filter_map(|(name, _)| Some((name.clone(), version(name)?)))
        .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(compare(&a.1, &b.1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_ranges() {
        assert_eq!(version("v45.0.7"), Some(vec![45, 0, 7]));
        assert_eq!(version("4"), Some(vec![4]));
        assert_eq!(version("v1.2.3-beta.1"), Some(vec![1, 2, 3]));
        assert_eq!(version("main"), None);
        assert!(in_range(&[45, 0, 7], "<= 45.0.7"));
        assert!(!in_range(&[45, 0, 8], "<= 45.0.7"));
        assert!(in_range(&[1, 1], ">= 1.0.0, < 1.2.3"));
        assert!(!in_range(&[1, 2, 3], ">= 1.0.0, < 1.2.3"));
        assert!(in_range(&[2, 0, 0], "= 2.0.0"));
        assert!(!in_range(&[2, 0, 0], "nonsense"));
        assert!(!in_range(&[2, 0, 0], ""));
    }

    proptest::proptest! {
        // Versions and ranges come from tags and advisories: no text may make them panic.
        #[test]
        fn any_version_and_range_are_read_or_refused(
            v in "[vV]?[0-9.+-]{0,12}",
            range in "[<>=, 0-9.]{0,24}",
        ) {
            if let Some(numbers) = version(&v) {
                let _ = in_range(&numbers, &range);
            }
        }
    }

    #[test]
    fn the_most_precise_tag_names_the_version() {
        let sha = "a".repeat(40);
        let facts = RepoFacts {
            default_branch: None,
            tags: vec![
                ("v4".into(), sha.clone()),
                ("v4.2.2".into(), sha.clone()),
                ("v4.2.1".into(), "b".repeat(40)),
                ("latest".into(), sha.clone()),
            ],
            branches: vec![],
        };
        assert_eq!(
            version_of_commit(&facts, &sha),
            Some(("v4.2.2".to_string(), vec![4, 2, 2]))
        );
    }
}
