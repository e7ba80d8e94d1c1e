//! Key/value settings where credentials are written, in every kind of file, and the one
//! classification of their values shared by `secret-in-config` and `weak-default-credential`.

use crate::parse::Document;
use crate::parse::dockerfile::Dockerfile;
use crate::parse::yaml::Node;
use crate::source::Span;

/// A `KEY=value` setting.
#[derive(Debug, Clone)]
pub struct Setting {
    pub key: String,
    pub key_span: Span,
    pub value: String,
    /// The value as written (quotes included where the format has them).
    pub value_span: Span,
    /// Where it is written, for messages: "`ENV`", "service `db` `environment`", ….
    pub place: String,
    /// A user name set beside it (same service, instruction group or file), if any.
    pub user: Option<String>,
    /// Database names set beside it (`POSTGRES_DB`, `DB_NAME`): a password equal to one is as
    /// guessable as one equal to the user.
    pub names: Vec<String>,
}

/// Keys that name a database: `POSTGRES_DB`, `MYSQL_DATABASE`, `DB_NAME`, `DATABASE_NAME`.
fn database_named(key: &str) -> bool {
    let w = words(key);
    match w.as_slice() {
        [.., last] if last == "DB" || last == "DATABASE" => true,
        [.., db, last] if last == "NAME" && (db == "DB" || db == "DATABASE") => true,
        _ => false,
    }
}

/// The values of the database-named keys among `pairs`.
fn database_names<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<String> {
    pairs
        .filter(|(k, v)| database_named(k) && !v.is_empty())
        .map(|(_, v)| v.to_string())
        .collect()
}

/// The one judgement of a setting's value, for `secret-in-config` and
/// `weak-default-credential`: [`classify`], then a literal equal to a database name set beside
/// it is weak, and one that only restates its key's words (`OIDC_CLIENT_SECRET=client-secret`)
/// is a placeholder.
pub fn judge(setting: &Setting) -> Class {
    let class = classify(&setting.value, setting.user.as_deref());
    if class != Class::Literal {
        return class;
    }
    let value = setting.value.trim().trim_matches(['"', '\'']);
    if setting
        .names
        .iter()
        .any(|name| name.eq_ignore_ascii_case(value))
    {
        return Class::Weak("the same as the database name set beside it");
    }
    let key_words = words(&setting.key);
    let value_words = words(value);
    if !value_words.is_empty()
        && value_words
            .iter()
            .all(|w| key_words.contains(w) || matches!(w.as_str(), "MY" | "YOUR" | "THE"))
    {
        return Class::Placeholder;
    }
    Class::Literal
}

/// Word-split a key: `DB_PASSWORD`, `dbPassword`, `db-password`, `db.password` → [DB, PASSWORD].
pub fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if matches!(c, '_' | '-' | '.' | ' ' | '/') {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        current.push(c.to_ascii_uppercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Last words that make a secret-looking key name something else: a file, a length, an id.
const NOT_THE_SECRET: &[&str] = &[
    "FILE",
    "PATH",
    "DIR",
    "ID",
    "NAME",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "USER",
    "USERNAME",
    "LENGTH",
    "LEN",
    "TTL",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "TYPE",
    "HEADER",
    "FORMAT",
    "POLICY",
    "ENABLED",
    "DISABLED",
    "REQUIRED",
    "SIZE",
    "MIN",
    "MAX",
    "COUNT",
    "REF",
    "VAR",
    "ENV",
    "HINT",
    "PROMPT",
    "RESET",
    "ALGORITHM",
    "ALGO",
    "METHOD",
    "PROVIDER",
    "SOURCE",
    "ISSUER",
    "AUDIENCE",
    "SCOPE",
    "SCOPES",
    "MODE",
    "LIFETIME",
    "TIMEOUT",
    "PREFIX",
    "SUFFIX",
    "FIELD",
    "PARAM",
    "VERSION",
    "PERMISSIONS",
    "PERMISSION",
    "STRATEGY",
    "STORE",
    "BACKEND",
    "KIND",
    "LOCATION",
    "SERVER",
    "SERVICE",
    "DURATION",
    "INTERVAL",
    "FLOW",
    "GRANT",
    "ROTATION",
    "COMPLEXITY",
    "STRENGTH",
    "SCHEME",
    "HASH",
    "HASHER",
    "HASHING",
    "CIPHER",
    "ENCODING",
    "NAMES",
    "LIST",
    "LENGTHS",
];

/// Is `key` the name of a secret? Matched on its words: PASSWORD, PASSWD, PASS, PWD, SECRET,
/// TOKEN, APIKEY, CREDENTIAL(S), AUTHKEY/AUTHTOKEN, and KEY only when qualified (API_KEY,
/// SECRET_KEY, PRIVATE_KEY, ACCESS_KEY, …). `PUBLIC_KEY`, `GPG_KEY`, `*_KEY_ID`, `*_FILE` are not.
pub fn secret_named(key: &str) -> bool {
    let w = words(key);
    let Some(last) = w.last() else { return false };
    if NOT_THE_SECRET.contains(&last.as_str())
        || w.iter()
            .any(|x| matches!(x.as_str(), "PUBLIC" | "PUB" | "PUBKEY" | "MIN" | "MAX"))
    {
        return false;
    }
    let direct = w.iter().any(|x| {
        matches!(
            x.as_str(),
            "PASSWORD"
                | "PASSWORDS"
                | "PASSWD"
                | "PASS"
                | "PWD"
                | "PW"
                | "SECRET"
                | "TOKEN"
                | "APIKEY"
                | "CREDENTIAL"
                | "CREDENTIALS"
                | "AUTHKEY"
                | "AUTHTOKEN"
                | "PASSPHRASE"
                | "SECRETKEY"
                | "PRIVATEKEY"
                | "ACCESSKEY"
        )
        // A word glued to PASSWORD: `ADMINPASSWORD`, `MONGODB_ADMINPASSWORD`.
        || (x.len() > 8 && (x.ends_with("PASSWORD") || x.ends_with("PASSWD")))
    });
    let qualified_key = w.windows(2).any(|pair| {
        (pair[1] == "KEY"
            && matches!(
                pair[0].as_str(),
                "API"
                    | "SECRET"
                    | "PRIVATE"
                    | "ACCESS"
                    | "ENCRYPTION"
                    | "SIGNING"
                    | "MASTER"
                    | "ACCOUNT"
                    | "LICENSE"
                    | "CLIENT"
                    | "APP"
                    | "SESSION"
                    | "JWT"
                    | "HMAC"
                    | "AUTH"
                    | "FERNET"
            ))
            // `SECRET_KEY_BASE`, `*_KEY_BASE` (Rails and Phoenix signing secrets).
            || (pair[0] == "KEY" && pair[1] == "BASE")
    });
    direct || qualified_key
}

/// The user name a password is compared with: the user set for the same prefix
/// (`DB_POSTGRESDB_USER` for `DB_POSTGRESDB_PASSWORD`); without one, a user of the block whose
/// name equals the value, else the last user of the block. `users` are (key, value) pairs.
pub fn user_for(key: &str, value: &str, users: &[(String, String)]) -> Option<String> {
    let prefix = |k: &str| {
        let mut w = words(k);
        w.pop();
        w
    };
    let own = prefix(key);
    if let Some((_, user)) = users.iter().rev().find(|(k, _)| prefix(k) == own) {
        return Some(user.clone());
    }
    let value = value.trim().trim_matches(['"', '\'']);
    users
        .iter()
        .find(|(_, u)| !u.is_empty() && u.eq_ignore_ascii_case(value))
        .or(users.last())
        .map(|(_, u)| u.clone())
}

/// Names of keys that hold a user name (to spot a password equal to its user).
pub fn user_named(key: &str) -> bool {
    let w = words(key);
    matches!(
        w.last().map(String::as_str),
        Some("USER" | "USERNAME" | "LOGIN")
    )
}

/// Well-known default and placeholder passwords (case-insensitive).
pub const WEAK: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pass",
    "pass123",
    "password1",
    "password123",
    "admin",
    "admin123",
    "administrator",
    "root",
    "toor",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "secret",
    "secret123",
    "default",
    "example",
    "test",
    "test123",
    "testing",
    "demo",
    "guest",
    "user",
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "rabbitmq",
    "oracle",
    "sa",
    "letmein",
    "welcome",
    "welcome1",
    "qwerty",
    "qwerty123",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "1234567890",
    "12345",
    "1234",
    "111111",
    "000000",
    "abc123",
    "iloveyou",
    "dragon",
    "master",
    "monkey",
    "sunshine",
    "trustno1",
    "pa55word",
    "dev",
    "development",
    "local",
    "docker",
    "minioadmin",
    "elastic",
    "kibana",
    "grafana",
    "jenkins",
    "sonar",
    "keycloak",
    "airflow",
    "superset",
    "django",
    "rails",
    "node",
    "app",
    "web",
    "foo",
    "bar",
    "foobar",
    "nopass",
    "abcd1234",
    "abc12345",
    "abcdef",
    "asdf",
    "asdfgh",
    "1q2w3e4r",
    "zaq12wsx",
    "qwertyuiop",
    "pass1234",
    "test1234",
    "admin1234",
    "root123",
    "secret1",
    "changeme123",
    "hunter2",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    /// Empty, a reference (`${VAR}`, `${{ secrets.X }}`, `$VAR`), prose, `<your-token>`, `xxx`.
    Placeholder,
    /// A well-known default or a value equal to the user name; the reason.
    Weak(&'static str),
    /// A literal credential.
    Literal,
}

/// Classify a credential value; `user` is a user name set beside it.
pub fn classify(value: &str, user: Option<&str>) -> Class {
    let v = value.trim().trim_matches(['"', '\'']);
    // Empty, YAML's null, or a GitHub expression: nothing is written here.
    if v.is_empty() || matches!(v, "~" | "null" | "Null" | "NULL") || v.contains("${{") {
        return Class::Placeholder;
    }
    // `${VAR}`, `$VAR`, `${VAR:?err}`, `${VAR:-}`; `${VAR:-default}` is judged by its default.
    if let Some(inner) = v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        return match inner.split_once(":-").or_else(|| inner.split_once('-')) {
            Some((_, default)) if !default.is_empty() && !default.contains('$') => {
                classify(default, user)
            }
            _ => Class::Placeholder,
        };
    }
    if v.starts_with('$')
        && v[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Class::Placeholder;
    }
    if v.contains(' ')
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('{') && v.ends_with('}'))
    {
        return Class::Placeholder;
    }
    let lower = v.to_ascii_lowercase();
    if is_filler(&lower) {
        return Class::Placeholder;
    }
    // Not a credential though the key says so: a switch, a small number, a file's path.
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off"
    ) || (lower.len() <= 3 && lower.bytes().all(|b| b.is_ascii_digit()))
        || (lower.starts_with('/') && lower.len() > 1)
        || lower.starts_with("./")
        || lower.starts_with("~/")
    {
        return Class::Placeholder;
    }
    if matches!(
        lower.as_str(),
        "invalid"
            | "none"
            | "unset"
            | "dummy"
            | "placeholder"
            | "redacted"
            | "todo"
            | "tbd"
            | "n/a"
            | "na"
            | "empty"
    ) {
        return Class::Placeholder;
    }
    if [
        "your",
        "replace",
        "todo",
        "fixme",
        "placeholder",
        "redacted",
        "insert",
        "dummy",
        "fake",
    ]
    .iter()
    .any(|w| {
        lower.starts_with(w) || lower.contains(&format!("_{w}")) || lower.contains(&format!("-{w}"))
    }) {
        return Class::Placeholder;
    }
    // `test-token-123`, `my_example_key`: a value naming itself a test or an example.
    if ["test", "example", "sample"].iter().any(|w| {
        lower.split(['-', '_', '.']).count() > 1
            && lower.split(['-', '_', '.']).any(|part| part == *w)
    }) {
        return Class::Placeholder;
    }
    if WEAK.contains(&lower.as_str()) {
        return Class::Weak("a well-known default password");
    }
    // `dispatch:dispatch`: a `user:password` pair whose password is the user.
    if let Some((name, password)) = v.split_once(':')
        && !name.is_empty()
        && name == password
        && !v.contains(['/', '@'])
    {
        return Class::Weak("the same as the user name");
    }
    if user.is_some_and(|u| !u.is_empty() && u.eq_ignore_ascii_case(v)) {
        return Class::Weak("the same as the user name");
    }
    Class::Literal
}

/// A value made of one repeated character, after a short known-looking prefix or not:
/// `xxxxxxxx`, `YYYYYYYY`, `00000000`, `sk-xxx-xxx-xxx`, `xoxb-xxxx-xxxx`, `****`.
fn is_filler(lower: &str) -> bool {
    let same = |text: &str, min: usize| {
        let chars: Vec<char> = text
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | '.'))
            .collect();
        chars.len() >= min && chars.iter().all(|&c| c == chars[0])
    };
    if same(lower, 4)
        || (lower.len() >= 3 && same(lower, 3) && lower.starts_with(['x', '*', '.', '#', '-']))
    {
        return true;
    }
    // A prefix of up to five letters and digits, then a separator: `sk-`, `xoxb-`, `ghp_`.
    lower
        .find(['-', '_'])
        .filter(|&at| (1..=5).contains(&at))
        .is_some_and(|at| same(&lower[at + 1..], 3))
}

/// Does `hardcoded-secret` report the setting's value (a provider's format, or a private
/// key)? Then that rule reports it, alone. The value is read with the line of its name before
/// it, as that rule reads it: some formats are known only by the name they are assigned to
/// (`DATADOG_API_KEY=` and 32 hex digits).
pub fn reported_as_provider_format(source: &str, setting: &Setting) -> bool {
    let key = setting.key_span.range();
    let value = setting.value_span.range();
    let start = key.start.min(value.start).min(source.len());
    let from = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let to = value.end.min(source.len());
    if from >= to || !source.is_char_boundary(to) {
        return false;
    }
    let found = super::providers::detect(&source[from..to]);
    let value = value.start.saturating_sub(from)..to - from;
    found
        .credentials
        .iter()
        .any(|d| d.start < value.end && value.start < d.end)
        || (found.key_material
            && super::providers::COMPILED
                .pem_header()
                .is_match(&setting.value))
}

/// `scheme://user:password@host` credentials inside a value: (user, password, byte range of
/// the password in the value).
pub fn url_credentials(value: &str) -> Option<(String, String, std::ops::Range<usize>)> {
    let scheme_end = value.find("://")? + 3;
    let rest = &value[scheme_end..];
    let at = rest.find('@')?;
    let authority = &rest[..at];
    if authority.contains('/') {
        return None;
    }
    let (user, password) = authority.split_once(':')?;
    let start = scheme_end + user.len() + 1;
    Some((
        user.to_string(),
        password.to_string(),
        start..start + password.len(),
    ))
}

/// Every key/value setting of a document where a credential may be written.
pub fn settings(doc: &Document, source: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    match doc {
        Document::Dockerfile(file) => {
            let mut users: Vec<(String, String)> = Vec::new();
            for ins in &file.instructions {
                for (name, value, span) in Dockerfile::assignments(ins) {
                    if user_named(&name)
                        && let Some(value) = &value
                    {
                        users.push((name.clone(), value.clone()));
                    }
                    let Some(value) = value else { continue };
                    let text = &source[span.range()];
                    let eq = text.find('=').map_or(name.len(), |e| e + 1);
                    let value_span =
                        Span::new(span.start as usize + eq.min(span.len()), span.end as usize);
                    out.push(Setting {
                        key: name.clone(),
                        key_span: span.sub(0, name.len().min(span.len())),
                        value,
                        value_span,
                        place: format!("`{}`", ins.keyword),
                        user: None,
                        names: Vec::new(),
                    });
                }
            }
            let names = database_names(out.iter().map(|s| (s.key.as_str(), s.value.as_str())));
            for s in &mut out {
                s.user = user_for(&s.key, &s.value, &users);
                s.names = names.clone();
            }
        }
        Document::Env(env) => {
            let users: Vec<(String, String)> = env
                .entries
                .iter()
                .filter(|e| user_named(&e.key))
                .map(|e| (e.key.clone(), e.value.clone()))
                .collect();
            let names = database_names(
                env.entries
                    .iter()
                    .map(|e| (e.key.as_str(), e.value.as_str())),
            );
            for e in &env.entries {
                out.push(Setting {
                    key: e.key.clone(),
                    key_span: e.key_span,
                    value: e.value.clone(),
                    value_span: e.value_span,
                    place: "this env file".to_string(),
                    user: user_for(&e.key, &e.value, &users),
                    names: names.clone(),
                });
            }
        }
        Document::Compose(root) => {
            for service in &crate::parse::compose::services(root) {
                if let Some(env) = service.get("environment") {
                    push_map(
                        &mut out,
                        env,
                        &format!("service `{}` `environment`", service.name),
                    );
                }
            }
        }
        Document::DependencyBot(root) => {
            // Private registries: `registries.<name>.password|token|key`.
            for registry in root.get("registries").and_then(Node::as_map).unwrap_or(&[]) {
                let name = registry.key_str().unwrap_or("");
                push_map(&mut out, &registry.value, &format!("registry `{name}`"));
            }
        }
        Document::Workflow(_) | Document::Action(_) => {
            for env in crate::rules::workflow::env_maps(doc) {
                push_map(&mut out, env, "`env`");
            }
            for (_, step) in crate::rules::workflow::steps(doc) {
                if let Some(with) = step.get("with") {
                    push_map(&mut out, with, "step input");
                }
            }
            if let Document::Workflow(root) = doc {
                for job in crate::parse::workflow::jobs(root) {
                    let mut holders: Vec<&Node> = job.get("container").into_iter().collect();
                    holders.extend(
                        job.get("services")
                            .and_then(Node::as_map)
                            .unwrap_or(&[])
                            .iter()
                            .map(|s| &s.value),
                    );
                    for holder in holders {
                        if let Some(credentials) = holder.get("credentials") {
                            push_map(&mut out, credentials, "container `credentials`");
                        }
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// `KEY: value` entries of a mapping or `KEY=value` items of a list, with the user name set in
/// the same mapping.
fn push_map(out: &mut Vec<Setting>, node: &Node, place: &str) {
    let start = out.len();
    let mut users: Vec<(String, String)> = Vec::new();
    if let Some(entries) = node.as_map() {
        for e in entries {
            let (Some(key), Some(scalar)) = (e.key_str(), e.value.as_scalar()) else {
                continue;
            };
            // `KEY:`, `KEY: ~`: passed through from the host, or unset. Nothing is written.
            if scalar.is_null() {
                continue;
            }
            if user_named(key) {
                users.push((key.to_string(), scalar.text.clone()));
            }
            out.push(Setting {
                key: key.to_string(),
                key_span: e.key.span,
                value: scalar.text.clone(),
                value_span: e.value.span,
                place: place.to_string(),
                user: None,
                names: Vec::new(),
            });
        }
    } else if let Some(items) = node.as_seq() {
        for item in items {
            let Some(text) = item.as_str() else { continue };
            let Some((key, value)) = text.split_once('=') else {
                continue;
            };
            if user_named(key) {
                users.push((key.to_string(), value.to_string()));
            }
            let value_span = item.subspan_or_end(key.len() + 1, text.len());
            out.push(Setting {
                key: key.to_string(),
                key_span: item.span,
                value: value.to_string(),
                value_span,
                place: place.to_string(),
                user: None,
                names: Vec::new(),
            });
        }
    }
    let names = database_names(
        out[start..]
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_str())),
    );
    for s in &mut out[start..] {
        s.user = user_for(&s.key, &s.value, &users);
        s.names = names.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for yes in [
            "DB_PASSWORD",
            "dbPassword",
            "API_KEY",
            "apiKey",
            "SECRET_KEY",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "CLIENT_SECRET",
            "MYSQL_ROOT_PASSWORD",
            "password",
            "AUTH_TOKEN",
            "PRIVATE_KEY",
            "SERVICE_ACCOUNT_KEY",
            "db.pass",
            "POSTGRES_PW",
            "ADMINPASSWORD",
            "ME_CONFIG_MONGODB_ADMINPASSWORD",
            "LDAP_PASSWORDS",
            "FERNET_KEY",
            "SECRET_KEY_BASE",
            "LIVE_KEY_BASE",
            "GPG_PASSPHRASE",
        ] {
            assert!(secret_named(yes), "{yes}");
        }
        for no in [
            "GPG_KEY",
            "PUBKEY",
            "PUBLIC_KEY",
            "AWS_ACCESS_KEY_ID",
            "PASSWORD_FILE",
            "SECRET_KEY_FILE",
            "TOKEN_URL",
            "KEY",
            "MONKEY",
            "PASSWORD_MIN_LENGTH",
            "PATH",
            "KEYCLOAK_URL",
            "PASSENGER",
            "PASSWORD_SCHEME",
            "DEFAULT_PASS_SCHEME",
            "PASSWORD_HASH_ALGORITHM",
            "VAULT_SECRET_NAMES",
            "DOCKER_SECRETS_LIST",
            "PASSWORD_MIN_UPPERCASE",
            "TOKEN_MAX_AGE",
            "PW_LENGTH",
        ] {
            assert!(!secret_named(no), "{no}");
        }
    }

    #[test]
    fn classes() {
        assert_eq!(classify("", None), Class::Placeholder);
        assert_eq!(classify("${DB_PASSWORD}", None), Class::Placeholder);
        assert_eq!(classify("${DB_PASSWORD:?set it}", None), Class::Placeholder);
        assert_eq!(classify("${{ secrets.TOKEN }}", None), Class::Placeholder);
        assert_eq!(classify("please set me", None), Class::Placeholder);
        assert_eq!(classify("<your-token>", None), Class::Placeholder);
        assert_eq!(classify("xxxxxxxx", None), Class::Placeholder);
        assert_eq!(
            classify("changeme", None),
            Class::Weak("a well-known default password")
        );
        assert_eq!(
            classify("${DB_PASSWORD:-postgres}", None),
            Class::Weak("a well-known default password")
        );
        assert_eq!(
            classify("appuser", Some("appuser")),
            Class::Weak("the same as the user name")
        );
        for placeholder in [
            "~",
            "null",
            "sk-xxx-xxx-xxx",
            "xoxb-xxxx-xxxx",
            "YYYYYYYY",
            "00000000",
            "****",
            "invalid",
            "None",
            "unset",
            "TBD",
            "1",
            "0",
            "yes",
            "/run/secrets/db_password",
            "/etc/app/token",
        ] {
            assert_eq!(
                classify(placeholder, None),
                Class::Placeholder,
                "{placeholder}"
            );
        }
        assert_eq!(classify("test-token-123", None), Class::Placeholder);
        assert_eq!(
            classify("test", None),
            Class::Weak("a well-known default password")
        );
        assert_eq!(
            classify("abcd1234", None),
            Class::Weak("a well-known default password")
        );
        assert_eq!(
            classify("dispatch:dispatch", None),
            Class::Weak("the same as the user name")
        );
        assert_eq!(classify("S3cr3t-Pr0d-2024!", None), Class::Literal);
        assert_eq!(classify("sk-9fJk2LmNqR", None), Class::Literal);
        assert_eq!(classify("${DB_PASSWORD:-hunter2x}", None), Class::Literal);
        assert!(WEAK.len() >= 50);
    }

    #[test]
    fn a_password_is_compared_with_the_user_of_its_prefix() {
        let users = vec![
            ("DB_POSTGRESDB_USER".to_string(), "n8n".to_string()),
            ("OTHER_USER".to_string(), "alice".to_string()),
        ];
        assert_eq!(
            user_for("DB_POSTGRESDB_PASSWORD", "n8n", &users).as_deref(),
            Some("n8n")
        );
        assert_eq!(
            user_for("DB_POSTGRESDB_PASSWORD", "alice", &users).as_deref(),
            Some("n8n"),
            "the user of the same prefix decides"
        );
        // No user of that prefix: any user of the block it equals.
        assert_eq!(
            user_for("ADMIN_PASSWORD", "n8n", &users).as_deref(),
            Some("n8n")
        );
        assert_eq!(user_for("ADMIN_PASSWORD", "x", &[]), None);
    }

    #[test]
    fn urls() {
        let (user, pass, range) = url_credentials("postgres://app:s3cret@db:5432/app").unwrap();
        assert_eq!((user.as_str(), pass.as_str()), ("app", "s3cret"));
        assert_eq!(&"postgres://app:s3cret@db:5432/app"[range], "s3cret");
        assert!(url_credentials("https://example.com/a@b").is_none());
    }
}
