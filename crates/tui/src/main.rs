use clap::{CommandFactory, FromArgMatches};
use numdialer_tui::cli::Cli;
use numdialer_tui::commands::{self, Target};
use numdialer_tui::failure::{self, Usage};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match cli.command.take() {
        None => numdialer_tui::run(cli).await,
        Some(command) => match cli.tui_only_flags(&matches).first() {
            Some(flag) => Err(Usage(format!(
                "{flag} is a flag of the TUI (numdialer alone), not of a command"
            ))
            .into()),
            None => commands::run(command, &Target::new(cli.server.clone(), cli.token())).await,
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", failure::report(&e));
            ExitCode::from(failure::exit_code(&e))
        }
    }
}
