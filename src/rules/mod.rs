//! The rule framework: metadata declared once per rule, one explicit registry, and the context
//! a rule reports through.
//!
//! A rule is a `static Rule` made by `declare_rule!` in its own file. Its doc comment is its
//! documentation (`portcullis explain`, `docs/rules/`, SARIF `help`), so docs cannot drift
//! from the code that implements them.

pub mod actions;
pub mod automation;
pub mod hardening;
pub mod images;
pub mod meta;
pub mod runtime;
pub mod secrets;
pub mod supply_chain;
pub mod workflow;

use std::collections::HashMap;
use std::path::Path;

use crate::descriptor::{Level, RuleDescriptor};
use crate::parse::Document;
use crate::parse::env::EnvFile;
use crate::parse::shell::Script;
use crate::source::{SourceFile, Span};

pub type CheckFn = fn(&Document, &mut Context);

/// A rule: what it is ([`RuleDescriptor`], all that findings and renderers see) and how it
/// checks a file.
pub struct Rule {
    pub descriptor: RuleDescriptor,
    /// `None` for rules the engine reports itself (`parse-error`, `unused-ignore`).
    pub check: Option<CheckFn>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.descriptor.id)
    }
}

/// A rule reads as its descriptor: `rule.id`, `rule.level`, `rule.docs()`.
impl std::ops::Deref for Rule {
    type Target = RuleDescriptor;

    fn deref(&self) -> &RuleDescriptor {
        &self.descriptor
    }
}

/// Declare a rule: doc comment, metadata and check function in one place.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub static $name:ident = {
            id: $id:literal,
            summary: $summary:literal,
            level: $level:ident,
            kinds: [$($kind:ident),* $(,)?],
            tags: [$($tag:literal),* $(,)?],
            security_severity: $sev:expr,
            $(options: [$(($oname:literal, $odoc:literal)),* $(,)?],)?
            $(online: $online:literal,)?
            check: $check:expr $(,)?
        }
    ) => {
        pub static $name: $crate::rules::Rule = $crate::rules::Rule {
            descriptor: $crate::descriptor::RuleDescriptor {
                id: $id,
                summary: $summary,
                docs: concat!($($doc, "\n"),*),
                level: $crate::finding::Level::$level,
                kinds: &[$($crate::source::FileKind::$kind),*],
                tags: &[$($tag),*],
                security_severity: $sev,
                options: &[$($(($oname, $odoc)),*)?],
                online: false $(|| $online)?,
                source: file!(),
            },
            check: $check,
        };
    };
}
pub(crate) use declare_rule;

/// Every rule, in documentation order. Adding a rule means adding it here.
pub static ALL: &[&Rule] = &[
    &secrets::hardcoded_secret::HARDCODED_SECRET,
    &secrets::secret_in_config::SECRET_IN_CONFIG,
    &secrets::weak_default_credential::WEAK_DEFAULT_CREDENTIAL,
    &secrets::committed_env_file::COMMITTED_ENV_FILE,
    &secrets::secret_file_in_image::SECRET_FILE_IN_IMAGE,
    &secrets::build_context_leak::BUILD_CONTEXT_LEAK,
    &secrets::secret_in_build_arg::SECRET_IN_BUILD_ARG,
    &secrets::credential_in_run::CREDENTIAL_IN_RUN,
    &images::latest_tag::LATEST_TAG,
    &images::unpinned_image::UNPINNED_IMAGE,
    &actions::unpinned_action::UNPINNED_ACTION,
    &actions::typosquatted_action::TYPOSQUATTED_ACTION,
    &actions::forbidden_action::FORBIDDEN_ACTION,
    &automation::dependency_bot_code_execution::DEPENDENCY_BOT_CODE_EXECUTION,
    &automation::missing_dependency_cooldown::MISSING_DEPENDENCY_COOLDOWN,
    &actions::impostor_commit::IMPOSTOR_COMMIT,
    &actions::ref_confusion::REF_CONFUSION,
    &actions::ref_version_mismatch::REF_VERSION_MISMATCH,
    &actions::archived_action::ARCHIVED_ACTION,
    &actions::known_vulnerable_action::KNOWN_VULNERABLE_ACTION,
    &images::untrusted_registry::UNTRUSTED_REGISTRY,
    &supply_chain::unpinned_package::UNPINNED_PACKAGE,
    &supply_chain::remote_script_exec::REMOTE_SCRIPT_EXEC,
    &supply_chain::reverse_shell::REVERSE_SHELL,
    &supply_chain::secret_exfiltration::SECRET_EXFILTRATION,
    &supply_chain::add_remote_url::ADD_REMOTE_URL,
    &supply_chain::tls_verification_disabled::TLS_VERIFICATION_DISABLED,
    &supply_chain::package_signature_disabled::PACKAGE_SIGNATURE_DISABLED,
    &hardening::root_user::ROOT_USER,
    &hardening::sudo_in_run::SUDO_IN_RUN,
    &hardening::world_writable::WORLD_WRITABLE,
    &hardening::ssh_port_exposed::SSH_PORT_EXPOSED,
    &hardening::missing_healthcheck::MISSING_HEALTHCHECK,
    &hardening::copy_whole_stage::COPY_WHOLE_STAGE,
    &hardening::system_dir_workdir::SYSTEM_DIR_WORKDIR,
    &runtime::privileged::PRIVILEGED,
    &runtime::docker_socket_mount::DOCKER_SOCKET_MOUNT,
    &runtime::sensitive_host_mount::SENSITIVE_HOST_MOUNT,
    &runtime::host_namespace::HOST_NAMESPACE,
    &runtime::dangerous_capability::DANGEROUS_CAPABILITY,
    &runtime::capabilities_not_dropped::CAPABILITIES_NOT_DROPPED,
    &runtime::no_new_privileges_missing::NO_NEW_PRIVILEGES_MISSING,
    &runtime::security_profile_disabled::SECURITY_PROFILE_DISABLED,
    &runtime::writable_root_filesystem::WRITABLE_ROOT_FILESYSTEM,
    &runtime::missing_resource_limits::MISSING_RESOURCE_LIMITS,
    &runtime::port_exposed_all_interfaces::PORT_EXPOSED_ALL_INTERFACES,
    &runtime::sensitive_port_exposed::SENSITIVE_PORT_EXPOSED,
    &runtime::host_device::HOST_DEVICE,
    &runtime::mount_propagation_shared::MOUNT_PROPAGATION_SHARED,
    &runtime::oom_kill_disabled::OOM_KILL_DISABLED,
    &runtime::unknown_compose_key::UNKNOWN_COMPOSE_KEY,
    &workflow::template_injection::TEMPLATE_INJECTION,
    &workflow::dangerous_trigger::DANGEROUS_TRIGGER,
    &workflow::untrusted_checkout::UNTRUSTED_CHECKOUT,
    &workflow::artifact_poisoning::ARTIFACT_POISONING,
    &workflow::unauthorized_comment_trigger::UNAUTHORIZED_COMMENT_TRIGGER,
    &workflow::excessive_permissions::EXCESSIVE_PERMISSIONS,
    &workflow::missing_permissions::MISSING_PERMISSIONS,
    &workflow::persisted_credentials::PERSISTED_CREDENTIALS,
    &workflow::secrets_inherit::SECRETS_INHERIT,
    &workflow::overprovisioned_secrets::OVERPROVISIONED_SECRETS,
    &workflow::long_lived_publish_token::LONG_LIVED_PUBLISH_TOKEN,
    &workflow::unredacted_secrets::UNREDACTED_SECRETS,
    &workflow::github_env_injection::GITHUB_ENV_INJECTION,
    &workflow::insecure_commands::INSECURE_COMMANDS,
    &workflow::spoofable_bot_condition::SPOOFABLE_BOT_CONDITION,
    &workflow::unsound_condition::UNSOUND_CONDITION,
    &workflow::self_hosted_runner::SELF_HOSTED_RUNNER,
    &workflow::debug_logging_enabled::DEBUG_LOGGING_ENABLED,
    &workflow::cache_poisoning::CACHE_POISONING,
    &meta::parse_error::PARSE_ERROR,
    &meta::unused_ignore::UNUSED_IGNORE,
];

pub fn by_id(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.id == id)
}

/// A secret's location and the part of it that may be shown (a provider prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redaction {
    pub span: Span,
    /// How many leading bytes of the secret may be shown (its non-secret prefix).
    pub visible: usize,
}

/// What a rule reports: span and message; the engine adds rule, level, position and snippet.
#[derive(Debug)]
pub struct Draft {
    pub rule: &'static RuleDescriptor,
    pub span: Span,
    pub message: String,
    pub help: Option<std::borrow::Cow<'static, str>>,
    /// Other places that explain the finding.
    pub related: Vec<RelatedDraft>,
    /// A level for this finding other than the rule's default (e.g. a read-only mount is less
    /// severe); the configuration's level for the rule still wins.
    pub level: Option<Level>,
    /// A known fix: description and (span, replacement) edits, in this file.
    pub fix: Option<(String, Vec<(Span, String)>)>,
}

/// A related location: in the same file (a span), or already resolved in another file.
#[derive(Debug)]
pub enum RelatedDraft {
    Here(Span, String),
    There(crate::finding::Location, String),
}

impl Draft {
    pub fn help(&mut self, help: impl Into<std::borrow::Cow<'static, str>>) -> &mut Draft {
        self.help = Some(help.into());
        self
    }

    pub fn related(&mut self, span: Span, message: impl Into<String>) -> &mut Draft {
        self.related.push(RelatedDraft::Here(span, message.into()));
        self
    }

    pub fn related_elsewhere(
        &mut self,
        location: crate::finding::Location,
        message: impl Into<String>,
    ) -> &mut Draft {
        self.related
            .push(RelatedDraft::There(location, message.into()));
        self
    }

    pub fn level(&mut self, level: Level) -> &mut Draft {
        self.level = Some(level);
        self
    }

    /// Offer `edits` (replace each span's text; an empty span inserts) as the fix.
    pub fn fix(
        &mut self,
        description: impl Into<String>,
        edits: Vec<(Span, String)>,
    ) -> &mut Draft {
        self.fix = Some((description.into(), edits));
        self
    }
}

/// What rules may know beyond their own file.
pub struct Project {
    /// `.env` files by folder: compose interpolation reads the one beside the compose file.
    pub env_files: HashMap<std::path::PathBuf, EnvFile>,
    /// Rule options from the configuration: rule id → option → values.
    pub options: HashMap<&'static str, HashMap<String, Vec<String>>>,
    /// Paths are displayed relative to this folder (see `discover::display_path`).
    pub cwd: std::path::PathBuf,
    /// Other YAML files rules consult (compose overrides, `extends: {file}`), read once each.
    pub yaml_files: std::sync::Mutex<
        HashMap<std::path::PathBuf, Option<std::sync::Arc<crate::parse::yaml::Node>>>,
    >,
    /// Env files loaded by compose `env_file:` (canonical path) → where they are loaded.
    pub env_file_loaders: HashMap<std::path::PathBuf, Vec<crate::finding::Location>>,
    /// What compose services built from a Dockerfile need to know of it, read once per file.
    pub dockerfiles:
        std::sync::Mutex<HashMap<std::path::PathBuf, Option<std::sync::Arc<DockerfileFacts>>>>,
    /// The GitHub lookups of `scan --online`; `None` offline.
    pub online: Option<std::sync::Arc<crate::online::Online>>,
    /// The scan roots, canonical: files a configuration refers to are read only inside them.
    pub roots: Vec<std::path::PathBuf>,
    /// The size limit for every file read, referenced files included.
    pub max_file_size: u64,
    /// Local actions and reusable workflows that workflows call (`uses: ./…`), each read and
    /// parsed once per scan, with their text for locations.
    pub local_yaml:
        std::sync::Mutex<HashMap<std::path::PathBuf, Option<std::sync::Arc<LocalYaml>>>>,
}

/// A YAML file of the repository read on behalf of another (a local callee).
pub struct LocalYaml {
    pub text: String,
    pub root: crate::parse::yaml::Node,
    pub lines: crate::source::LineIndex,
    /// The path as findings show it.
    pub display: String,
}

impl LocalYaml {
    pub fn location(&self, span: Span) -> crate::finding::Location {
        crate::finding::Location {
            path: self.display.clone(),
            start: self.lines.line_col(&self.text, span.start as usize),
            end: self.lines.line_col(&self.text, span.end as usize),
        }
    }
}

/// The facts about a Dockerfile that compose rules use: who the image runs as and whether it
/// has a health check, with where that is written.
#[derive(Debug)]
pub struct DockerfileFacts {
    /// `Some(true)` when the final image runs as root, with the location that decides it.
    pub runs_as_root: Option<(bool, crate::finding::Location)>,
    /// The final stage's `FROM`, for "missing" facts.
    pub final_from: crate::finding::Location,
    pub has_healthcheck: bool,
    /// A `COPY .`/`ADD .` of the whole build context, if the Dockerfile has one.
    pub copies_context: Option<crate::finding::Location>,
}

impl Default for Project {
    fn default() -> Project {
        Project {
            env_files: HashMap::new(),
            options: HashMap::new(),
            cwd: std::path::PathBuf::new(),
            yaml_files: Default::default(),
            local_yaml: Default::default(),
            env_file_loaders: HashMap::new(),
            dockerfiles: Default::default(),
            online: None,
            roots: Vec::new(),
            max_file_size: crate::config::DEFAULT_MAX_FILE_SIZE,
        }
    }
}

impl Project {
    /// Whether a file that a scanned file refers to (a compose `build.dockerfile`,
    /// `extends.file`, `env_file`, an override file, a build context) lies inside the scan
    /// roots once links are resolved. Without roots (a rule run on its own) anything does.
    pub fn inside_roots(&self, path: &Path) -> bool {
        if self.roots.is_empty() {
            return true;
        }
        std::fs::canonicalize(path).is_ok_and(|real| self.roots.iter().any(|r| real.starts_with(r)))
    }

    /// The text of a file a scanned file refers to: only a regular file inside the scan roots
    /// and within the size limit is read (never a device, never a path outside the project).
    pub fn read_referenced(&self, path: &Path) -> Option<String> {
        if !self.inside_roots(path) {
            return None;
        }
        crate::scan::read(path, self.max_file_size).ok()
    }

    /// The local callee at `path`, read and parsed once per scan; `None` when it cannot be.
    pub fn local_yaml(&self, path: &Path) -> Option<std::sync::Arc<LocalYaml>> {
        let key = path.to_path_buf();
        if let Some(cached) = self.local_yaml.lock().ok()?.get(&key) {
            return cached.clone();
        }
        let parsed = self.read_referenced(path).and_then(|text| {
            let root = crate::parse::yaml::parse(&text).ok().flatten()?;
            Some(std::sync::Arc::new(LocalYaml {
                lines: crate::source::LineIndex::new(&text),
                display: crate::discover::display_path(path, &self.cwd),
                root,
                text,
            }))
        });
        self.local_yaml.lock().ok()?.insert(key, parsed.clone());
        parsed
    }

    /// Parse the YAML file at `path` (cached); `None` when it cannot be read or parsed.
    pub fn yaml_file(&self, path: &Path) -> Option<std::sync::Arc<crate::parse::yaml::Node>> {
        let key = path.to_path_buf();
        if let Some(cached) = self.yaml_files.lock().ok()?.get(&key) {
            return cached.clone();
        }
        let node = self
            .read_referenced(path)
            .and_then(|text| crate::parse::yaml::parse(&text).ok().flatten())
            .map(std::sync::Arc::new);
        self.yaml_files.lock().ok()?.insert(key, node.clone());
        node
    }

    /// Read and summarise the Dockerfile at `path` (cached). `None` when it cannot be read or
    /// has no build stage.
    pub fn dockerfile_facts(&self, path: &Path) -> Option<std::sync::Arc<DockerfileFacts>> {
        let key = path.to_path_buf();
        if let Some(cached) = self.dockerfiles.lock().ok()?.get(&key) {
            return cached.clone();
        }
        let facts = self
            .read_referenced(path)
            .and_then(|text| hardening::facts(path, &text, &self.cwd))
            .map(std::sync::Arc::new);
        self.dockerfiles.lock().ok()?.insert(key, facts.clone());
        facts
    }
}

pub struct Context<'a> {
    pub file: &'a SourceFile,
    pub path: &'a Path,
    pub project: &'a Project,
    rule: &'static Rule,
    pub(crate) drafts: Vec<Draft>,
    pub(crate) redactions: Vec<Redaction>,
    pub(crate) not_checked: Vec<(Span, String)>,
    /// Workflow `run:` scripts by the source offset of their value: parsed once per file,
    /// whichever rules ask.
    run_scripts: std::cell::RefCell<HashMap<u32, std::rc::Rc<Script>>>,
    /// The provider-format credentials of the file: found once, by the engine before the
    /// rules (a text file without a keyword is not read further) or by the first rule to ask.
    credentials: std::cell::OnceCell<std::rc::Rc<secrets::providers::Detections>>,
}

impl<'a> Context<'a> {
    pub fn new(file: &'a SourceFile, path: &'a Path, project: &'a Project) -> Context<'a> {
        Context {
            file,
            path,
            project,
            rule: &meta::parse_error::PARSE_ERROR,
            drafts: Vec::new(),
            redactions: Vec::new(),
            not_checked: Vec::new(),
            run_scripts: Default::default(),
            credentials: Default::default(),
        }
    }

    /// The credentials in the file's provider formats (see [`secrets::providers::detect`]).
    pub fn credentials(&self) -> std::rc::Rc<secrets::providers::Detections> {
        self.credentials
            .get_or_init(|| std::rc::Rc::new(secrets::providers::detect(&self.file.text)))
            .clone()
    }

    /// Hands over credentials already found in this file's text, so they are not searched for
    /// again.
    pub fn found_credentials(&mut self, found: secrets::providers::Detections) {
        self.credentials = std::cell::OnceCell::from(std::rc::Rc::new(found));
    }

    /// The shell script of a workflow or action `run:` value, with spans into the YAML scalar;
    /// parsed on first request, shared by every rule after.
    pub fn run_script(&self, run: &crate::parse::yaml::Node) -> std::rc::Rc<Script> {
        if let Some(script) = self.run_scripts.borrow().get(&run.span.start) {
            return script.clone();
        }
        let locator = run.locator(&self.file.text);
        let script = std::rc::Rc::new(crate::parse::shell::parse(
            run.as_str().unwrap_or(""),
            &|r| locator.span(r),
        ));
        self.run_scripts
            .borrow_mut()
            .insert(run.span.start, script.clone());
        script
    }

    pub(crate) fn set_rule(&mut self, rule: &'static Rule) {
        self.rule = rule;
    }

    /// Report a finding of the running rule at `span`.
    pub fn report(&mut self, span: Span, message: impl Into<String>) -> &mut Draft {
        self.drafts.push(Draft {
            rule: &self.rule.descriptor,
            span,
            message: message.into(),
            help: None,
            related: Vec::new(),
            level: None,
            fix: None,
        });
        self.drafts.last_mut().expect("just pushed")
    }

    /// Mark a secret so that no output ever shows more than its first `visible` bytes.
    pub fn redact(&mut self, span: Span, visible: usize) {
        self.redactions.push(Redaction { span, visible });
    }

    /// Record a reference that could not be resolved statically (e.g. `image: ${TAG}` with no
    /// value): counted in the run's notifications, never guessed at.
    pub fn not_checked(&mut self, span: Span, what: impl Into<String>) {
        self.not_checked.push((span, what.into()));
    }

    /// Values of a rule option from the configuration (empty when unset).
    pub fn option(&self, name: &str) -> &[String] {
        self.project
            .options
            .get(self.rule.id)
            .and_then(|o| o.get(name))
            .map_or(&[], Vec::as_slice)
    }

    /// A variable for compose interpolation: the `.env` file beside the compose file.
    pub fn compose_var(&self, name: &str) -> Option<String> {
        let dir = self.path.parent()?;
        self.project
            .env_files
            .get(dir)
            .and_then(|env| env.get(name))
            .map(str::to_string)
    }
}

/// `a` extended to the end of `b` when both are on one line; `a` alone otherwise.
pub fn span_to(text: &str, a: Span, b: Span) -> Span {
    if b.end >= a.start
        && text
            .get(a.start as usize..b.end as usize)
            .is_some_and(|between| !between.contains('\n'))
    {
        a.to(b)
    } else {
        a
    }
}
