//! The run loop: starts the embedded server or connects to a remote one,
//! enters the terminal, and then draws, waits for the next event, lets the
//! `App` change, and performs the command it returns. Everything that
//! waits (the terminal, the network, signals) lives here, so that `App`
//! and the views stay plain functions that tests call.

use crate::app::{App, Command, Event};
use crate::cli::Cli;
use crate::client::Client;
use crate::{poller, terminal, theme, views};
use anyhow::Context;
use numdialer_server::{RunningServer, ServerConfig};
use ratatui::crossterm::event::{self as ct, Event as CtEvent};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc};

/// Runs the TUI until the user quits or a signal comes, with an embedded
/// server unless `--server` names one, and stops that server on the way out.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let (client, label, server) = match &cli.server {
        Some(url) => {
            if let Some(flag) = cli.embedded_only_flags().first() {
                anyhow::bail!("{flag} applies to the embedded server only, not with --server");
            }
            (
                Client::new(url, cli.token.clone()),
                format!("remote · {url}"),
                None,
            )
        }
        None => {
            let server = start_embedded(&cli).await?;
            let label = format!("embedded · {}", server.addr);
            (Client::new(&server.url(), None), label, Some(server))
        }
    };
    let color = theme::color_from_env();
    let result = run_screen(client, label, color, cli.poll_interval, cli.long_poll).await;
    if let Some(server) = server
        && tokio::time::timeout(Duration::from_secs(5), server.shutdown())
            .await
            .is_err()
    {
        eprintln!("numdialer: the embedded server did not stop within 5 s");
    }
    result
}

async fn start_embedded(cli: &Cli) -> anyhow::Result<RunningServer> {
    let numbers = cli.numbers()?;
    let mut config = ServerConfig::default();
    config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.store.data_dir = cli.data_dir.clone();
    config.dialing.numbers = numbers;
    config.provider.dialer_url = cli.dialer_url.clone();
    config.provider.sim.time_scale = cli.sim_time_scale;
    numdialer_server::start(config)
        .await
        .context("cannot start the embedded server")
}

async fn run_screen(
    client: Client,
    label: String,
    color: bool,
    poll_interval: Duration,
    long_poll: Duration,
) -> anyhow::Result<()> {
    let mut guard = terminal::enter().context("numdialer needs an interactive terminal")?;
    let size = guard.terminal.size()?;
    let mut app = App::new(label, color, poll_interval + long_poll, Instant::now());
    app.update(Event::Resize(size.width, size.height), Instant::now());

    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    spawn_input(tx.clone());
    let poll_now = Arc::new(Notify::new());
    let poller = tokio::spawn(poller::poll(
        client.clone(),
        poll_interval,
        long_poll,
        tx.clone(),
        poll_now.clone(),
    ));
    let mut ticks = tokio::time::interval(Duration::from_millis(200));
    let mut signals = Signals::new()?;

    while !app.quit {
        guard.terminal.draw(|f| views::draw(f, &app))?;
        let event = tokio::select! {
            Some(e) = rx.recv() => e,
            _ = ticks.tick() => Event::Tick,
            _ = signals.recv() => break,
        };
        match app.update(event, Instant::now()) {
            Some(Command::StartCalls) => {
                let (client, tx, poll_now) = (client.clone(), tx.clone(), poll_now.clone());
                tokio::spawn(async move {
                    let r = client.start().await;
                    let _ = tx.send(Event::Started(r));
                    poll_now.notify_one();
                });
            }
            Some(Command::FetchDetail(i)) => {
                let (client, tx) = (client.clone(), tx.clone());
                tokio::spawn(async move {
                    let _ = tx.send(Event::Detail(i, client.detail(i).await));
                });
            }
            None => {}
        }
    }
    poller.abort();
    drop(guard);
    Ok(())
}

/// Reads terminal input on its own thread: crossterm's reader blocks.
fn spawn_input(tx: mpsc::UnboundedSender<Event>) {
    std::thread::spawn(move || {
        loop {
            let event = match ct::read() {
                Ok(CtEvent::Key(k)) => Event::Key(k),
                Ok(CtEvent::Mouse(m)) => Event::Mouse(m),
                Ok(CtEvent::Resize(w, h)) => Event::Resize(w, h),
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(event).is_err() {
                return;
            }
        }
    });
}

/// SIGTERM, SIGHUP (the SSH session closed) and SIGINT end the TUI cleanly.
#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.hup.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Signals)
    }

    async fn recv(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
