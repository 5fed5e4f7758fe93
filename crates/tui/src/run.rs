//! The run loop: starts the embedded server or connects to a remote one,
//! enters the terminal, and then draws, waits for the next event, lets the
//! `App` change, and performs the command it returns. Everything that
//! waits (the terminal, the network, signals) lives here, so that `App`
//! and the views stay plain functions that tests call.

use crate::app::{App, Command, Event, ImportFailure};
use crate::cli::Cli;
use crate::client::suppressions::NewSuppression;
use crate::client::{Client, Format, Settings, Upload};
use crate::failure::Usage;
use crate::mode::Mode;
use crate::{embedded, files, poller, terminal, theme, views};
use anyhow::Context;
use numdialer_core::suppressions::{Scope, Source};
use ratatui::crossterm::event::{self as ct, Event as CtEvent};
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc, watch};

/// Runs the TUI until the user quits or a signal comes, with an embedded
/// server unless `--server` names one, and stops that server on the way out.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Checked before anything starts: an embedded server would create its
    // data directory for a run that can show nothing.
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("the output is not a terminal, and the TUI needs one");
    }
    let (client, mode, server) = match &cli.server {
        Some(url) => {
            if let Some(flag) = cli.embedded_only_flags().first() {
                return Err(Usage(format!(
                    "{flag} applies to the embedded server only, not with --server"
                ))
                .into());
            }
            let mode = Mode::Remote { url: url.clone() };
            (Client::new(url, cli.token()), mode, None)
        }
        None => {
            let (server, embedded) = embedded::start(&cli).await?;
            let client = Client::new(&server.url(), None);
            (client, Mode::Embedded(embedded), Some(server))
        }
    };
    let color = theme::color_from_env();
    // An embedded server whose store failed for longer than its grace
    // dials nobody any more: the TUI ends and says why.
    let failed = async {
        match &server {
            Some(s) => s.failed().await,
            None => std::future::pending().await,
        }
    };
    let result = run_screen(
        client,
        mode,
        color,
        cli.poll_interval,
        cli.long_poll,
        failed,
    )
    .await;
    if let Some(server) = server
        && tokio::time::timeout(Duration::from_secs(5), server.shutdown())
            .await
            .is_err()
    {
        eprintln!("numdialer: the embedded server did not stop within 5 s");
    }
    result
}

async fn run_screen(
    client: Client,
    mode: Mode,
    color: bool,
    poll_interval: Duration,
    long_poll: Duration,
    failed: impl std::future::Future<Output = String>,
) -> anyhow::Result<()> {
    tokio::pin!(failed);
    let mut stopped = None;
    let mut guard = terminal::enter().context("cannot take over the terminal")?;
    let size = guard.terminal.size()?;
    let mut app = App::new(mode, color, poll_interval + long_poll, Instant::now());
    app.update(Event::Resize(size.width, size.height), Instant::now());

    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    spawn_input(tx.clone());
    let poll_now = Arc::new(Notify::new());
    let (select, selected) = watch::channel(app.watching);
    let poller = tokio::spawn(poller::poll_selected(
        client.clone(),
        poll_interval,
        long_poll,
        tx.clone(),
        poll_now.clone(),
        selected,
    ));
    let list_now = Arc::new(Notify::new());
    let list_poller = tokio::spawn(poller::poll_campaigns(
        client.clone(),
        poll_interval,
        long_poll,
        tx.clone(),
        list_now.clone(),
    ));
    let mut ticks = tokio::time::interval(Duration::from_millis(200));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut signals = Signals::new()?;

    while !app.quit {
        guard.terminal.draw(|f| views::draw(f, &app))?;
        let event = tokio::select! {
            Some(e) = rx.recv() => e,
            _ = ticks.tick() => Event::Tick,
            _ = signals.recv() => break,
            why = &mut failed => {
                stopped = Some(why);
                break;
            }
        };
        if let Some(command) = app.update(event, Instant::now()) {
            let polls = [poll_now.clone(), list_now.clone()];
            perform(command, &client, &tx, polls, &select);
        }
    }
    list_poller.abort();
    poller.abort();
    drop(guard);
    match stopped {
        Some(why) => anyhow::bail!("the embedded server stopped: {why}"),
        None => Ok(()),
    }
}

/// Runs `command` in the background; its answer comes back through `tx`
/// as an event. A change on the server asks both polls at once (`polls`),
/// so that the screen shows it without waiting for a long poll.
fn perform(
    command: Command,
    client: &Client,
    tx: &mpsc::UnboundedSender<Event>,
    polls: [Arc<Notify>; 2],
    select: &watch::Sender<u64>,
) {
    let (client, tx) = (client.clone(), tx.clone());
    let poll_now = move || polls.iter().for_each(|p| p.notify_one());
    match command {
        Command::FetchCampaignDetail(id, i) => {
            tokio::spawn(async move {
                let _ = tx.send(Event::Detail(i, client.entry(id, i).await));
            });
        }
        Command::Watch(id) => {
            select.send_replace(id);
        }
        Command::Operate(id, op) => {
            tokio::spawn(async move {
                let r = client.operate(id, op).await;
                let _ = tx.send(Event::Operated(id, op, r));
                poll_now();
            });
        }
        Command::NeverCall(phone) => {
            tokio::spawn(async move {
                let new = NewSuppression {
                    phone: format!("+{phone}"),
                    scope: Scope::Global,
                    source: Source::Manual,
                    reason: "marked never to call again in the TUI".into(),
                    actor: std::env::var("USER").unwrap_or_default(),
                };
                let r = client.suppress(&new).await.map(|_| ());
                let _ = tx.send(Event::NeverCalled(phone, r));
                poll_now();
            });
        }
        Command::Delete(id) => {
            tokio::spawn(async move {
                let r = client.delete_campaign(id).await;
                let _ = tx.send(Event::Deleted(id, r));
                poll_now();
            });
        }
        Command::Import {
            path,
            format,
            settings,
            country,
            answers,
            hours,
        } => {
            tokio::spawn(async move {
                let asked = Asked {
                    country,
                    answers: &answers,
                    hours: &hours,
                };
                let r = import(&client, &path, format, &settings, asked, &tx).await;
                let _ = tx.send(Event::Imported(path, r));
                poll_now();
            });
        }
        Command::Export {
            id,
            path,
            overwrite,
        } => {
            tokio::spawn(async move {
                let target = files::expand_home(&path);
                // Asked back rather than written over: a file already
                // there may be another campaign's results.
                if !overwrite && target.exists() {
                    let _ = tx.send(Event::ExportWouldOverwrite(id, path));
                    return;
                }
                let r = files::export(&client, id, &target).await;
                let _ = tx.send(Event::Exported(id, path, r));
            });
        }
        Command::Complete(typed) => {
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Event::Completions(typed.clone(), files::complete(&typed)));
            });
        }
    }
}

/// Streams the file at `path` to `POST /campaigns`, saying every 200 ms
/// how much has gone, so that a big import shows progress.
/// What the import form asked for beyond the file and its settings.
struct Asked<'a> {
    country: Option<String>,
    answers: &'a crate::client::upload::AnswerFlags,
    hours: &'a crate::client::upload::HoursSettings,
}

async fn import(
    client: &Client,
    path: &str,
    format: Format,
    settings: &Settings,
    asked: Asked<'_>,
    tx: &mpsc::UnboundedSender<Event>,
) -> Result<crate::client::Created, ImportFailure> {
    let mut upload = Upload::open(&files::expand_home(path), format, settings)
        .and_then(|u| u.answers(asked.answers))
        .and_then(|u| u.hours(asked.hours))
        .map_err(|e| ImportFailure::File(e.to_string()))?;
    if let Some(country) = asked.country {
        upload = upload.country(country);
    }
    let total = upload.size();
    let sent = Arc::new(AtomicU64::new(0));
    let request = client.add_campaign(upload, sent.clone());
    tokio::pin!(request);
    let mut ticks = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            r = &mut request => return r.map_err(ImportFailure::Server),
            _ = ticks.tick() => {
                let _ = tx.send(Event::Uploading(sent.load(Ordering::Relaxed), total));
            }
        }
    }
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
