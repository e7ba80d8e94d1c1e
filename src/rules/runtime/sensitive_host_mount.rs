use super::docker_socket_mount::is_runtime_socket;
use super::{Values, bind_sites, normalise_host_path};
use crate::finding::Level;
use crate::parse::Document;
use crate::rules::{Context, declare_rule};

const SENSITIVE: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/boot",
    "/dev",
    "/root",
    "/home",
    "/usr",
    "/lib",
    "/lib64",
    "/bin",
    "/sbin",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/kubelet",
    "~",
];

/// Read-only binds that are commonplace and harmless.
const BENIGN_READ_ONLY: &[&str] = &[
    "/etc/localtime",
    "/etc/timezone",
    "/usr/share/zoneinfo",
    "/etc/ssl/certs",
    "/etc/pki",
    "/etc/ca-certificates",
    "/usr/share/ca-certificates",
    "/usr/local/share/ca-certificates",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/machine-id",
];

declare_rule! {
    /// ## What it does
    /// Flags a bind mount of a sensitive host directory, or of a path below one: `/`, `/etc`,
    /// `/proc`, `/sys`, `/boot`, `/dev`, `/root`, `/home`, `/usr`, `/lib`, `/bin`, `/sbin`,
    /// `/var/lib/docker` (and containerd's and the kubelet's state), and the home directory
    /// (`~`, `$HOME`) with everything in it, such as `~/.ssh`, `~/.aws`, `~/.kube`. In compose
    /// files (short and long syntax) and in workflow job containers (`volumes:`, `-v` in
    /// `options:`).
    ///
    /// A read-only bind is reported as a warning instead of an error. Read-only binds of
    /// `/etc/localtime`, `/etc/timezone`, `/usr/share/zoneinfo` and the CA certificate folders
    /// are benign and not reported. Runtime sockets are `docker-socket-mount`'s.
    ///
    /// ## Why is this bad?
    /// These paths hold the host's credentials, configuration, binaries and kernel interfaces. A
    /// writable bind lets the container change how the host boots, which users exist or what runs
    /// as root; even read-only it exposes secrets such as SSH keys and cloud credentials (CIS
    /// Docker Benchmark 5.6).
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   backup:
    ///     image: example/backup:2.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     volumes:
    ///       - /etc:/host/etc
    ///       - ~/.aws:/root/.aws
    /// ```
    ///
    /// ## Use instead
    /// Bind only the application's own data, and pass credentials as secrets:
    /// ```yaml
    /// services:
    ///   backup:
    ///     image: example/backup:2.0@sha256:0d2e4d1b3b3f9f0e6a1c2b7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f
    ///     volumes:
    ///       - ./backup-config:/config:ro
    ///     secrets: [aws_credentials]
    /// secrets:
    ///   aws_credentials:
    ///     file: ./secrets/aws_credentials
    /// ```
    pub static SENSITIVE_HOST_MOUNT = {
        id: "sensitive-host-mount",
        summary: "sensitive host directory mounted into a container",
        level: Error,
        kinds: [Compose, Workflow],
        tags: ["security", "hardening"],
        security_severity: Some("8.0"),
        check: Some(check),
    }
}

fn check(doc: &Document, cx: &mut Context) {
    let values = Values::new(cx);
    let sites = bind_sites(doc, cx, &values);
    values.finish(cx);
    for site in sites {
        if is_runtime_socket(&site.source) {
            continue;
        }
        let path = normalise_host_path(&site.source);
        let Some(dir) = SENSITIVE.iter().find(|d| {
            path == **d
                || (**d == "/" && path == "/")
                || (**d != "/" && path.starts_with(&format!("{d}/")))
        }) else {
            continue;
        };
        let benign = site.read_only
            && BENIGN_READ_ONLY
                .iter()
                .any(|b| path == *b || path.starts_with(&format!("{b}/")));
        if benign {
            continue;
        }
        let what = if *dir == "~" {
            "the home directory".to_string()
        } else if path == *dir {
            format!("`{dir}`")
        } else {
            format!("a path under `{dir}`")
        };
        let mode = if site.read_only {
            "read-only"
        } else {
            "writable"
        };
        let draft = cx.report(
            site.span,
            format!(
                "{} mounts {what} of the host ({mode}): `{}`",
                capitalise(&site.place),
                site.source
            ),
        );
        draft.help("mount only the application's own files (a project directory or a named volume); pass credentials as secrets");
        if site.read_only {
            draft.level(Level::Warning);
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
