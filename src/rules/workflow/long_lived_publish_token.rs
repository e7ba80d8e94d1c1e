use crate::parse::shell::{self, Command};
use crate::parse::yaml::{Entry, Node};
use crate::parse::{Document, workflow};
use crate::rules::{Context, declare_rule};
use crate::source::Span;

declare_rule! {
    /// ## What it does
    /// Flags a long-lived secret used to publish to a registry that offers trusted publishing
    /// (OIDC): the public PyPI, npm, Rust (cargo), RubyGems and NuGet registries. The credential is
    /// a `secrets.*` reference (not `github.token`, `secrets.GITHUB_TOKEN` or a step output from
    /// an OIDC exchange) supplied as:
    /// - an action input: `pypa/gh-action-pypi-publish` `password`, `katyo/publish-crates`
    ///   `registry-token`, `JS-DevTools/npm-publish` `token`,
    ///   `rubygems/configure-rubygems-credentials` `api-token` (with a later `gem push` or
    ///   `rake release`);
    /// - an environment variable of the step, job or workflow that the publish command reads:
    ///   `TWINE_PASSWORD`, `UV_PUBLISH_TOKEN`, `POETRY_PYPI_TOKEN_PYPI`, `HATCH_INDEX_AUTH`,
    ///   `PDM_PUBLISH_PASSWORD`, `FLIT_PASSWORD`, `MATURIN_PYPI_TOKEN`… for Python;
    ///   `NODE_AUTH_TOKEN`, `NPM_TOKEN`, `YARN_NPM_AUTH_TOKEN` for npm;
    ///   `CARGO_REGISTRY_TOKEN` for cargo; `GEM_HOST_API_KEY` for RubyGems;
    /// - a command argument: `-p`/`--password`, `--token`, `-k`/`--api-key`;
    /// - credentials written earlier in the job from a secret: `.npmrc` `_authToken=`,
    ///   `.pypirc` `password`, `~/.gem/credentials`, `cargo login`, `credentials.toml`.
    ///
    /// Publish commands: `twine upload`, `uv publish`, `poetry`/`hatch`/`pdm`/`flit publish`,
    /// `maturin publish|upload`, `npm`/`pnpm`/`bun`/`yarn publish`, `semantic-release`,
    /// `changeset publish`, `lerna publish`, `cargo publish`, `gem push`, `rake release`,
    /// `dotnet nuget push`, `nuget push` (not `--dry-run`). Silent when another registry is
    /// targeted: a repository or registry URL (`--repository-url`, `-r`, `--registry`,
    /// `registry-url` of `actions/setup-node`, `gem push --host`, nuget `--source`) on GitHub
    /// Packages or matching the `private-registries` option, or `cargo
    /// publish --registry|--index`; and npm publishes from a `self-hosted` runner, where npm
    /// refuses trusted publishing. `id-token: write` does not silence a finding: the long-lived
    /// token still exists. The finding points at the credential (the input key, the `env:` entry
    /// or the argument), with every publish it reaches as a related location.
    ///
    /// ## Why is this bad?
    /// A publish token lives until someone revokes it, and anyone who obtains it — from a leaked
    /// log, a compromised action, a cache — can publish a malicious release. Trusted publishing
    /// exchanges the workflow's OIDC identity for a token that lasts minutes and only this
    /// workflow can obtain.
    ///
    /// ## Example
    /// ```yaml
    /// on: release
    /// permissions: {}
    /// jobs:
    ///   publish:
    ///     runs-on: ubuntu-24.04
    ///     steps:
    ///       - uses: pypa/gh-action-pypi-publish@76f52bc884231f62b9a034ebfe128415bbaabdfc # v1.12.4
    ///         with:
    ///           password: ${{ secrets.PYPI_API_TOKEN }}
    /// ```
    ///
    /// ## Use instead
    /// ```yaml
    /// on: release
    /// permissions: {}
    /// jobs:
    ///   publish:
    ///     runs-on: ubuntu-24.04
    ///     permissions:
    ///       id-token: write
    ///     steps:
    ///       - uses: pypa/gh-action-pypi-publish@76f52bc884231f62b9a034ebfe128415bbaabdfc # v1.12.4
    /// ```
    pub static LONG_LIVED_PUBLISH_TOKEN = {
        id: "long-lived-publish-token",
        summary: "long-lived token publishes where trusted publishing exists",
        level: Warning,
        kinds: [Workflow],
        tags: ["security", "supply-chain", "external/cwe/cwe-522"],
        security_severity: Some("5.0"),
        options: [(
            "private-registries",
            "host globs of registries that are not the public ones (`*.corp.example`)"
        )],
        check: Some(check),
    }
}

const HELP: &str = "use trusted publishing: grant `id-token: write` to the publishing job, register the workflow with the registry, and delete the token";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Registry {
    PyPi,
    Npm,
    Cargo,
    RubyGems,
    NuGet,
}

/// The environment variables each registry's tools read a token from.
fn env_names(registry: Registry) -> &'static [&'static str] {
    match registry {
        Registry::PyPi => &[
            "TWINE_PASSWORD",
            "UV_PUBLISH_TOKEN",
            "UV_PUBLISH_PASSWORD",
            "POETRY_PYPI_TOKEN_PYPI",
            "POETRY_HTTP_BASIC_PYPI_PASSWORD",
            "HATCH_INDEX_AUTH",
            "PDM_PUBLISH_PASSWORD",
            "FLIT_PASSWORD",
            "MATURIN_PYPI_TOKEN",
            "MATURIN_PASSWORD",
        ],
        Registry::Npm => &[
            "NODE_AUTH_TOKEN",
            "NPM_TOKEN",
            "NPM_AUTH_TOKEN",
            "YARN_NPM_AUTH_TOKEN",
        ],
        Registry::Cargo => &["CARGO_REGISTRY_TOKEN", "CARGO_REGISTRIES_CRATES_IO_TOKEN"],
        Registry::RubyGems => &["GEM_HOST_API_KEY", "RUBYGEMS_API_KEY"],
        Registry::NuGet => &[],
    }
}

/// A long-lived secret reference: `${{ secrets.X }}`, not the job token.
fn long_lived(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("${{secrets.")
        && !compact.contains("secrets.GITHUB_TOKEN")
        && !compact.contains("github.token")
}

fn check(doc: &Document, cx: &mut Context) {
    let Document::Workflow(root) = doc else {
        return;
    };
    let private = cx.option("private-registries").to_vec();
    // Credential location → (message, publishes it reaches).
    let mut findings: Vec<(Span, String, Vec<Span>)> = Vec::new();
    let mut add = |credential: Span, message: String, publish: Span| match findings
        .iter_mut()
        .find(|(s, ..)| *s == credential)
    {
        Some((_, _, related)) => related.push(publish),
        None => findings.push((credential, message, vec![publish])),
    };
    let workflow_env = root.get("env");
    for job in workflow::jobs(root) {
        let self_hosted = job
            .get("runs-on")
            .is_some_and(|r| node_text(r).contains("self-hosted"));
        let steps: Vec<&Node> = job.steps().collect();
        // A registry URL of `actions/setup-node` (GitHub Packages or private) holds for the job.
        let npm_elsewhere = steps.iter().any(|s| {
            workflow::action_name(s).as_deref() == Some("actions/setup-node")
                && s.get("with")
                    .and_then(|w| w.get("registry-url"))
                    .and_then(Node::as_str)
                    .is_some_and(|u| elsewhere(u, &private))
        });
        let job_env = job.get("env");
        for (index, step) in steps.iter().enumerate() {
            let action = workflow::action_name(step).unwrap_or_default();
            let with = step.get("with");
            let input = |key: &str| with.and_then(|w| w.entry(key));
            // Action inputs.
            let inputs: &[(&str, &str)] = &[
                ("pypa/gh-action-pypi-publish", "password"),
                ("katyo/publish-crates", "registry-token"),
                ("js-devtools/npm-publish", "token"),
            ];
            for (name, key) in inputs {
                if action == *name
                    && let Some(entry) = input(key)
                    && entry.value.as_str().is_some_and(long_lived)
                {
                    let url = input("repository-url")
                        .or_else(|| input("repository_url"))
                        .or_else(|| input("registry"))
                        .and_then(|e| e.value.as_str());
                    if url.is_none_or(|u| !elsewhere(u, &private)) {
                        add(
                            entry.key.span,
                            format!(
                                "`{key}` of `{name}` is a long-lived token; the registry offers trusted publishing"
                            ),
                            step.span,
                        );
                    }
                }
            }
            if action == "rubygems/configure-rubygems-credentials"
                && let Some(entry) = input("api-token")
                && entry.value.as_str().is_some_and(long_lived)
                && steps[index + 1..].iter().any(|s| {
                    publishes(s, cx)
                        .iter()
                        .any(|(registry, ..)| *registry == Registry::RubyGems)
                })
            {
                add(
                    entry.key.span,
                    "`api-token` is a long-lived RubyGems token; RubyGems offers trusted publishing".to_string(),
                    step.span,
                );
            }
            if action == "rubygems/release-gem"
                && input("setup-trusted-publisher")
                    .and_then(|e| e.value.as_str())
                    .is_some_and(|v| v == "false")
                && let Some(entry) = ["GEM_HOST_API_KEY", "RUBYGEMS_API_KEY"]
                    .iter()
                    .find_map(|n| nearest(step, job_env, workflow_env, n))
                    .filter(|e| e.value.as_str().is_some_and(long_lived))
            {
                add(
                    entry.key.span,
                    format!(
                        "`{}` is a long-lived RubyGems token; RubyGems offers trusted publishing",
                        entry.key_str().unwrap_or("")
                    ),
                    step.span,
                );
            }
            // Credentials written from a secret for a later publish: `.npmrc` `_authToken=`,
            // `.pypirc` `password`, `~/.gem/credentials`, `cargo login`, `credentials.toml`.
            if let Some(run) = step.get("run")
                && let Some(script) = run.as_str()
            {
                for (registry, range) in written_credentials(script) {
                    let later = steps[index..]
                        .iter()
                        .flat_map(|s| publishes(s, cx))
                        .filter(|(r, cmd, _)| {
                            *r == registry
                                && !targets_elsewhere(cmd, *r, &private)
                                && !(*r == Registry::Npm && (self_hosted || npm_elsewhere))
                        })
                        .map(|(.., span)| span)
                        .collect::<Vec<_>>();
                    let credential = run.subspan(&cx.file.text, range);
                    for publish in later {
                        add(
                            credential,
                            "A long-lived token is written to the registry's credentials for a later publish; the registry offers trusted publishing".to_string(),
                            publish,
                        );
                    }
                }
            }
            // Publish commands in `run:`.
            for (registry, cmd, publish_span) in publishes(step, cx) {
                if registry == Registry::Npm && (self_hosted || npm_elsewhere) {
                    continue;
                }
                if targets_elsewhere(&cmd, registry, &private) {
                    continue;
                }
                // A token given as an argument.
                if let Some(word) = token_argument(&cmd) {
                    add(
                        word,
                        "A long-lived token is passed to a publish command; the registry offers trusted publishing".to_string(),
                        publish_span,
                    );
                    continue;
                }
                for name in env_names(registry) {
                    if let Some(entry) = nearest(step, job_env, workflow_env, name)
                        && entry.value.as_str().is_some_and(long_lived)
                    {
                        add(
                            entry.key.span,
                            format!(
                                "`{name}` is a long-lived token used to publish; the registry offers trusted publishing"
                            ),
                            publish_span,
                        );
                        break;
                    }
                }
            }
        }
    }
    for (span, message, related) in findings {
        let draft = cx.report(span, message);
        draft.help(HELP);
        for publish in related {
            draft.related(publish, "publishes with it");
        }
    }
}

/// The nearest `env:` binding of `name`: the step's, the job's, then the workflow's.
fn nearest<'a>(
    step: &'a Node,
    job_env: Option<&'a Node>,
    workflow_env: Option<&'a Node>,
    name: &str,
) -> Option<&'a Entry> {
    [step.get("env"), job_env, workflow_env]
        .into_iter()
        .flatten()
        .find_map(|map| map.entry(name))
}

fn node_text(node: &Node) -> String {
    if let Some(text) = node.as_str() {
        return text.to_string();
    }
    node.as_seq()
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A URL of GitHub Packages or of a registry the `private-registries` option names.
fn elsewhere(url: &str, private: &[String]) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest
        .split(['/', ':', '?'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    host.ends_with("pkg.github.com")
        || private.iter().any(|p| {
            let p = p.to_ascii_lowercase();
            match p.strip_prefix("*.") {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => host == p,
            }
        })
}

/// Every publish command of a step's `run:`, with its registry and where it is written.
fn publishes(step: &Node, cx: &Context) -> Vec<(Registry, Command, Span)> {
    let Some(run) = step.get("run") else {
        return Vec::new();
    };
    if run.as_str().is_none() {
        return Vec::new();
    }
    cx.run_script(run)
        .commands
        .iter()
        .filter_map(|cmd| {
            let registry = publish_registry(cmd)?;
            let span = cmd.span().unwrap_or(run.span);
            Some((registry, cmd.clone(), span))
        })
        .collect()
}

/// The registry a command publishes to, if it is a publish (and not a dry run).
fn publish_registry(cmd: &Command) -> Option<Registry> {
    let words: Vec<&str> = cmd.words.iter().map(|w| w.text.as_str()).collect();
    if words.iter().any(|w| matches!(*w, "--dry-run" | "-n")) {
        return None;
    }
    let program = cmd.program()?;
    let at = |i: usize| words.get(i).copied().unwrap_or("");
    // `python -m twine upload`, `uvx twine upload`, `npx npm publish`, `bundle exec rake release`.
    // A runner's package argument may carry a version: `twine==6.1.0`, `npm@10`.
    let name_of = |w: &str| -> String {
        w.rsplit('/')
            .next()
            .unwrap_or("")
            .split(['=', '@', '<', '>'])
            .next()
            .unwrap_or("")
            .to_string()
    };
    let (program, rest): (String, usize) = match program {
        p if p.starts_with("python") && at(1) == "-m" => (at(2).to_string(), 3),
        "pipx" if at(1) == "run" => (name_of(at(2)), 3),
        "uvx" | "pipx" | "npx" | "bunx" => (name_of(at(1)), 2),
        "bundle" if at(1) == "exec" => (at(2).to_string(), 3),
        p => (p.to_string(), 1),
    };
    let program = program.as_str();
    let sub = at(rest);
    let sub2 = at(rest + 1);
    match (program, sub) {
        ("twine", "upload") => Some(Registry::PyPi),
        ("uv", "publish")
        | ("poetry", "publish")
        | ("hatch", "publish")
        | ("pdm", "publish")
        | ("flit", "publish") => Some(Registry::PyPi),
        ("maturin", "publish" | "upload") => Some(Registry::PyPi),
        ("npm" | "pnpm" | "bun", "publish") => Some(Registry::Npm),
        ("yarn", "publish") => Some(Registry::Npm),
        ("yarn", "npm") if sub2 == "publish" => Some(Registry::Npm),
        ("semantic-release", _) => Some(Registry::Npm),
        ("changeset", "publish") | ("lerna", "publish") => Some(Registry::Npm),
        ("cargo", "publish") => Some(Registry::Cargo),
        ("gem", "push") | ("rake", "release") => Some(Registry::RubyGems),
        ("dotnet", "nuget") if sub2 == "push" => Some(Registry::NuGet),
        ("nuget", "push") => Some(Registry::NuGet),
        _ => None,
    }
}

/// Whether the command names another registry than the public one.
fn targets_elsewhere(cmd: &Command, registry: Registry, private: &[String]) -> bool {
    let args = cmd.args();
    if registry == Registry::Cargo
        && args
            .iter()
            .any(|w| shell::flag_matches(&w.text, &["--registry", "--index"]))
    {
        return true;
    }
    let url_flags = [
        "--repository-url",
        "-r",
        "--repository",
        "--registry",
        "--host",
        "--source",
        "-s",
    ];
    args.iter().enumerate().any(|(i, w)| {
        let value = if let Some((flag, value)) = w.text.split_once('=') {
            url_flags.contains(&flag).then_some(value)
        } else if url_flags.contains(&w.text.as_str()) {
            args.get(i + 1).map(|n| n.text.as_str())
        } else {
            None
        };
        value.is_some_and(|v| elsewhere(v, private))
    })
}

/// Secret expressions a script writes into a registry's credentials: (registry, byte range of
/// the expression in the script).
fn written_credentials(script: &str) -> Vec<(Registry, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in script.split_inclusive('\n') {
        let registry = if line.contains("_authToken") {
            Some(Registry::Npm)
        } else if line.contains(".pypirc") || line.trim_start().starts_with("password") {
            Some(Registry::PyPi)
        } else if line.contains("cargo login") || line.contains("credentials.toml") {
            Some(Registry::Cargo)
        } else if line.contains(".gem/credentials") || line.contains(":rubygems_api_key") {
            Some(Registry::RubyGems)
        } else {
            None
        };
        if let Some(registry) = registry {
            for found in crate::parse::expr::find_all(line) {
                if long_lived(&line[found.range.clone()]) {
                    out.push((
                        registry,
                        offset + found.range.start..offset + found.range.end,
                    ));
                }
            }
        }
        offset += line.len();
    }
    out
}

/// A token passed as an argument (`-p`, `--password`, `--token`, `-k`, `--api-key`) from a
/// long-lived secret.
fn token_argument(cmd: &Command) -> Option<Span> {
    let args = cmd.args();
    args.iter().enumerate().find_map(|(i, w)| {
        let value = if let Some((flag, value)) = w.raw.split_once('=') {
            ["--password", "--token", "--api-key"]
                .contains(&flag)
                .then_some((value, w.span))
        } else if ["-p", "--password", "--token", "-k", "--api-key"].contains(&w.text.as_str()) {
            args.get(i + 1).map(|n| (n.raw.as_str(), n.span))
        } else {
            None
        };
        value.filter(|(v, _)| long_lived(v)).map(|(_, span)| span)
    })
}
