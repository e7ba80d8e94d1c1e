//! The digest an image tag names now, from its registry (OCI distribution API), for
//! `fix --pin`.
//!
//! `HEAD /v2/<repository>/manifests/<tag>` with the manifest types a multi-platform image is
//! published as, so the digest is the one of the index (every platform), as `docker pull`
//! resolves it. A `401` with a `Bearer` challenge gets an anonymous pull token from the realm it
//! names (Docker Hub, GHCR, Quay, …), once per repository. Docker Hub does not count `HEAD`
//! requests against its pull limit. When a registry leaves the digest header out, the manifest is
//! fetched and hashed. Tokens are never printed.
//!
//! Only registries the run may ask are asked: the public registries in [`PUBLIC_REGISTRIES`]
//! and those the configuration or policy names (`[online] registries`). An image reference
//! is text from the scanned repository: without this limit a pull request would choose which
//! server a (possibly self-hosted) runner contacts. A token realm must be `https` and on a host
//! the run may ask (or Docker Hub's `auth.docker.io`). With `--registry-mirror` every request
//! goes to the mirror, which the person running the command chose.

use std::collections::HashMap;

use octocrab::Octocrab;
use sha2::{Digest, Sha256};

use crate::github::encode_query;
use crate::parse::image::ImageRef;

const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// Public registries asked without being named in the configuration: Docker Hub, GitHub's,
/// Quay, Microsoft's, Amazon ECR Public and Google's (`gcr.io` and its regional hosts).
pub const PUBLIC_REGISTRIES: &[&str] = &[
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "mcr.microsoft.com",
    "public.ecr.aws",
];

/// Host names ending so are Google's too: `us.gcr.io`, `europe-west1-docker.pkg.dev`
/// (Artifact Registry).
const PUBLIC_REGISTRY_SUFFIXES: &[&str] = &[".gcr.io", "-docker.pkg.dev"];

/// Token services of public registries on a host of their own.
const PUBLIC_TOKEN_HOSTS: &[&str] = &["auth.docker.io"];

/// The registries a run may ask: the public ones and those the configuration names.
#[derive(Debug, Clone, Default)]
pub struct Allowed {
    /// Host names (with a port when one is named) and `*.domain` patterns, lowercase.
    named: Vec<String>,
}

impl Allowed {
    pub fn new(named: &[String]) -> Allowed {
        Allowed {
            named: named.iter().map(|h| h.to_ascii_lowercase()).collect(),
        }
    }

    /// Whether `host` (a host name, with `:port` when the reference names one) may be asked.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let plain = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
        if !plain || host.is_empty() {
            return false;
        }
        let public = PUBLIC_REGISTRIES.contains(&host.as_str())
            || PUBLIC_REGISTRY_SUFFIXES.iter().any(|suffix| {
                host.strip_suffix(suffix)
                    .is_some_and(|label| !label.is_empty() && !label.contains([':', '.']))
            });
        public
            || self
                .named
                .iter()
                .any(|named| match named.strip_prefix("*.") {
                    Some(domain) => host
                        .strip_suffix(domain)
                        .is_some_and(|below| below.len() > 1 && below.ends_with('.')),
                    None => *named == host,
                })
    }
}

/// Where an image's manifests are: registry base URL and repository path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub base: String,
    pub repository: String,
}

/// Docker's defaults: no registry means Docker Hub, and a one-part name is an official image
/// (`alpine` → `library/alpine`). `mirror` sends every request to one URL instead.
pub fn locate(image: &ImageRef, mirror: Option<&str>) -> Location {
    let registry = image.registry.unwrap_or("docker.io");
    let hub = matches!(
        registry,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    );
    let repository = if hub && !image.repository.contains('/') {
        format!("library/{}", image.repository)
    } else {
        image.repository.to_string()
    };
    let base = match mirror {
        Some(url) => url.trim_end_matches('/').to_string(),
        None if hub => "https://registry-1.docker.io".to_string(),
        None => format!("https://{registry}"),
    };
    Location { base, repository }
}

/// A `Bearer` challenge: `realm`, `service`, `scope` (quoted values may hold commas).
fn challenge(header: &str) -> Option<HashMap<String, String>> {
    let mut rest = header.trim().strip_prefix("Bearer ")?.trim_start();
    let mut params = HashMap::new();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_ascii_lowercase();
        rest = &rest[eq + 1..];
        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let close = quoted.find('"')?;
            rest = &quoted[close + 1..];
            &quoted[..close]
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            let value = rest[..end].trim();
            rest = &rest[end..];
            value
        };
        params.insert(key, value.to_string());
        rest = rest.trim_start_matches([',', ' ']);
    }
    Some(params)
}

/// The registries of one `fix --pin` run.
pub struct Registries {
    runtime: tokio::runtime::Runtime,
    client: Octocrab,
    mirror: Option<String>,
    allowed: Allowed,
    /// Pull tokens by (base, repository).
    tokens: HashMap<(String, String), String>,
}

impl Registries {
    pub fn new(mirror: Option<&str>, allowed: Allowed) -> Result<Registries, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        let client = {
            let _inside = runtime.enter();
            crate::github::plain_client()?
        };
        Ok(Registries {
            runtime,
            client,
            mirror: mirror.map(str::to_string),
            allowed,
            tokens: HashMap::new(),
        })
    }

    /// The `sha256:…` digest `reference` (`name:tag`) names now.
    pub fn digest(&mut self, reference: &str) -> Result<String, String> {
        let image = ImageRef::parse(reference);
        let tag = image.tag().ok_or("no tag to resolve")?;
        let registry = image.registry.unwrap_or("docker.io");
        if self.mirror.is_none() && !self.allowed.allows(registry) {
            return Err(format!(
                "`{registry}` is not a public registry Portcullis knows, so it was not asked \
                 (name it in `[online] registries` of portcullis.toml or of the policy)"
            ));
        }
        let location = locate(&image, self.mirror.as_deref());
        let url = format!(
            "{}/v2/{}/manifests/{}",
            location.base, location.repository, tag
        );
        let key = (location.base.clone(), location.repository.clone());
        let mut response = self.request("HEAD", &url, self.tokens.get(&key))?;
        if response.status == 401 {
            let header = response.authenticate.clone().unwrap_or_default();
            let token = self.pull_token(&header, &location)?;
            self.tokens.insert(key.clone(), token);
            response = self.request("HEAD", &url, self.tokens.get(&key))?;
        }
        match response.status {
            200 => {}
            401 | 403 => {
                return Err(format!(
                    "{}: the registry refuses anonymous pulls of this image",
                    response.status
                ));
            }
            404 => return Err("404: no such image or tag in the registry".to_string()),
            429 => {
                return Err("429: the registry's rate limit is exhausted; retry later".to_string());
            }
            status => return Err(format!("{status}: unexpected answer from the registry")),
        }
        if let Some(digest) = response.digest.filter(|d| is_digest(d)) {
            return Ok(digest);
        }
        // No digest header: hash the manifest itself.
        let response = self.request("GET", &url, self.tokens.get(&key))?;
        match (response.status, response.body) {
            (200, Some(body)) => Ok(format!("sha256:{:x}", Sha256::digest(&body))),
            (status, _) => Err(format!("{status}: cannot read the manifest")),
        }
    }

    /// An anonymous pull token from the realm of a `Bearer` challenge.
    fn pull_token(&self, header: &str, location: &Location) -> Result<String, String> {
        let params = challenge(header).ok_or_else(|| {
            if header.trim_start().starts_with("Basic") {
                "the registry asks for a user name and password; anonymous pulls are refused"
                    .to_string()
            } else {
                "the registry asks for credentials in a way Portcullis does not know".to_string()
            }
        })?;
        let realm = params
            .get("realm")
            .ok_or("the registry names no token realm")?;
        if !self.may_ask_for_token(realm, location) {
            return Err(format!(
                "the registry sends for a pull token to `{}`, which is not a host Portcullis may ask",
                host(realm)
            ));
        }
        let scope = params
            .get("scope")
            .cloned()
            .unwrap_or_else(|| format!("repository:{}:pull", location.repository));
        let mut url = format!("{realm}?scope={}", encode_query(&scope));
        if let Some(service) = params.get("service") {
            url.push_str(&format!("&service={}", encode_query(service)));
        }
        let response = self.request("GET", &url, None)?;
        let body = match (response.status, response.body) {
            (200, Some(body)) => body,
            (status, _) => return Err(format!("{status}: the registry gave no pull token")),
        };
        let json: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| "the pull token answer is not JSON")?;
        json["token"]
            .as_str()
            .or(json["access_token"].as_str())
            .map(str::to_string)
            .ok_or_else(|| "the registry gave no pull token".to_string())
    }

    /// Whether a token realm may be asked: on the mirror when there is one, else `https` on the
    /// registry's own host, a public token service or a host the run may ask.
    fn may_ask_for_token(&self, realm: &str, location: &Location) -> bool {
        if let Some(mirror) = &self.mirror {
            return scheme(realm) == scheme(mirror) && host(realm) == host(mirror);
        }
        let realm_host = host(realm).to_ascii_lowercase();
        scheme(realm) == "https"
            && (realm_host == host(&location.base).to_ascii_lowercase()
                || PUBLIC_TOKEN_HOSTS.contains(&realm_host.as_str())
                || self.allowed.allows(&realm_host))
    }

    fn request(&self, method: &str, url: &str, token: Option<&String>) -> Result<Answer, String> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(url)
            .header(http::header::ACCEPT, MANIFEST_TYPES);
        if let Some(token) = token {
            let mut value = http::HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| "the registry's pull token is not a valid header")?;
            value.set_sensitive(true);
            request = request.header(http::header::AUTHORIZATION, value);
        }
        let request = request
            .body(octocrab::OctoBody::empty())
            .map_err(|_| format!("not a valid URL: {}", strip_query(url)))?;
        self.runtime.block_on(async {
            let answer = crate::net::send(&self.client, request)
                .await
                .map_err(|e| format!("{}: {e}", host(url)))?;
            let header = |name: &str| answer.header(name).map(str::to_string);
            Ok(Answer {
                status: answer.status,
                digest: header("docker-content-digest"),
                authenticate: header("www-authenticate"),
                body: (method == "GET").then_some(answer.body),
            })
        })
    }
}

struct Answer {
    status: u16,
    digest: Option<String>,
    authenticate: Option<String>,
    body: Option<Vec<u8>>,
}

pub fn is_digest(text: &str) -> bool {
    text.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A URL without its query (which can hold a token request's parameters).
fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// The host (and port) of `url`, with whatever user part it names: such a host is never
/// allowed.
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

fn scheme(url: &str) -> &str {
    url.split_once("://").map_or("", |(scheme, _)| scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_defaults() {
        let at = |r: &str| locate(&ImageRef::parse(r), None);
        assert_eq!(
            at("alpine:3.20"),
            Location {
                base: "https://registry-1.docker.io".into(),
                repository: "library/alpine".into()
            }
        );
        assert_eq!(at("bitnami/redis:7").repository, "bitnami/redis");
        assert_eq!(at("docker.io/alpine:3").repository, "library/alpine");
        assert_eq!(at("ghcr.io/acme/app:1").base, "https://ghcr.io");
        assert_eq!(at("localhost:5000/app:1").base, "https://localhost:5000");
        assert_eq!(
            locate(
                &ImageRef::parse("ghcr.io/acme/app:1"),
                Some("http://127.0.0.1:9/")
            ),
            Location {
                base: "http://127.0.0.1:9".into(),
                repository: "acme/app".into()
            }
        );
    }

    #[test]
    fn bearer_challenges() {
        let c = challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#,
        )
        .unwrap();
        assert_eq!(c["realm"], "https://auth.docker.io/token");
        assert_eq!(c["service"], "registry.docker.io");
        assert_eq!(c["scope"], "repository:library/alpine:pull,push");
        let c = challenge(r#"Bearer realm="https://ghcr.io/token", service="ghcr.io""#).unwrap();
        assert_eq!(c["service"], "ghcr.io");
        assert!(challenge(r#"Basic realm="x""#).is_none());
    }

    proptest::proptest! {
        // The challenge comes from a server: no header may make the parser panic or loop.
        #[test]
        fn any_challenge_is_parsed_or_refused(header in "Bearer [a-z=\",: ]{0,40}") {
            let _ = challenge(&header);
        }
    }

    #[test]
    fn only_public_and_named_registries_are_asked() {
        let none = Allowed::default();
        for host in [
            "docker.io",
            "ghcr.io",
            "GHCR.IO",
            "quay.io",
            "gcr.io",
            "eu.gcr.io",
            "us-central1-docker.pkg.dev",
            "mcr.microsoft.com",
            "public.ecr.aws",
        ] {
            assert!(none.allows(host), "{host}");
        }
        for host in [
            "registry.internal",
            "169.254.169.254",
            "localhost:5000",
            "ghcr.io:8443",
            "evil.ghcr.io.example.com",
            "a.b.gcr.io",
            "x-docker.pkg.dev.example.com",
            "-docker.pkg.dev",
            "user@ghcr.io",
            "ghcr.io/x",
            "",
        ] {
            assert!(!none.allows(host), "{host}");
        }
        let named = Allowed::new(&["registry.internal:5000".into(), "*.corp.example".into()]);
        assert!(named.allows("registry.internal:5000"));
        assert!(!named.allows("registry.internal"));
        assert!(named.allows("cr.corp.example"));
        assert!(named.allows("a.b.corp.example"));
        assert!(!named.allows("corp.example"));
        assert!(!named.allows("xcorp.example"));
    }

    #[test]
    fn token_realms_must_be_https_on_an_allowed_host() {
        let registries = Registries::new(None, Allowed::default()).unwrap();
        let hub = locate(&ImageRef::parse("alpine:3"), None);
        let ghcr = locate(&ImageRef::parse("ghcr.io/a/b:1"), None);
        assert!(registries.may_ask_for_token("https://auth.docker.io/token", &hub));
        assert!(registries.may_ask_for_token("https://ghcr.io/token", &ghcr));
        assert!(!registries.may_ask_for_token("http://ghcr.io/token", &ghcr));
        assert!(!registries.may_ask_for_token("https://evil.example/token", &ghcr));
        assert!(!registries.may_ask_for_token("https://x@ghcr.io/token", &ghcr));
        assert!(!registries.may_ask_for_token("file:///etc/passwd", &ghcr));
        let mirrored = Registries::new(Some("http://127.0.0.1:9"), Allowed::default()).unwrap();
        let at = locate(&ImageRef::parse("alpine:3"), Some("http://127.0.0.1:9"));
        assert!(mirrored.may_ask_for_token("http://127.0.0.1:9/token", &at));
        assert!(!mirrored.may_ask_for_token("https://auth.docker.io/token", &at));
    }

    #[test]
    fn digests() {
        assert!(is_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!is_digest("sha256:abc"));
        assert!(!is_digest(&"a".repeat(71)));
    }
}
