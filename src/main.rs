use std::process::ExitCode;

use clap::Parser;

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
    let cli = match portcullis::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let to_stdout = !e.use_stderr();
            portcullis::sink::preformatted(&e.render().to_string(), to_stdout);
            return ExitCode::from(if to_stdout { 0 } else { 2 });
        }
    };
    ExitCode::from(portcullis::app::run(cli))
}
