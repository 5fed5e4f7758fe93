//! numdialer's headless server: the HTTP API, the driver that dials, the
//! client for the dialer API, the sled store and the simulated dialer API.
//!
//! [`start`] runs all of it inside the caller's tokio runtime; the
//! `numdialer-server` binary and the TUI's embedded mode both use it.

pub mod body;
pub mod config;
pub mod dialer_client;
pub mod driver;
pub mod engine;
pub mod error;
pub mod metrics;
pub mod routes;
pub mod serve;
pub mod simulator;
pub mod store;

use anyhow::Context;
use dialer_client::{DialerClient, DialerHealth};
use engine::Engine;
use simulator::{SimConfig, Simulator};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Everything [`start`] needs; the binary fills it from the command line.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Base URL the dialer API reaches for webhooks; `http://<listen>` if unset.
    pub public_url: Option<String>,
    /// An external dialer API; `None` starts the embedded simulator.
    pub dialer_url: Option<String>,
    /// `None` keeps the data in a temporary store that vanishes on exit.
    pub data_dir: Option<PathBuf>,
    pub concurrency: usize,
    pub call_timeout: Duration,
    /// The list to dial; `None` is the default list (or the stored one).
    pub numbers: Option<Vec<String>>,
    pub api_token: Option<String>,
    /// Serve `/metrics` on this address, without the API token, instead of
    /// beside the API.
    pub metrics_listen: Option<SocketAddr>,
    /// Allow a non-loopback `listen` without `api_token`.
    pub insecure_no_token: bool,
    /// Benchmarks only: one store flush per write instead of group commit.
    pub flush_each_write: bool,
    /// How long one POST /call may take before it counts as unanswered.
    pub dial_timeout: Duration,
    /// Attempts when the dialer API refuses connections, and the first backoff.
    pub dial_attempts: u32,
    pub dial_backoff: Duration,
    /// For the embedded simulator only.
    pub sim: SimConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: None,
            dialer_url: None,
            data_dir: None,
            concurrency: 3,
            call_timeout: Duration::from_secs(60),
            numbers: None,
            api_token: None,
            metrics_listen: None,
            insecure_no_token: false,
            flush_each_write: false,
            dial_timeout: Duration::from_secs(10),
            dial_attempts: 5,
            dial_backoff: Duration::from_millis(200),
            sim: SimConfig::default(),
        }
    }
}

/// A started server; dropping it does not stop it, [`RunningServer::shutdown`] does.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub dialer_url: String,
    pub engine: Arc<Engine>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    simulator: Option<Simulator>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, stops dialing and
    /// flushes the store.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        if let Some(sim) = self.simulator.take() {
            sim.stop();
        }
    }
}

pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    if !config.listen.ip().is_loopback() && config.api_token.is_none() && !config.insecure_no_token
    {
        anyhow::bail!(
            "refusing to listen on {} without an API token: anyone who can reach it could start \
             dialing and read every number and status. Set --api-token (or NUMDIALER_API_TOKEN), \
             or listen on 127.0.0.1 and reach it through a proxy or an SSH tunnel, or pass \
             --insecure-no-token if the network is private",
            config.listen
        );
    }
    let store = match &config.data_dir {
        Some(dir) => Store::open(dir).with_context(|| {
            format!(
                "cannot open the data directory {} (is another numdialer-server using it?)",
                dir.display()
            )
        })?,
        None => Store::open_temporary().context("cannot create a temporary store")?,
    }
    .with_flush_each_write(config.flush_each_write);
    let explicit = config.numbers.is_some();
    let numbers = config
        .numbers
        .clone()
        .unwrap_or_else(numdialer_core::default_numbers);
    let engine = Arc::new(Engine::open(
        store,
        numbers,
        explicit,
        config.concurrency,
        config.call_timeout,
    )?);

    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));

    let (simulator, dialer_url) = match &config.dialer_url {
        Some(url) => (None, url.clone()),
        None => {
            let l = TcpListener::bind(("127.0.0.1", 0)).await?;
            let sim = Simulator::start(config.sim.clone(), l).await?;
            let url = sim.url();
            tracing::info!("embedded simulated dialer API on {url}");
            (Some(sim), url)
        }
    };
    let client = DialerClient::new(
        &dialer_url,
        config.dial_timeout,
        config.dial_attempts,
        config.dial_backoff,
    );

    let (shutdown, rx) = watch::channel(false);
    let health = Arc::new(DialerHealth::default());
    let state = routes::AppState {
        engine: engine.clone(),
        api_token: config.api_token.clone().map(Arc::from),
        dialer: health.clone(),
        metrics_elsewhere: config.metrics_listen.is_some(),
        shutdown: rx.clone(),
    };
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let mut tasks = Vec::new();
    if let Some(addr) = config.metrics_listen {
        let l = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} for metrics"))?;
        let app = routes::metrics_router(state.clone());
        tasks.push(tokio::spawn(serve::serve(l, app, stopped(rx.clone()))));
    }
    let app = routes::router(state);
    tasks.push(tokio::spawn(serve::serve(
        listener,
        app,
        stopped(rx.clone()),
    )));
    tasks.push(tokio::spawn(driver::run_driver(
        engine.clone(),
        client.clone(),
        public_url.clone(),
        health.clone(),
        rx.clone(),
    )));
    tasks.push(tokio::spawn(driver::run_timer(engine.clone(), rx.clone())));
    tasks.push(tokio::spawn(driver::run_prober(client, health, rx)));
    tracing::info!(%addr, %public_url, %dialer_url, "numdialer-server listening");
    Ok(RunningServer {
        addr,
        dialer_url,
        engine,
        shutdown,
        tasks,
        simulator,
    })
}
