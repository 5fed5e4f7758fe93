use anyhow::Context;
use clap::Parser;
use numdialer_core::args::ProviderKind;
use numdialer_server::cli::{Cli, Command, LogFormat};
use numdialer_server::engine::EngineError;
use numdialer_server::integrity::DataDirError;
use numdialer_server::provider::simulator::Simulator;
use numdialer_server::provider::simulator::twilio::TwilioSimulator;
use numdialer_server::startup::ListenError;
use numdialer_server::store::StoreError;
use std::io::IsTerminal;
use std::time::Duration;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    // Before the logger: stdout holds the document and nothing else.
    if let Some(Command::Openapi) = cli.command {
        println!("{}", numdialer_server::http::openapi::json());
        return;
    }
    let format = match &cli.command {
        Some(Command::Simulate(_) | Command::Openapi) => LogFormat::Pretty,
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
        std::process::exit(exit_code(&e));
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Simulate(args)) => {
            let listener = tokio::net::TcpListener::bind(args.listen)
                .await
                .with_context(|| format!("cannot listen on {}", args.listen))?;
            match args.protocol {
                ProviderKind::Numdialer => {
                    let sim = Simulator::start(args.sim_config()?, listener).await?;
                    tracing::info!("simulated dialer API on {}", sim.url());
                    shutdown_signal().await;
                    sim.stop();
                }
                ProviderKind::Twilio => {
                    let sim = TwilioSimulator::start(args.twilio_config(), listener).await?;
                    tracing::info!("simulated Twilio API on {}", sim.url());
                    shutdown_signal().await;
                    sim.stop();
                }
            }
        }
        Some(Command::Openapi) => unreachable!("printed before the logger starts"),
        None => {
            let config = cli.server.to_config()?;
            let server = numdialer_server::start(config).await?;
            let failed = tokio::select! {
                () = shutdown_signal() => None,
                why = server.failed() => Some(why),
            };
            if let Some(why) = failed {
                let _ = tokio::time::timeout(Duration::from_secs(5), server.shutdown()).await;
                return Err(StoreFailed(why).into());
            }
            tracing::info!("shutting down: draining requests, stopping dials, flushing the store");
            server.shutdown().await;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[error("{0}; exiting for the supervisor to restart numdialer-server")]
struct StoreFailed(String);

/// One code per class of failure, documented in docs/operations.md: 2 the
/// data directory needs a person (refused, or in use by another process;
/// also clap's code for bad usage), 3 an address to listen on is taken, 4
/// the store cannot be written (at start, or for longer than its grace
/// while running), 1 anything else.
fn exit_code(e: &anyhow::Error) -> i32 {
    let store = e.chain().find_map(|c| {
        c.downcast_ref::<StoreError>()
            .or(match c.downcast_ref::<EngineError>() {
                Some(EngineError::Store(s)) => Some(s),
                _ => None,
            })
    });
    if e.is::<DataDirError>() || matches!(store, Some(StoreError::Locked { .. })) {
        2
    } else if e.is::<ListenError>() {
        3
    } else if e.is::<StoreFailed>() || store.is_some_and(unwritable) {
        4
    } else {
        1
    }
}

/// A store error that says the disk would not take a write (full, failing,
/// over a size limit), as opposed to a damaged or locked directory.
fn unwritable(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Flush(_) | StoreError::Closed | StoreError::Sled(sled::Error::Io(_))
    )
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
