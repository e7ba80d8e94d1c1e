//! What a build downloads and installs, and whether it is verified.

pub mod add_remote_url;
pub mod package_signature_disabled;
pub mod remote_script_exec;
pub mod tls_verification_disabled;
pub mod unpinned_package;
