//! `org plan`: which repositories of an organization to scan, split into matrix jobs.

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde_json::{Value, json};

use crate::github::{block_on, client, describe};

/// GitHub runs at most 256 jobs from one matrix.
pub const MAX_JOBS: usize = 256;

/// Repositories are listed 100 a page; past this many pages (100,000 repositories) the listing
/// is refused rather than silently cut.
const MAX_PAGES: u32 = 1000;

/// Which repositories to keep.
#[derive(Debug, Default)]
pub struct Selection {
    /// Globs over the repository's name (without the owner); empty keeps every name.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Keep repositories with at least one of these topics; empty keeps every repository.
    pub topics: Vec<String>,
    pub archived: bool,
    pub forks: bool,
}

/// One listed repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub full_name: String,
    pub archived: bool,
    pub fork: bool,
    /// GitHub's size of the repository, in KB.
    pub size_kb: u64,
    pub topics: Vec<String>,
    /// A repository GitHub has disabled (its contents cannot be read).
    pub disabled: bool,
}

/// What the plan left out, and why, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    pub archived: usize,
    pub forks: usize,
    pub disabled: usize,
    pub by_name: usize,
    pub by_topic: usize,
}

/// A plan: the jobs, each a list of repositories, and what was left out.
#[derive(Debug)]
pub struct Plan {
    pub listed: usize,
    pub jobs: Vec<Vec<String>>,
    pub skipped: Skipped,
}

impl Plan {
    /// The matrix for `strategy.matrix`: `{"include": [{"job": "1/3", "repositories": "a/b c/d"}]}`.
    /// Names are separated by spaces (they hold none) so a job reads them from one variable.
    pub fn matrix(&self) -> Value {
        let total = self.jobs.len();
        json!({
            "include": self.jobs.iter().enumerate().map(|(i, repositories)| json!({
                "job": format!("{}/{total}", i + 1),
                "repositories": repositories.join(" "),
            })).collect::<Vec<_>>()
        })
    }

    pub fn repositories(&self) -> usize {
        self.jobs.iter().map(Vec::len).sum()
    }
}

/// List the repositories of organization `org` (every page, waiting out rate limits).
pub fn list(api_url: &str, token: &str, org: &str) -> Result<Vec<Listed>, String> {
    if org.is_empty()
        || !org
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(format!("`{org}` is not an organization's name"));
    }
    block_on(async {
        let client = client(api_url, token)?;
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let route =
                format!("/orgs/{org}/repos?type=all&sort=full_name&per_page=100&page={page}");
            let answer = super::get_patiently(&client, &route).await.map_err(|e| {
                describe(
                    e,
                    &format!("listing the repositories of {org} (page {page})"),
                )
            })?;
            let items = answer.as_array().ok_or_else(|| {
                format!("listing the repositories of {org}: GitHub's answer is not a list")
            })?;
            for item in items {
                out.push(listed(item).ok_or_else(|| {
                    format!("listing the repositories of {org}: an entry has no valid `full_name`")
                })?);
            }
            if items.len() < 100 {
                return Ok(out);
            }
        }
        Err(format!(
            "{org} has more than {} repositories; narrow the plan with --include",
            MAX_PAGES * 100
        ))
    })?
}

fn listed(item: &Value) -> Option<Listed> {
    let full_name = item["full_name"]
        .as_str()
        .filter(|n| super::is_repository_name(n))?;
    Some(Listed {
        full_name: full_name.to_string(),
        archived: item["archived"].as_bool().unwrap_or(false),
        fork: item["fork"].as_bool().unwrap_or(false),
        size_kb: item["size"].as_u64().unwrap_or(0),
        topics: item["topics"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        disabled: item["disabled"].as_bool().unwrap_or(false),
    })
}

fn globs(patterns: &[String]) -> Result<GlobSet, String> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        set.add(
            Glob::new(pattern).map_err(|e| format!("`{pattern}` is not a glob: {}", e.kind()))?,
        );
    }
    set.build().map_err(|e| e.to_string())
}

/// Keep what `selection` asks for and split it into at most `max_jobs` jobs of at least
/// `min_per_job` repositories (fewer only when there are fewer), balanced by weight.
pub fn plan(
    listed: Vec<Listed>,
    selection: &Selection,
    max_jobs: usize,
    min_per_job: usize,
) -> Result<Plan, String> {
    let include = globs(&selection.include)?;
    let exclude = globs(&selection.exclude)?;
    let mut skipped = Skipped::default();
    let total = listed.len();
    let mut kept = Vec::new();
    for repository in listed {
        let name = repository
            .full_name
            .split_once('/')
            .map_or("", |(_, name)| name);
        if repository.disabled {
            skipped.disabled += 1;
        } else if repository.archived && !selection.archived {
            skipped.archived += 1;
        } else if repository.fork && !selection.forks {
            skipped.forks += 1;
        } else if (!selection.include.is_empty() && !include.is_match(name))
            || exclude.is_match(name)
        {
            skipped.by_name += 1;
        } else if !selection.topics.is_empty()
            && !repository
                .topics
                .iter()
                .any(|t| selection.topics.contains(t))
        {
            skipped.by_topic += 1;
        } else {
            kept.push(repository);
        }
    }
    let jobs = balance(kept, max_jobs.clamp(1, MAX_JOBS), min_per_job.max(1));
    Ok(Plan {
        listed: total,
        jobs,
        skipped,
    })
}

/// The cost of scanning a repository, in units of one tree listing and scan start: the fixed
/// requests, plus one unit per 10 MB of repository (larger trees, more files to fetch).
fn weight(repository: &Listed) -> u64 {
    1 + repository.size_kb / 10_240
}

/// Largest first into the lightest job: within 4/3 of the best split, and stable (the same
/// listing gives the same jobs, names sorted in each).
fn balance(mut repositories: Vec<Listed>, max_jobs: usize, min_per_job: usize) -> Vec<Vec<String>> {
    if repositories.is_empty() {
        return Vec::new();
    }
    let count = max_jobs
        .min(repositories.len().div_ceil(min_per_job))
        .max(1);
    repositories.sort_by(|a, b| {
        weight(b)
            .cmp(&weight(a))
            .then_with(|| a.full_name.cmp(&b.full_name))
    });
    let mut jobs: Vec<(u64, Vec<String>)> = vec![(0, Vec::new()); count];
    for repository in repositories {
        let lightest = (0..count)
            .min_by_key(|&i| (jobs[i].0, jobs[i].1.len(), i))
            .unwrap_or(0);
        jobs[lightest].0 += weight(&repository);
        jobs[lightest].1.push(repository.full_name);
    }
    jobs.into_iter()
        .map(|(_, mut names)| {
            names.sort();
            names
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str, size_kb: u64) -> Listed {
        Listed {
            full_name: format!("acme/{name}"),
            archived: false,
            fork: false,
            size_kb,
            topics: Vec::new(),
            disabled: false,
        }
    }

    #[test]
    fn selection_skips_archived_forks_and_filtered_names() {
        let mut listed = vec![
            repo("api", 10),
            repo("web", 10),
            repo("docs-site", 10),
            repo("old", 1),
        ];
        listed[3].archived = true;
        listed.push(Listed {
            fork: true,
            ..repo("fork", 1)
        });
        listed.push(Listed {
            topics: vec!["prod".into()],
            ..repo("svc", 1)
        });
        let selection = Selection {
            exclude: vec!["docs-*".into()],
            ..Selection::default()
        };
        let plan = plan(listed.clone(), &selection, 256, 1).unwrap();
        let names: Vec<_> = plan.jobs.concat();
        assert_eq!(names.len(), 3, "{names:?}");
        assert_eq!(
            plan.skipped,
            Skipped {
                archived: 1,
                forks: 1,
                by_name: 1,
                ..Skipped::default()
            }
        );

        let selection = Selection {
            topics: vec!["prod".into()],
            archived: true,
            forks: true,
            ..Selection::default()
        };
        let topical = super::plan(listed, &selection, 256, 1).unwrap();
        assert_eq!(topical.jobs.concat(), ["acme/svc"]);
        assert_eq!(topical.skipped.by_topic, 5);
    }

    #[test]
    fn jobs_are_bounded_and_balanced() {
        let listed: Vec<_> = (0..10_000)
            .map(|i| repo(&format!("r{i:05}"), (i % 97) * 1000))
            .collect();
        let plan = plan(listed, &Selection::default(), 256, 10).unwrap();
        assert_eq!(plan.jobs.len(), 256);
        assert_eq!(plan.repositories(), 10_000);
        let weights: Vec<u64> = plan
            .jobs
            .iter()
            .map(|job| {
                job.iter()
                    .map(|n| {
                        let i: u64 = n[6..].parse().unwrap();
                        1 + (i % 97) * 1000 / 10_240
                    })
                    .sum()
            })
            .collect();
        let (min, max) = (weights.iter().min().unwrap(), weights.iter().max().unwrap());
        assert!(max - min <= 10, "{min}..{max}");

        let few: Vec<_> = (0..25).map(|i| repo(&format!("r{i}"), 1)).collect();
        let plan = super::plan(few, &Selection::default(), 256, 10).unwrap();
        assert_eq!(
            plan.jobs.iter().map(Vec::len).collect::<Vec<_>>(),
            [9, 8, 8]
        );
        let matrix = plan.matrix();
        assert_eq!(matrix["include"][0]["job"], "1/3");
        assert!(
            super::plan(Vec::new(), &Selection::default(), 256, 10)
                .unwrap()
                .jobs
                .is_empty()
        );
    }

    #[test]
    fn a_bad_glob_is_an_error() {
        let selection = Selection {
            include: vec!["a[".into()],
            ..Selection::default()
        };
        assert!(plan(vec![repo("a", 1)], &selection, 256, 1).is_err());
    }
}
