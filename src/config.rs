//! `portcullis.toml`: per-rule level, enable and options; path excludes; external ignores;
//! `fail-on`. Found at the scan root or above it (up to the repository root).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use crate::descriptor::RuleDescriptor;
use crate::finding::Level;
use crate::rules;

pub const FILE_NAMES: &[&str] = &[
    "portcullis.toml",
    ".portcullis.toml",
    ".github/portcullis.toml",
];

/// When the exit code is 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Note => "note",
            FailOn::Never => "never",
        }
    }

    pub fn threshold(self) -> Option<Level> {
        match self {
            FailOn::Error => Some(Level::Error),
            FailOn::Warning => Some(Level::Warning),
            FailOn::Note => Some(Level::Note),
            FailOn::Never => None,
        }
    }

    fn parse(text: &str) -> Option<FailOn> {
        match text {
            "error" => Some(FailOn::Error),
            "warning" => Some(FailOn::Warning),
            "note" => Some(FailOn::Note),
            "never" => Some(FailOn::Never),
            _ => None,
        }
    }
}

/// Files larger than this are not parsed (`max-file-size`); the secret scan still streams
/// over them.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// A configuration error: the file, the 1-based line and what is wrong with which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

/// Rule options that are allow lists with "an empty list allows everything": a repository
/// that sets one where the policy sets none narrows what is allowed (`untrusted-registry` is
/// inactive until it has a list). Every other allow list allows nothing extra when empty, so a
/// repository may not start one under a policy.
const EMPTY_ALLOWS_ALL: &[(&str, &str)] = &[
    ("untrusted-registry", "allow"),
    ("forbidden-action", "allow"),
];

/// Rule options that add checks rather than allow things: a repository's entries are added to
/// the policy's (`typosquatted-action.protect` guards more names).
const TIGHTENING: &[(&str, &str)] = &[
    ("typosquatted-action", "protect"),
    ("forbidden-action", "deny"),
];

/// How strict a fail threshold is: lower fails on more.
fn strictness(fail_on: FailOn) -> u8 {
    match fail_on {
        FailOn::Note => 0,
        FailOn::Warning => 1,
        FailOn::Error => 2,
        FailOn::Never => 3,
    }
}

/// An ignore written in the configuration rather than in the file.
#[derive(Debug, Clone)]
pub struct PathIgnore {
    pub paths: GlobSet,
    pub rules: Vec<String>,
    pub fingerprint: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The file the configuration came from, if any.
    pub source: Option<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub exclude: GlobSet,
    pub max_file_size: u64,
    pub levels: HashMap<&'static str, Level>,
    pub disabled: Vec<&'static str>,
    /// Rules the file enables explicitly (`enabled = true`): what a repository may turn back
    /// on under a policy that disables them.
    pub enabled_explicitly: Vec<&'static str>,
    pub options: HashMap<&'static str, HashMap<String, Vec<String>>>,
    pub ignores: Vec<PathIgnore>,
    /// Scan every text file for credentials, not only the configuration files.
    pub secrets_scope_all: bool,
    /// `[online] registries`: registries `--online` and `fix --pin` may ask besides the public
    /// ones they know (host names, `*.example.com` for every host below a domain).
    pub online_registries: Vec<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            source: None,
            fail_on: None,
            exclude: GlobSet::empty(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            levels: HashMap::new(),
            disabled: Vec::new(),
            enabled_explicitly: Vec::new(),
            options: HashMap::new(),
            ignores: Vec::new(),
            secrets_scope_all: false,
            online_registries: Vec::new(),
        }
    }
}

impl Config {
    pub fn enabled(&self, rule: &RuleDescriptor) -> bool {
        !self.disabled.contains(&rule.id)
    }

    pub fn level(&self, rule: &RuleDescriptor) -> Level {
        self.levels.get(rule.id).copied().unwrap_or(rule.level)
    }

    /// The configuration in force when an organization's `policy` governs this repository
    /// configuration: the repository may tighten what the policy sets, never loosen it.
    ///
    /// - `fail-on`: the stricter of the two; `max-file-size`: the policy's.
    /// - levels: a repository may raise a rule's level above the policy's (or the rule's
    ///   default), not lower it.
    /// - `enabled`: a repository may enable a rule the policy disables, not disable one.
    /// - `exclude`, `[[ignore]]`: the policy's only; the repository's are not applied. Inline
    ///   ignore comments still are (each is visible where it is written, and the step summary
    ///   lists those a pull request adds).
    /// - allow lists (rule options): a repository may narrow the policy's list (the
    ///   intersection is used), and may start one only where an empty list allows everything.
    /// - `secrets-scope = "all"` from either applies.
    ///
    /// What the repository asked for and did not get is returned, one line each, to be shown.
    pub fn under_policy(self, policy: &Config) -> (Config, Vec<String>) {
        let repo = self;
        let shown = repo.source.as_ref().map_or_else(
            || "the repository configuration".to_string(),
            |p| p.display().to_string(),
        );
        let mut refused = Vec::new();
        let mut out = policy.clone();
        out.source = repo.source.clone().or_else(|| policy.source.clone());
        // Without a `fail-on` of its own the policy holds the default, `error`.
        let floor = policy.fail_on.unwrap_or(FailOn::Error);
        out.fail_on = match repo.fail_on {
            Some(r) if strictness(r) > strictness(floor) => {
                refused.push(format!(
                    "{shown}: `fail-on = \"{}\"` is looser than the policy's `{}`; the policy's applies",
                    r.as_str(),
                    floor.as_str()
                ));
                policy.fail_on
            }
            Some(r) => Some(r),
            None => policy.fail_on,
        };
        // The policy's size limit: past it a file is a parse-error, so no value loosens the
        // gate, but a repository must not make every scan read gigabytes either.
        out.max_file_size = policy.max_file_size;
        if !repo.exclude.is_empty() {
            refused.push(format!(
                "{shown}: `exclude` is not applied under a policy; the policy decides what is excluded"
            ));
        }
        if !repo.ignores.is_empty() {
            refused.push(format!(
                "{shown}: {} `[[ignore]]` entries are not applied under a policy (inline ignore comments are)",
                repo.ignores.len()
            ));
        }
        for (&id, &level) in &repo.levels {
            let floor = policy
                .levels
                .get(id)
                .copied()
                .unwrap_or_else(|| rules::by_id(id).map_or(Level::Note, |rule| rule.level));
            if level >= floor {
                out.levels.insert(id, level);
            } else {
                refused.push(format!(
                    "{shown}: `rules.{id}.level = \"{}\"` is lower than the policy's `{}`; the policy's applies",
                    level.as_str(),
                    floor.as_str()
                ));
            }
        }
        for &id in &repo.disabled {
            if !policy.disabled.contains(&id) {
                refused.push(format!(
                    "{shown}: `rules.{id}.enabled = false` is not applied: the policy enables `{id}`"
                ));
            }
        }
        out.disabled
            .retain(|id| !repo.enabled_explicitly.contains(id));
        for (&id, options) in &repo.options {
            for (name, values) in options {
                let theirs = policy.options.get(id).and_then(|o| o.get(name));
                if TIGHTENING.contains(&(id, name.as_str())) {
                    let mut union = theirs.cloned().unwrap_or_default();
                    union.extend(
                        values
                            .iter()
                            .filter(|v| !union.contains(v))
                            .cloned()
                            .collect::<Vec<_>>(),
                    );
                    out.options
                        .entry(id)
                        .or_default()
                        .insert(name.clone(), union);
                    continue;
                }
                let narrowed = match theirs {
                    Some(allowed) => {
                        let kept: Vec<String> = values
                            .iter()
                            .filter(|v| allowed.contains(v))
                            .cloned()
                            .collect();
                        if kept.len() < values.len() {
                            refused.push(format!(
                                "{shown}: `rules.{id}.{name}` entries the policy does not allow are not applied"
                            ));
                        }
                        kept
                    }
                    None if EMPTY_ALLOWS_ALL.contains(&(id, name.as_str())) => values.clone(),
                    None => {
                        refused.push(format!(
                            "{shown}: `rules.{id}.{name}` is not applied: the policy allows nothing there"
                        ));
                        continue;
                    }
                };
                out.options
                    .entry(id)
                    .or_default()
                    .insert(name.clone(), narrowed);
            }
        }
        out.secrets_scope_all = policy.secrets_scope_all || repo.secrets_scope_all;
        // Which servers a runner contacts is the organization's choice, not a pull request's.
        if !repo.online_registries.is_empty() {
            refused.push(format!(
                "{shown}: `[online] registries` is not applied under a policy; the policy names the registries Portcullis may ask"
            ));
        }
        (out, refused)
    }

    /// Find the configuration for a scan of `root`: the first of `FILE_NAMES` in `root` or a
    /// parent folder, stopping at the repository root (a folder holding `.git`).
    pub fn discover(root: &Path) -> Option<PathBuf> {
        let start = if root.is_file() { root.parent()? } else { root };
        let mut dir = std::fs::canonicalize(start).ok()?;
        loop {
            for name in FILE_NAMES {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Some(candidate);
                }
            }
            if dir.join(".git").exists() || !dir.pop() {
                return None;
            }
        }
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: shown.clone(),
            line: 1,
            message: format!("cannot read: {e}"),
        })?;
        let mut config = Config::parse(&text, &shown)?;
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let err = |offset: usize, message: String| ConfigError {
            path: path.to_string(),
            line: line_of(offset),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            err(offset, e.message().trim().to_string())
        })?;

        let mut config = Config::default();
        if let Some(fail_on) = raw.fail_on {
            config.fail_on = Some(FailOn::parse(fail_on.get_ref()).ok_or_else(|| {
                err(
                    fail_on.span().start,
                    format!(
                        "key `fail-on`: `{}` is not one of error, warning, note, never",
                        fail_on.get_ref()
                    ),
                )
            })?);
        }
        if let Some(scope) = raw.secrets_scope {
            config.secrets_scope_all = match scope.get_ref().as_str() {
                "all" => true,
                "config" => false,
                other => {
                    return Err(err(
                        scope.span().start,
                        format!("key `secrets-scope`: `{other}` is not one of config, all"),
                    ));
                }
            };
        }
        if let Some(size) = raw.max_file_size {
            config.max_file_size = size;
        }
        let exclude: Vec<&str> = raw.exclude.iter().map(|s| s.get_ref().as_str()).collect();
        config.exclude = globs(&exclude)
            .map_err(|(i, e)| err(raw.exclude[i].span().start, format!("key `exclude`: {e}")))?;

        for (id, table) in &raw.rules {
            let Some(rule) = rules::by_id(id) else {
                return Err(err(
                    table_offset(text, id).unwrap_or(0),
                    format!("key `rules.{id}`: no such rule (`portcullis rules` lists them)"),
                ));
            };
            for (key, value) in table {
                let at = key_offset(text, rule.id, key);
                match key.as_str() {
                    "level" => {
                        let level = value.as_str().and_then(Level::parse).ok_or_else(|| {
                            err(at, format!("key `rules.{}.level`: expected \"error\", \"warning\" or \"note\"", rule.id))
                        })?;
                        config.levels.insert(rule.id, level);
                    }
                    "enabled" => {
                        let enabled = value.as_bool().ok_or_else(|| {
                            err(
                                at,
                                format!("key `rules.{}.enabled`: expected true or false", rule.id),
                            )
                        })?;
                        if enabled {
                            config.enabled_explicitly.push(rule.id);
                        } else {
                            config.disabled.push(rule.id);
                        }
                    }
                    option if rule.options.iter().any(|(name, _)| *name == option) => {
                        let values = match value {
                            toml::Value::String(s) => vec![s.clone()],
                            // A number option (`min-days = 7`) is kept as its digits.
                            toml::Value::Integer(n) => vec![n.to_string()],
                            toml::Value::Array(items) => items
                                .iter()
                                .map(|v| v.as_str().map(str::to_string))
                                .collect::<Option<Vec<_>>>()
                                .ok_or_else(|| {
                                    err(
                                        at,
                                        format!(
                                            "key `rules.{}.{option}`: expected a list of strings",
                                            rule.id
                                        ),
                                    )
                                })?,
                            _ => {
                                return Err(err(
                                    at,
                                    format!(
                                        "key `rules.{}.{option}`: expected a list of strings",
                                        rule.id
                                    ),
                                ));
                            }
                        };
                        if rule.id == "forbidden-action"
                            && let Some((pattern, why)) = values.iter().find_map(|v| {
                                crate::rules::actions::forbidden_action::invalid(v)
                                    .map(|why| (v, why))
                            })
                        {
                            return Err(err(
                                at,
                                format!(
                                    "key `rules.forbidden-action.{option}`: `{pattern}` has {why}"
                                ),
                            ));
                        }
                        config
                            .options
                            .entry(rule.id)
                            .or_default()
                            .insert(option.to_string(), values);
                    }
                    other => {
                        let known: Vec<_> = ["level", "enabled"]
                            .into_iter()
                            .chain(rule.options.iter().map(|(n, _)| *n))
                            .collect();
                        return Err(err(
                            at,
                            format!(
                                "key `rules.{}.{other}`: unknown (expected one of: {})",
                                rule.id,
                                known.join(", ")
                            ),
                        ));
                    }
                }
            }
        }

        for registry in raw.online.iter().flat_map(|online| &online.registries) {
            let host = registry.get_ref().trim().to_ascii_lowercase();
            if !is_registry_pattern(&host) {
                return Err(err(
                    registry.span().start,
                    format!(
                        "key `online.registries`: `{}` is not a registry host (`registry.example.com`, `registry.example.com:5000` or `*.example.com`)",
                        registry.get_ref()
                    ),
                ));
            }
            config.online_registries.push(host);
        }

        for ignore in &raw.ignore {
            let at = ignore.span().start;
            let entry = ignore.get_ref();
            for id in &entry.rules {
                if rules::by_id(id).is_none() {
                    return Err(err(at, format!("key `ignore.rules`: no such rule `{id}`")));
                }
            }
            let paths =
                globs(&entry.path).map_err(|(_, e)| err(at, format!("key `ignore.path`: {e}")))?;
            config.ignores.push(PathIgnore {
                paths,
                rules: entry.rules.clone(),
                fingerprint: entry.fingerprint.clone(),
                reason: entry.reason.clone(),
            });
        }
        Ok(config)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    max_file_size: Option<u64>,
    secrets_scope: Option<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<String, toml::Table>,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
    online: Option<RawOnline>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOnline {
    #[serde(default)]
    registries: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    #[serde(deserialize_with = "one_or_many")]
    path: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
    fingerprint: Option<String>,
    reason: Option<String>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// Where `key = …` is written in the `[rules.<id>]` table (or as a dotted key), for error lines.
fn key_offset(text: &str, id: &str, key: &str) -> usize {
    let Some(table) = table_offset(text, id) else {
        return 0;
    };
    let mut offset = table;
    for (i, line) in text[table..].split_inclusive('\n').enumerate() {
        let t = line.trim_start();
        if i > 0 && t.starts_with('[') {
            break;
        }
        let t = t.strip_prefix(&format!("rules.{id}.")).unwrap_or(t);
        if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
            return offset;
        }
        offset += line.len();
    }
    table
}

/// Where `[rules.<id>]` (or a dotted `rules.<id>.` key) is written.
fn table_offset(text: &str, id: &str) -> Option<usize> {
    let needle = format!("rules.{id}");
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start().trim_start_matches('[').trim_start();
        if t.starts_with(&needle) {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// A registry host as `[online] registries` names one: a host name with an optional port, or
/// `*.` and a domain of at least two labels. No scheme, path or user.
fn is_registry_pattern(text: &str) -> bool {
    let host = text.strip_prefix("*.").unwrap_or(text);
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let labels_ok = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let wildcard_ok = !text.starts_with("*.") || name.contains('.');
    labels_ok && port_ok && wildcard_ok
}

/// A glob set where `dir` also matches everything below it. Paths are matched as displayed.
pub fn globs<S: AsRef<str>>(patterns: &[S]) -> Result<GlobSet, (usize, String)> {
    let mut builder = GlobSetBuilder::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let p = pattern
            .as_ref()
            .trim_start_matches("./")
            .trim_end_matches('/');
        for candidate in [p.to_string(), format!("{p}/**")] {
            let glob = Glob::new(&candidate).map_err(|e| (i, e.kind().to_string()))?;
            builder.add(glob);
        }
    }
    builder.build().map_err(|e| (0, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let text = r#"
fail-on = "warning"
exclude = ["fixtures", "tests/**/*.yml"]

[rules.latest-tag]
level = "error"

[rules.unpinned-image]
enabled = false

[rules.unpinned-action]
allow = ["actions/*"]

[[ignore]]
path = "legacy/**"
rules = ["privileged"]
reason = "scheduled for removal"
"#;
        let c = Config::parse(text, "portcullis.toml").unwrap();
        assert_eq!(c.fail_on, Some(FailOn::Warning));
        assert!(c.exclude.is_match("fixtures/a/Dockerfile"));
        assert!(c.exclude.is_match("tests/x/y/compose.yml"));
        assert!(!c.exclude.is_match("src/Dockerfile"));
        assert_eq!(
            c.level(&rules::images::latest_tag::LATEST_TAG),
            Level::Error
        );
        assert!(!c.enabled(&rules::images::unpinned_image::UNPINNED_IMAGE));
        assert_eq!(c.options["unpinned-action"]["allow"], ["actions/*"]);
        assert!(c.ignores[0].paths.is_match("legacy/compose.yml"));
    }

    #[test]
    fn errors_name_file_line_and_key() {
        let e = Config::parse("\n\n[rules.latset-tag]\nlevel = \"error\"\n", "p.toml").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("rules.latset-tag"), "{e}");

        let e = Config::parse("[rules.latest-tag]\n\nlevel = \"fatal\"\n", "p.toml").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("rules.latest-tag.level"), "{e}");

        let e = Config::parse("[rules.latest-tag]\nallow = []\n", "p.toml").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("rules.latest-tag.allow"), "{e}");

        let e = Config::parse("fail-on = \"sometimes\"\n", "p.toml").unwrap_err();
        assert!(e.message.contains("fail-on"), "{e}");

        let e = Config::parse("\nunknown-key = 1\n", "p.toml").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unknown-key"), "{e}");
        assert_eq!(e.to_string().split(':').next(), Some("p.toml"));
    }

    #[test]
    fn online_registries_are_host_names() {
        let c = Config::parse(
            "[online]\nregistries = [\"Registry.Example.com\", \"cr.example:5000\", \"*.corp.example\"]\n",
            "p.toml",
        )
        .unwrap();
        assert_eq!(
            c.online_registries,
            ["registry.example.com", "cr.example:5000", "*.corp.example"]
        );
        for bad in [
            "https://registry.example.com",
            "registry.example.com/team",
            "user@registry.example.com",
            "*.com",
            "*",
            "",
            "cr.example:",
            "cr.example:http",
            "bad host",
            "a..b",
        ] {
            let text = format!("\n[online]\nregistries = [{bad:?}]\n");
            let e = Config::parse(&text, "p.toml").unwrap_err();
            assert!(e.message.contains("online.registries"), "{bad}: {e}");
            assert_eq!(e.line, 3, "{bad}");
        }
        assert!(Config::parse("[online]\nservers = []\n", "p.toml").is_err());
    }

    #[test]
    fn forbidden_action_patterns_are_checked_at_load() {
        for (bad, why) in [
            ("actions", "without `/<repo>`"),
            ("actions//x", "empty segment"),
        ] {
            let text = format!("\n[rules.forbidden-action]\nallow = [{bad:?}]\n");
            let e = Config::parse(&text, "p.toml").unwrap_err();
            assert!(e.message.contains(why), "{e}");
            assert_eq!(e.line, 3, "{e}");
        }
        assert!(
            Config::parse(
                "[rules.forbidden-action]\ndeny = [\"*\", \"a/b@v1\"]\n",
                "p.toml"
            )
            .is_ok()
        );
    }
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(text, "test.toml").unwrap()
    }

    #[test]
    fn a_repository_tightens_and_never_loosens() {
        let policy = config(
            "fail-on = \"warning\"\nmax-file-size = 1000\nexclude = [\"vendor-x/**\"]\n[rules.sudo-in-run]\nenabled = false\n[rules.unpinned-action]\nallow = [\"acme/*\", \"corp/*\"]\n",
        );
        let repo = config(
            "fail-on = \"never\"\nmax-file-size = 5000\n[rules.sudo-in-run]\nenabled = true\n[rules.privileged]\nenabled = false\n[rules.unpinned-action]\nallow = [\"acme/*\", \"evil/*\"]\n[rules.untrusted-registry]\nallow = [\"ghcr.io/acme\"]\n",
        );
        let (merged, refused) = repo.under_policy(&policy);
        assert_eq!(merged.fail_on, Some(FailOn::Warning));
        assert_eq!(merged.max_file_size, 1000);
        assert!(
            refused.iter().any(|r| r.contains("fail-on")),
            "{refused:#?}"
        );
        assert!(merged.exclude.is_match("vendor-x/a"));
        assert!(merged.disabled.is_empty(), "{:?}", merged.disabled);
        assert_eq!(
            merged.options["unpinned-action"]["allow"],
            vec!["acme/*".to_string()]
        );
        assert_eq!(
            merged.options["untrusted-registry"]["allow"],
            vec!["ghcr.io/acme".to_string()]
        );
        assert_eq!(refused.len(), 3, "{refused:#?}");

        // Stricter settings of the repository are kept.
        let strict = config("fail-on = \"note\"\n[rules.latest-tag]\nlevel = \"error\"\n");
        let (merged, refused) = strict.under_policy(&policy);
        assert_eq!(merged.fail_on, Some(FailOn::Note));
        assert_eq!(merged.levels["latest-tag"], Level::Error);
        assert!(refused.is_empty(), "{refused:#?}");
    }
}
