//! What the image does when it runs: its user, ports, health check and file permissions.

pub mod copy_whole_stage;
pub mod missing_healthcheck;
pub mod root_user;
pub mod ssh_port_exposed;
pub mod sudo_in_run;
pub mod system_dir_workdir;
pub mod world_writable;
