use clap::Parser;
use numdialer_tui::failure;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    match numdialer_tui::run(numdialer_tui::cli::Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("numdialer: {}", failure::describe(&e));
            ExitCode::from(failure::exit_code(&e))
        }
    }
}
