use anyhow::Context;
use clap::Parser;
use numdialer_server::cli::{Cli, Command, LogFormat};
use numdialer_server::integrity::DataDirError;
use numdialer_server::provider::simulator::Simulator;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let format = match &cli.command {
        Some(Command::Simulate(_)) => LogFormat::Pretty,
        None => cli.server.log_format,
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Pretty => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    // Errors go through the logger too, so that `--log-format json` prints
    // nothing but JSON lines.
    if let Err(e) = run(cli).await {
        tracing::error!("{e:#}");
        // 2: the data directory needs a person (docs/operations.md).
        let code = if e.is::<DataDirError>() { 2 } else { 1 };
        std::process::exit(code);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Simulate(args)) => {
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| format!("cannot listen on {}", args.listen))?;
            let sim = Simulator::start(args.sim_config(), listener).await?;
            tracing::info!("simulated dialer API on {}", sim.url());
            shutdown_signal().await;
            sim.stop();
        }
        None => {
            let config = cli.server.to_config()?;
            let server = numdialer_server::start(config).await?;
            shutdown_signal().await;
            tracing::info!("shutting down: draining requests, stopping dials, flushing the store");
            server.shutdown().await;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
