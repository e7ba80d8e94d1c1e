use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = portcullis::cli::Cli::parse();
    ExitCode::from(portcullis::app::run(cli))
}
