use crate::parse::Document;
use crate::parse::shell::{Command, Word};
use crate::rules::{Context, declare_rule};

declare_rule! {
    /// ## What it does
    /// Flags packages installed in `RUN` without a version — one finding per install command,
    /// at its first unpinned package, naming every unpinned package of the command:
    /// - `apt-get`/`apt install pkg` (pin: `pkg=1.2.3-1`), `apk add pkg` (`pkg=1.2.3-r0`, or
    ///   `~`, `<`, `>` constraints), `zypper install pkg` (`pkg=1.2`);
    /// - `yum`/`dnf`/`microdnf`/`tdnf install pkg` (`pkg-1.2.3`);
    /// - `pip install pkg` (`pkg==1.2.3`; `-r requirements.txt`, `--require-hashes`, local paths,
    ///   URLs and wheels are not reported), also `python -m pip`;
    /// - `npm install pkg` / `npm i` / `yarn add` / `pnpm add` (`pkg@1.2.3`; `@latest` is not a
    ///   version; a Git source needs a `#<commit-ish>`; `npm ci` and a bare `npm install` use
    ///   the lock file);
    /// - `gem install pkg` (`-v 1.2.3` or `pkg:1.2.3`);
    /// - `go install`/`go get pkg@v1.2.3` (`@latest` is unpinned; `./…` paths are local).
    ///
    /// `pip install pkg=1.2` (a single `=`) is invalid pip syntax that fails the build, so it is
    /// not reported as unpinned; ranges such as `pkg>=1.2` are.
    ///
    /// In workflows and composite actions the same is checked in `run:` steps that use a POSIX
    /// shell. Words with variables (`$PACKAGES`) are not guessed at. Flags that take a value (`-t`,
    /// `--virtual`, `-i`, `--target`…) are skipped with their value.
    ///
    /// ## Why is this bad?
    /// Without a version, each build installs whatever the repository serves that day: builds
    /// are not reproducible, a new release can break or compromise the image without any change
    /// in the repository, and a review of the Dockerfile says nothing about what is installed.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    /// RUN pip install requests
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM python:3.12-slim@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    /// RUN pip install requests==2.32.3
    /// ```
    pub static UNPINNED_PACKAGE = {
        id: "unpinned-package",
        summary: "package installed without a version",
        level: Note,
        kinds: [Dockerfile, Workflow, Action],
        tags: ["security", "supply-chain", "reproducibility"],
        security_severity: Some("2.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let scripts = super::scripts(doc, cx);
    let mut reports = Vec::new();
    // One finding per install command, at its first unpinned package, naming them all: a
    // command is one decision to pin, however many packages it lists.
    for cmd in super::commands(&scripts) {
        let found = unpinned(cmd);
        let Some((manager, first, hint)) = found.first() else {
            continue;
        };
        let names: Vec<String> = found
            .iter()
            .take(MAX_NAMED)
            .map(|(_, word, _)| format!("`{}`", word.text))
            .collect();
        let more = match found.len().saturating_sub(MAX_NAMED) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let verb = if found.len() == 1 { "is" } else { "are" };
        reports.push((
            first.span,
            format!(
                "{}{more} {verb} installed without a version (`{manager}`)",
                names.join(", ")
            ),
            *hint,
        ));
    }
    for (span, message, hint) in reports {
        cx.report(span, message)
            .help(format!("pin the version: {hint}"));
    }
}

/// Packages named in one finding's message; the rest are counted.
const MAX_NAMED: usize = 8;

/// Package managers: (program, install subcommands, flags that take a value).
struct Manager {
    programs: &'static [&'static str],
    subcommands: &'static [&'static str],
    valued: &'static [&'static str],
    pinned: fn(&str) -> bool,
    hint: &'static str,
}

const APT: Manager = Manager {
    programs: &["apt-get", "apt", "aptitude"],
    subcommands: &["install"],
    valued: &[
        "-t",
        "--target-release",
        "-o",
        "--option",
        "-c",
        "--config-file",
    ],
    pinned: |p| p.contains('=') || p.ends_with(".deb") || p.contains('/'),
    hint: "`pkg=<version>`",
};
const APK: Manager = Manager {
    programs: &["apk"],
    subcommands: &["add"],
    valued: &[
        "-t",
        "--virtual",
        "-X",
        "--repository",
        "-p",
        "--root",
        "--keys-dir",
        "--arch",
        "--cache-dir",
    ],
    pinned: |p| p.contains(['=', '~', '<', '>']) || p.ends_with(".apk"),
    hint: "`pkg=<version>`",
};
const RPM: Manager = Manager {
    programs: &["yum", "dnf", "microdnf", "tdnf"],
    subcommands: &["install"],
    valued: &[
        "-c",
        "--config",
        "--installroot",
        "--releasever",
        "--setopt",
        "-x",
        "--exclude",
    ],
    pinned: |p| {
        p.ends_with(".rpm")
            || p.contains("://")
            || p.contains(['=', '<', '>'])
            || p.char_indices()
                .any(|(i, c)| c == '-' && p[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
    },
    hint: "`pkg-<version>`",
};
const ZYPPER: Manager = Manager {
    programs: &["zypper"],
    subcommands: &["install", "in"],
    valued: &["-t", "--type", "-r", "--repo", "--from"],
    pinned: |p| p.contains(['=', '<', '>']) || p.ends_with(".rpm"),
    hint: "`pkg=<version>`",
};
const PIP: Manager = Manager {
    programs: &["pip", "pip3", "pip2"],
    subcommands: &["install"],
    valued: &[
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--src",
        "--trusted-host",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--progress-bar",
        "--cache-dir",
        "--log",
        "--timeout",
        "--retries",
        "--proxy",
        "--cert",
        "--client-cert",
        "--global-option",
        "--install-option",
        "--upgrade-strategy",
        "--only-binary",
        "--no-binary",
        "--exists-action",
        "--config-settings",
        "-C",
    ],
    // `pkg==1.2` pins; a lone `=` is invalid pip syntax (the build fails), not an unpinned
    // package; ranges (`>=`, `~=`, `!=`) are not pins.
    pinned: |p| {
        p.contains("==")
            || (p.contains('=') && !p.contains(['<', '>', '!', '~']))
            || p.contains(" @ ")
            || p.contains("://")
            || p.starts_with(['.', '/', '~'])
            || p.ends_with(".whl")
            || p.ends_with(".tar.gz")
            || p.ends_with(".zip")
    },
    hint: "`pkg==<version>` (or a requirements file with hashes and `--require-hashes`)",
};
const NPM: Manager = Manager {
    programs: &["npm", "yarn", "pnpm", "bun"],
    subcommands: &["install", "i", "add", "isntall"],
    valued: &[
        "--prefix",
        "--registry",
        "--cache",
        "-w",
        "--workspace",
        "--tag",
        "--filter",
    ],
    pinned: |p| {
        if p.starts_with(['.', '/', '~']) || p.starts_with("file:") || p.ends_with(".tgz") {
            return true;
        }
        // Git sources are pinned only by a commit-ish: `git+https://…#v1.2.3`.
        if p.contains("://")
            || ["github:", "gitlab:", "bitbucket:", "git+"]
                .iter()
                .any(|s| p.starts_with(s))
        {
            return p.contains('#');
        }
        // `@scope/name@1.2.3`: the version follows the last `@` after the first character.
        let first = p.chars().next().map_or(0, char::len_utf8);
        match p[first..].rfind('@') {
            Some(at) => p[first + at + 1..].starts_with(|c: char| c.is_ascii_digit()),
            None => false,
        }
    },
    hint: "`pkg@<version>` (or a lock file and `npm ci`)",
};
const GEM: Manager = Manager {
    programs: &["gem"],
    subcommands: &["install", "i"],
    valued: &[
        "-i",
        "--install-dir",
        "-n",
        "--bindir",
        "-s",
        "--source",
        "-P",
        "--platform",
    ],
    pinned: |p| p.contains(':') || p.ends_with(".gem"),
    hint: "`gem install pkg -v <version>`",
};
const GO: Manager = Manager {
    programs: &["go"],
    subcommands: &["install", "get"],
    valued: &[
        "-o", "-p", "-C", "-tags", "-ldflags", "-gcflags", "-mod", "-modfile",
    ],
    pinned: |p| {
        p.starts_with(['.', '/'])
            || p.rsplit_once('@').is_some_and(|(_, v)| {
                !v.is_empty() && v != "latest" && v != "master" && v != "main"
            })
    },
    hint: "`pkg@v<version>`",
};

const MANAGERS: &[Manager] = &[APT, APK, RPM, ZYPPER, PIP, NPM, GEM, GO];

/// The unpinned package words of an install command: (manager, package, hint).
pub fn unpinned(cmd: &Command) -> Vec<(String, &Word, &'static str)> {
    let Some(program) = cmd.program() else {
        return Vec::new();
    };
    let mut args = cmd.args();
    let mut program = program.to_string();
    // `python -m pip install …`
    if program.starts_with("python")
        && args.len() >= 2
        && args[0].text == "-m"
        && args[1].text.starts_with("pip")
    {
        program = args[1].text.clone();
        args = &args[2..];
    }
    let Some(manager) = MANAGERS
        .iter()
        .find(|m| m.programs.contains(&program.as_str()))
    else {
        return Vec::new();
    };
    // The subcommand is the first word that is neither an option nor an option's value.
    let mut i = 0;
    while i < args.len() && args[i].text.starts_with('-') {
        if manager.valued.contains(&args[i].text.as_str()) {
            i += 1;
        }
        i += 1;
    }
    let Some(sub) = args.get(i) else {
        return Vec::new();
    };
    if !manager.subcommands.contains(&sub.text.as_str()) {
        return Vec::new();
    }
    let label = format!("{program} {}", sub.text);
    let rest = &args[i + 1..];
    if matches!(manager.programs[0], "pip") && rest.iter().any(|a| a.text == "--require-hashes") {
        return Vec::new();
    }
    // `gem install pkg -v 1.2` pins its one package (gem refuses `-v` with several).
    let gem_version = matches!(manager.programs[0], "gem")
        && rest.iter().any(|a| {
            matches!(a.text.as_str(), "-v" | "--version") || a.text.starts_with("--version=")
        });
    let mut valued: Vec<&str> = manager.valued.to_vec();
    if gem_version {
        valued.extend(["-v", "--version"]);
    }
    let mut out = Vec::new();
    let mut j = 0;
    while j < rest.len() {
        let word = &rest[j];
        let text = word.text.as_str();
        if text.starts_with('-') {
            // `-r file` names a requirements file: its pinning is not visible here.
            if valued.contains(&text) || matches!(text, "-r" | "--requirement") {
                j += 1;
            }
            j += 1;
            continue;
        }
        j += 1;
        if text.is_empty() || text.contains('$') || text.contains('`') || (manager.pinned)(text) {
            continue;
        }
        out.push((label.clone(), word, manager.hint));
    }
    if gem_version && !out.is_empty() {
        // The first package is the one `-v` pins.
        out.remove(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::shell::parse;
    use crate::source::Span;

    fn packages(text: &str) -> Vec<String> {
        let s = parse(text, &|r| Span::new(r.start, r.end));
        s.commands
            .iter()
            .flat_map(|c| unpinned(c).into_iter().map(|(_, w, _)| w.text.clone()))
            .collect()
    }

    #[test]
    fn managers() {
        assert_eq!(
            packages(
                "apt-get update && apt-get install -y --no-install-recommends curl=8.5.0-2 git ca-certificates"
            ),
            ["git", "ca-certificates"]
        );
        assert_eq!(
            packages("apt-get install -y -t bookworm-backports python3"),
            ["python3"]
        );
        assert_eq!(
            packages("apk add --no-cache --virtual .build gcc musl-dev=1.2.5-r0"),
            ["gcc"]
        );
        assert_eq!(
            packages("pip install --no-cache-dir -r requirements.txt flask==3.0.0 requests"),
            ["requests"]
        );
        assert!(packages("pip install --require-hashes -r requirements.txt").is_empty());
        assert_eq!(packages("python3 -m pip install --upgrade pip"), ["pip"]);
        assert_eq!(
            packages("npm install -g @angular/cli@17.0.0 typescript sax@latest"),
            ["typescript", "sax@latest"]
        );
        assert!(packages("npm ci && npm install").is_empty());
        assert_eq!(packages("yarn add left-pad"), ["left-pad"]);
        assert_eq!(
            packages("npm install git://github.com/npm/cli.git git+https://x/y.git#v1.0"),
            ["git://github.com/npm/cli.git"]
        );
        assert_eq!(
            packages("go get -d -v golang.org/x/net/html"),
            ["golang.org/x/net/html"]
        );
        assert_eq!(packages("gem install bundler:2.5.0 rails"), ["rails"]);
        assert!(packages("gem install rails -v 7.1.0").is_empty());
        assert_eq!(packages("gem install grpc -v 1.0 blunder"), ["blunder"]);
        assert!(packages("pip install pip=20.3").is_empty());
        assert_eq!(packages("pip install 'flask>=3'"), ["flask>=3"]);
        assert_eq!(
            packages("go install golang.org/x/tools/gopls@latest example.com/x@v1.2.3"),
            ["golang.org/x/tools/gopls@latest"]
        );
        assert_eq!(packages("dnf install -y httpd-2.4.57 nginx"), ["nginx"]);
        assert_eq!(
            packages("zypper --non-interactive install curl=8.0"),
            Vec::<String>::new()
        );
        assert!(packages("apt-get install -y $PACKAGES").is_empty());
        assert!(packages("echo apt-get install curl").is_empty());
    }
}
