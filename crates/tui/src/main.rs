use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    numdialer_tui::run(numdialer_tui::cli::Cli::parse()).await
}
