use std::process::ExitCode;

use clap::Parser;
use portcullis::cli::{Cli, Command};

fn main() -> ExitCode {
    // A panic's message can quote the text that caused it (a scanned line, a token): say
    // where it happened, never what it was about. Rules run contained, so the scan goes on.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        portcullis::sink::info(format!("internal error{at} (please report it)"));
    }));
    // Usage errors quote the arguments given: they are written through the sink too.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let to_stdout = !e.use_stderr();
            portcullis::sink::preformatted(&e.render().to_string(), to_stdout);
            return ExitCode::from(if to_stdout { 0 } else { 2 });
        }
    };
    ExitCode::from(run(cli))
}

/// The network limits every command shares, then the command.
fn run(cli: Cli) -> u8 {
    let waiting = match &cli.command {
        Command::Upload(args) if !args.no_wait => args.wait_timeout,
        _ => 0,
    };
    let limits = portcullis::net::Limits {
        request: std::time::Duration::from_secs(cli.request_timeout.max(1)),
        command: std::time::Duration::from_secs(cli.timeout.saturating_add(waiting)),
    };
    portcullis::net::configure(limits);
    match cli.command {
        Command::Scan(args) => portcullis::app::run_scan(args),
        Command::Rules(args) => portcullis::app::run_rules(args),
        Command::Action => portcullis::action::run(),
        Command::Upload(args) => portcullis::app::run_upload(args),
        Command::Fix(args) => portcullis::app::run_fix(args),
        Command::Org(command) => portcullis::org::command::run(command, limits),
        Command::Explain { rule } => portcullis::app::explain(&rule),
    }
}
