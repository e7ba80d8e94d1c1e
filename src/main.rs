use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A panic's message can quote the text that caused it (a scanned line, a token): say
    // where it happened, never what it was about. Rules run contained, so the scan goes on.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!("portcullis: internal error{at} (please report it)");
    }));
    let cli = portcullis::cli::Cli::parse();
    ExitCode::from(portcullis::app::run(cli))
}
