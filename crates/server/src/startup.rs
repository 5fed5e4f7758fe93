//! Building and running the server: its configuration by component, and
//! [`start`] in named steps. This is the only module that knows which
//! provider runs.

use crate::driver::{self, Driver};
use crate::engine::{Calling, Engine};
use crate::events::delivery::{self, DeliveryConfig};
use crate::http::budget::ImportBudget;
use crate::http::serve::{self, ConnectionLimits, Connections};
use crate::http::{self, AppState};
use crate::provider::numdialer::{DialerClient, DialerHeader};
use crate::provider::pace::Pace;
use crate::provider::simulator::twilio::{TwilioSimConfig, TwilioSimulator};
use crate::provider::simulator::{SimConfig, Simulator};
use crate::provider::twilio::{TwilioClient, TwilioConfig};
use crate::provider::{Accepts, AnyProvider, DialerHealth, Provider};
use crate::shutdown::{self, Shutdown, Trigger};
use crate::store::manifest::Marks;
use crate::store::{Store, StoreError, Stored};
use crate::{healer, integrity};
use anyhow::Context;
use numdialer_core::args::ProviderKind;
use numdialer_core::hours::{CallingHours, CallingRules};
use numdialer_core::protocol::twilio::Instructions;
use numdialer_core::{Country, Phone, Secret};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Everything [`start`] needs, by component; the binary fills it from the
/// command line.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    pub http: HttpConfig,
    pub store: StoreConfig,
    pub dialing: DialingConfig,
    pub provider: ProviderConfig,
    /// How outbound events are delivered.
    pub webhooks: DeliveryConfig,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// Base URL the dialer API reaches for webhooks; `http://<listen>` if unset.
    pub public_url: Option<String>,
    pub api_token: Option<Secret>,
    /// Serve `/metrics` on this address, without the API token, instead of
    /// beside the API.
    pub metrics_listen: Option<SocketAddr>,
    /// Allow a non-loopback `listen` without `api_token`.
    pub insecure_no_token: bool,
    /// Allow a non-loopback `metrics_listen` (it has no token).
    pub metrics_insecure: bool,
    /// The header timeout and the connection cap, over both listeners.
    pub connections: ConnectionLimits,
    /// `--import-memory`: what imports in flight may take together, MiB.
    pub import_memory_mib: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            public_url: None,
            api_token: None,
            metrics_listen: None,
            insecure_no_token: false,
            metrics_insecure: false,
            connections: ConnectionLimits::default(),
            import_memory_mib: crate::http::budget::DEFAULT_IMPORT_MEMORY_MIB,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `None` keeps the data in a temporary store that vanishes on exit.
    pub data_dir: Option<PathBuf>,
    /// Benchmarks only: one store flush per write instead of group commit.
    pub flush_each_write: bool,
    /// Start even when the directory lost records its manifest remembers.
    pub accept_data_loss: bool,
    /// How long the store may fail before the server gives up on it.
    pub grace: Duration,
    /// Campaigns held at most (`--max-campaigns`).
    pub max_campaigns: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            data_dir: None,
            flush_each_write: false,
            accept_data_loss: false,
            grace: Duration::from_secs(30),
            max_campaigns: 1000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DialingConfig {
    pub concurrency: usize,
    pub call_timeout: Duration,
    /// The list to dial; `None` is the default list (or the stored one).
    pub numbers: Option<Vec<Phone>>,
    /// `--default-country`: where numbers without `+` are read, in the
    /// numbers file and in imports that name no country.
    pub default_country: Option<Country>,
    /// The numbers file as releases before validity checks read it, when
    /// this release reads it differently or refuses it.
    pub numbers_before: Option<NumbersBefore>,
    /// `--calling-hours`; `None`: 08:00-21:00 against a real provider,
    /// off against an embedded simulator.
    pub calling_hours: Option<CallingHours>,
    /// `--calling-rules`, parsed.
    pub calling_rules: Option<CallingRules>,
}

/// A `--numbers-file` that this release reads differently from earlier
/// ones (a number it calls invalid, say). A data directory that already
/// dials the earlier reading keeps it, with a warning, so that no upgraded
/// server refuses to start; a new one gets this release's reading or its
/// refusal.
#[derive(Debug, Clone)]
pub struct NumbersBefore {
    pub numbers: Vec<Phone>,
    /// What this release says of the file.
    pub why: String,
}

impl Default for DialingConfig {
    fn default() -> Self {
        DialingConfig {
            concurrency: 3,
            call_timeout: Duration::from_secs(60),
            numbers: None,
            default_country: None,
            numbers_before: None,
            calling_hours: None,
            calling_rules: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// Which protocol the dialer API speaks.
    pub dialer: ProviderKind,
    /// Twilio's account and what each call plays: needed when `dialer` is
    /// Twilio, unused otherwise.
    pub twilio: Option<TwilioSettings>,
    /// An external dialer API; `None` starts the embedded simulator (with
    /// numDialer) or means Twilio's own API (with Twilio, unless
    /// `twilio_sim` asks for its simulator).
    pub dialer_url: Option<String>,
    /// Requests that create a call, a second at most, retries included;
    /// `None` is no cap.
    pub max_cps: Option<f64>,
    /// Sent on every request to a numDialer-style API (`--dialer-header`).
    pub dialer_headers: Vec<DialerHeader>,
    /// What a numDialer-style API can dial (`--dialer-accepts`); `None`:
    /// the simulator's rule for the embedded simulator, any number for
    /// an API of one's own.
    pub dialer_accepts: Option<Accepts>,
    /// How long one POST /call may take before it counts as unanswered.
    pub dial_timeout: Duration,
    /// Attempts when the dialer API refuses connections, and the first backoff.
    pub dial_attempts: u32,
    pub dial_backoff: Duration,
    /// For the embedded simulator only.
    pub sim: SimConfig,
    /// With Twilio and no `dialer_url`: run this Twilio simulator embedded,
    /// under the account of the [`TwilioSettings`], instead of dialing
    /// through Twilio's own API. `numdialer --dialer twilio` sets it, so
    /// that its demo speaks Twilio's protocol and never rings a phone;
    /// `numdialer-server` leaves it unset, since a server told to dial
    /// through Twilio must not pretend to.
    pub twilio_sim: Option<TwilioSimConfig>,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig {
            dialer: ProviderKind::Numdialer,
            twilio: None,
            dialer_url: None,
            max_cps: None,
            dialer_headers: Vec::new(),
            dialer_accepts: None,
            dial_timeout: Duration::from_secs(10),
            dial_attempts: 5,
            dial_backoff: Duration::from_millis(200),
            sim: SimConfig::default(),
            twilio_sim: None,
        }
    }
}

/// Twilio's account and what each call plays. The auth token is a
/// [`Secret`], so that printing the configuration never shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: Secret,
    /// The caller id, in E.164 with `+`.
    pub from: String,
    pub instructions: Instructions,
    /// How long Twilio lets a phone ring before reporting `no-answer`.
    pub ring_timeout: Duration,
}

impl TwilioSettings {
    /// The account of the Twilio simulator's defaults, calling from
    /// Twilio's test number: what an embedded demo dials with.
    pub fn simulated() -> Self {
        let sim = TwilioSimConfig::default();
        TwilioSettings {
            account_sid: sim.account_sid,
            auth_token: sim.auth_token,
            from: "+15005550006".into(),
            instructions: Instructions::default(),
            ring_timeout: Duration::from_secs(30),
        }
    }
}

/// Twilio's own API, used when `--dialer twilio` comes without `--dialer-url`.
pub const TWILIO_API_URL: &str = "https://api.twilio.com";

/// A simulated dialer API running inside the server, stopped with it.
enum EmbeddedSimulator {
    NumDialer(Simulator),
    Twilio(TwilioSimulator),
}

impl EmbeddedSimulator {
    fn stop(&self) {
        match self {
            EmbeddedSimulator::NumDialer(s) => s.stop(),
            EmbeddedSimulator::Twilio(s) => s.stop(),
        }
    }
}

/// A `--numbers-file` as this release reads it, and as earlier ones did
/// when that differs.
pub struct NumbersFile {
    /// `None` when this release refuses the file (`before` says why).
    pub numbers: Option<Vec<Phone>>,
    pub before: Option<NumbersBefore>,
}

/// Reads a `--numbers-file` with no country, naming the file and the bad
/// line on error: the embedded server's list, in a store of its own.
pub fn read_numbers_file(path: &Path) -> anyhow::Result<Vec<Phone>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --numbers-file {}", path.display()))?;
    numdialer_core::parse_numbers(&text)
        .with_context(|| format!("bad --numbers-file {}", path.display()))
}

/// Reads the server's `--numbers-file` (numbers without `+` in
/// `country`), naming the file and the bad line on error. A file that
/// only this release refuses or reads differently is not an error here:
/// whether the data directory already dials it is known once it is open.
pub fn read_numbers_file_in(path: &Path, country: Option<Country>) -> anyhow::Result<NumbersFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --numbers-file {}", path.display()))?;
    let bad = |e: &dyn std::fmt::Display| {
        format!(
            "bad --numbers-file {}: {e} (for this file: --default-country)",
            path.display()
        )
    };
    let strict = numdialer_core::read_numbers(&text, country);
    let before = numdialer_core::parse_numbers_as_before(&text).ok();
    match (strict, before) {
        (Ok((numbers, warnings)), before) => {
            for w in warnings {
                tracing::warn!("--numbers-file {}: {w}", path.display());
            }
            let before = before.filter(|b| *b != numbers).map(|b| NumbersBefore {
                numbers: b,
                why: format!(
                    "--numbers-file {} is read as other numbers than before (numbers without + are read in --default-country, or must be valid with their country code)",
                    path.display()
                ),
            });
            Ok(NumbersFile {
                numbers: Some(numbers),
                before,
            })
        }
        (Err(e), Some(b)) => Ok(NumbersFile {
            numbers: None,
            before: Some(NumbersBefore {
                numbers: b,
                why: bad(&e),
            }),
        }),
        (Err(e), None) => Err(anyhow::anyhow!(bad(&e))),
    }
}

/// The list campaign 1 is opened with: the numbers file as read now; or,
/// when this release reads it differently, the earlier reading if the
/// data directory already dials exactly that (with a warning), and
/// otherwise this release's reading, or its refusal of the file.
fn numbers_to_open(
    dialing: &DialingConfig,
    stored: Option<&Stored>,
) -> anyhow::Result<Option<Vec<Phone>>> {
    let Some(before) = &dialing.numbers_before else {
        return Ok(dialing.numbers.clone());
    };
    let dials = stored
        .and_then(|s| s.campaigns.first())
        .map(|c| c.entries.iter().map(|e| &e.phone).eq(before.numbers.iter()));
    if dials == Some(true) {
        tracing::warn!(
            "{}; the data directory already dials it as read before, and keeps doing so",
            before.why
        );
        return Ok(Some(before.numbers.clone()));
    }
    match &dialing.numbers {
        Some(numbers) => Ok(Some(numbers.clone())),
        None => Err(anyhow::anyhow!(before.why.clone())),
    }
}

/// A started server. Dropping it stops it (its tasks wind down in the
/// background); [`RunningServer::shutdown`] stops it and waits until the
/// store is flushed.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub dialer_url: String,
    pub engine: Arc<Engine>,
    /// Fires when dropped, so that no task outlives a dropped server.
    trigger: Trigger,
    /// Set when the store failed for longer than its grace.
    fatal: watch::Receiver<Option<String>>,
    tasks: Vec<JoinHandle<()>>,
    simulator: Option<EmbeddedSimulator>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns, with why, once the server cannot go on (the store failed
    /// for longer than `--store-grace`); the binary then exits non-zero.
    pub async fn failed(&self) -> String {
        let mut fatal = self.fatal.clone();
        match fatal.wait_for(Option::is_some).await {
            Ok(why) => why.clone().unwrap_or_default(),
            Err(_) => std::future::pending().await,
        }
    }

    /// Stops accepting, lets in-flight requests finish, stops dialing and
    /// flushes the store.
    pub async fn shutdown(mut self) {
        self.trigger.fire();
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
        if let Some(sim) = self.simulator.take() {
            sim.stop();
        }
    }
}

pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    check_exposure(&config.http)?;
    crate::http::budget::fix_allocator_thresholds();
    let calling = calling(&config.dialing, &config.provider);
    let (engine, keeper) = open_engine(&config.store, &config.dialing, calling).await?;
    engine.set_max_campaigns(config.store.max_campaigns);
    engine
        .outbound
        .set_allow_private(config.webhooks.allow_private);
    let engine = Arc::new(engine);
    let listeners = bind(&config.http).await?;
    let addr = listeners.api.local_addr()?;
    let public_url = config
        .http
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let (provider, simulator, dialer_url) = connect_provider(&config.provider, &public_url).await?;
    let (trigger, shutdown) = shutdown::channel();
    let health = Arc::new(DialerHealth::default());
    let state = AppState {
        engine: engine.clone(),
        api_token: config.http.api_token.clone().map(Arc::new),
        dialer: health.clone(),
        callbacks: provider.callbacks(),
        metrics_elsewhere: listeners.metrics.is_some(),
        shutdown: shutdown.clone(),
        max_cps: config.provider.max_cps.map(|c| c.to_string()),
        default_country: config.dialing.default_country,
        accepts: Arc::new(provider.accepts()),
        imports: ImportBudget::new(config.http.import_memory_mib),
        statuses: Arc::default(),
    };
    let keep_current = state
        .statuses
        .clone()
        .keep_current(engine.clone(), shutdown.clone());
    let driver = Driver {
        engine: engine.clone(),
        provider,
        public_url: public_url.trim_end_matches('/').to_string(),
        health,
    };
    let connections = Connections::new(config.http.connections);
    let mut tasks = spawn_tasks(listeners, state, driver, connections, &shutdown);
    let (fatal_tx, fatal) = watch::channel(None);
    let heal = healer::run_healer(
        engine.clone(),
        config.store.grace,
        fatal_tx,
        shutdown.clone(),
    );
    tasks.push(tokio::spawn(heal));
    tasks.push(tokio::spawn(keep_current));
    let deliver = delivery::run(engine.clone(), config.webhooks, shutdown.clone());
    tasks.push(tokio::spawn(deliver));
    if let Some(k) = keeper {
        let keep = integrity::run_keeper(engine.clone(), k.dir, k.id, k.written, shutdown.clone());
        tasks.push(tokio::spawn(keep));
    }
    tracing::info!(%addr, %public_url, %dialer_url, "numdialer-server listening");
    Ok(RunningServer {
        addr,
        dialer_url,
        engine,
        trigger,
        fatal,
        tasks,
        simulator,
    })
}

/// What calling hours the server dials under: `--calling-hours`, else
/// 08:00-21:00 through a real provider (`--dialer-url`, or Twilio's own
/// API) and off with an embedded simulator, which rings nobody. Off
/// through a real provider is allowed, and said loudly.
fn calling(dialing: &DialingConfig, provider: &ProviderConfig) -> Calling {
    let real = provider.dialer_url.is_some()
        || (provider.dialer == ProviderKind::Twilio && provider.twilio_sim.is_none());
    let default_hours = dialing.calling_hours.unwrap_or(if real {
        CallingHours::Window(DEFAULT_WINDOW.parse().expect("the default window parses"))
    } else {
        CallingHours::Off
    });
    if real && default_hours == CallingHours::Off {
        tracing::warn!(
            "calling hours are off while dialing through a real provider: new campaigns dial at \
             any hour of their callees' day unless their import sets calling_hours"
        );
    }
    if let Some(rules) = &dialing.calling_rules {
        tracing::info!(
            rules = rules.rules().len(),
            "stricter calling hours by number prefix loaded"
        );
    }
    tracing::info!(calling_hours = %default_hours, "calling hours of new campaigns");
    Calling {
        default_hours,
        first_takes_default: dialing.calling_hours.is_some(),
        real_provider: real,
        rules: dialing.calling_rules.clone(),
    }
}

/// The calling hours of new campaigns against a real provider: what US
/// rules (47 CFR 64.1200, the FTC's Telemarketing Sales Rule) allow for
/// solicitation calls, in the callee's local time.
const DEFAULT_WINDOW: &str = "08:00-21:00";

/// Refuses to expose the API beyond loopback without a token, and the
/// metrics port (which has none) beyond loopback unless asked to.
fn check_exposure(http: &HttpConfig) -> anyhow::Result<()> {
    if let Some(metrics) = http.metrics_listen
        && !metrics.ip().is_loopback()
        && !http.metrics_insecure
    {
        anyhow::bail!(
            "refusing to serve /metrics on {metrics}: the metrics port has no token, so anyone \
             who can reach it could read the campaigns' counts. Listen on 127.0.0.1 and scrape \
             through an SSH tunnel or a proxy, or pass --metrics-insecure (or \
             NUMDIALER_METRICS_INSECURE=true) if the network is private"
        );
    }
    if !http.listen.ip().is_loopback() && http.api_token.is_none() && !http.insecure_no_token {
        anyhow::bail!(
            "refusing to listen on {} without an API token: anyone who can reach it could start \
             dialing and read every number and status. Set --api-token (or NUMDIALER_API_TOKEN), \
             or listen on 127.0.0.1 and reach it through a proxy or an SSH tunnel, or pass \
             --insecure-no-token if the network is private",
            http.listen
        );
    }
    Ok(())
}

/// The data directory's manifest, kept up to date while the server runs.
struct Keeper {
    dir: PathBuf,
    id: String,
    written: Marks,
}

/// Opens the store, refuses it if it lost what it had made durable (see
/// [`integrity`]), and opens the campaign in it (or creates the list).
async fn open_engine(
    store: &StoreConfig,
    dialing: &DialingConfig,
    calling: Calling,
) -> anyhow::Result<(Engine, Option<Keeper>)> {
    let opened = match &store.data_dir {
        Some(dir) => match Store::open(dir) {
            Ok(s) => s,
            // Says what holds it and what to do, in one sentence.
            Err(e @ StoreError::Locked { .. }) => return Err(e.into()),
            Err(e) => {
                let dir = dir.display();
                return Err(anyhow::Error::from(e))
                    .context(format!("cannot open the data directory {dir}"));
            }
        },
        None => Store::open_temporary().context("cannot create a temporary store")?,
    }
    .with_flush_each_write(store.flush_each_write);
    let stored = opened.load()?;
    let id = match &store.data_dir {
        Some(dir) => Some(integrity::verify(
            dir,
            &opened,
            stored.as_ref(),
            store.accept_data_loss,
        )?),
        None => None,
    };
    let chosen = numbers_to_open(dialing, stored.as_ref())?;
    let explicit = chosen.is_some();
    let numbers = chosen.unwrap_or_else(numdialer_core::default_numbers);
    let engine = Engine::open(
        opened,
        stored,
        numbers,
        explicit,
        dialing.concurrency,
        dialing.call_timeout,
    )?
    .with_calling(calling)?;
    let keeper = match (&store.data_dir, id) {
        (Some(dir), Some(id)) => {
            let written = integrity::record(dir, &id, &engine)
                .await
                .context("cannot record the data directory's identity")?;
            Some(Keeper {
                dir: dir.clone(),
                id,
                written,
            })
        }
        _ => None,
    };
    Ok((engine, keeper))
}

struct Listeners {
    api: TcpListener,
    metrics: Option<TcpListener>,
}

/// An address the server could not listen on; the binary exits 3 on it.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot listen on {addr}: {error}. Is another process using that address? Choose another \
     {flag}"
)]
pub struct ListenError {
    pub addr: SocketAddr,
    pub flag: &'static str,
    pub error: std::io::Error,
}

async fn listen(addr: SocketAddr, flag: &'static str) -> Result<TcpListener, ListenError> {
    TcpListener::bind(addr)
        .await
        .map_err(|error| ListenError { addr, flag, error })
}

async fn bind(http: &HttpConfig) -> anyhow::Result<Listeners> {
    let api = listen(http.listen, "--listen").await?;
    let metrics = match http.metrics_listen {
        Some(addr) => Some(listen(addr, "--metrics-listen").await?),
        None => None,
    };
    Ok(Listeners { api, metrics })
}

/// The client for the configured dialer API, or for an embedded simulator
/// started here when none is configured, with every call-creating request
/// paced to `--max-cps`; and the API's URL.
async fn connect_provider(
    config: &ProviderConfig,
    public_url: &str,
) -> anyhow::Result<(AnyProvider, Option<EmbeddedSimulator>, String)> {
    if let Some(cps) = config.max_cps {
        tracing::info!("at most {cps} call requests a second, retries included (--max-cps)");
    }
    let pace = Pace::new(config.max_cps);
    match config.dialer {
        ProviderKind::Twilio => connect_twilio(config, public_url, pace).await,
        ProviderKind::Numdialer => connect_numdialer(config, pace).await,
    }
}

/// The Twilio client. `public_url` is where Twilio's callbacks are signed
/// for.
async fn connect_twilio(
    config: &ProviderConfig,
    public_url: &str,
    pace: Pace,
) -> anyhow::Result<(AnyProvider, Option<EmbeddedSimulator>, String)> {
    let Some(t) = &config.twilio else {
        anyhow::bail!(
            "dialing through Twilio needs its account: --twilio-account-sid, \
             --twilio-auth-token and --from"
        );
    };
    let (simulator, url) = match (&config.dialer_url, &config.twilio_sim) {
        (Some(url), _) => (None, url.clone()),
        (None, None) => (None, TWILIO_API_URL.to_string()),
        (None, Some(sim)) => {
            let sim = TwilioSimConfig {
                account_sid: t.account_sid.clone(),
                auth_token: t.auth_token.clone(),
                ..sim.clone()
            };
            let l = TcpListener::bind(("127.0.0.1", 0)).await?;
            let sim = TwilioSimulator::start(sim, l).await?;
            let url = sim.url();
            tracing::info!("embedded simulated Twilio API on {url}");
            (Some(EmbeddedSimulator::Twilio(sim)), url)
        }
    };
    let client = TwilioClient::new(
        TwilioConfig {
            base_url: url.clone(),
            account_sid: t.account_sid.clone(),
            auth_token: t.auth_token.clone(),
            from: t.from.clone(),
            instructions: t.instructions.clone(),
            ring_timeout_secs: u32::try_from(t.ring_timeout.as_secs()).unwrap_or(u32::MAX),
            public_url: public_url.trim_end_matches('/').to_string(),
        },
        config.dial_timeout,
        config.dial_attempts,
        config.dial_backoff,
    )
    .with_pace(pace);
    tracing::info!(calls_url = client.calls_url(), "dialing through Twilio");
    Ok((AnyProvider::Twilio(client), simulator, url))
}

/// The numDialer client, of `--dialer-url` or of an embedded simulator.
async fn connect_numdialer(
    config: &ProviderConfig,
    pace: Pace,
) -> anyhow::Result<(AnyProvider, Option<EmbeddedSimulator>, String)> {
    let (simulator, url) = match &config.dialer_url {
        Some(url) => (None, url.clone()),
        None => {
            let l = TcpListener::bind(("127.0.0.1", 0)).await?;
            let sim = Simulator::start(config.sim.clone(), l).await?;
            let url = sim.url();
            tracing::info!("embedded simulated dialer API on {url}");
            (Some(EmbeddedSimulator::NumDialer(sim)), url)
        }
    };
    let client = DialerClient::new(
        &url,
        &config.dialer_headers,
        config.dial_timeout,
        config.dial_attempts,
        config.dial_backoff,
    )
    .with_pace(pace)
    .with_accepts(match (&config.dialer_accepts, &simulator) {
        (Some(accepts), _) => accepts.clone(),
        (None, Some(_)) => Accepts::numdialer(),
        (None, None) => Accepts::Any,
    });
    Ok((AnyProvider::NumDialer(client), simulator, url))
}

fn spawn_tasks(
    listeners: Listeners,
    state: AppState,
    driver: Driver<AnyProvider>,
    connections: Arc<Connections>,
    shutdown: &Shutdown,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    if let Some(l) = listeners.metrics {
        let app = http::metrics_router(state.clone());
        let serving = serve::serve(l, app, connections.clone(), shutdown.clone());
        tasks.push(tokio::spawn(serving));
    }
    let app = http::router(state);
    let serving = serve::serve(listeners.api, app, connections, shutdown.clone());
    tasks.push(tokio::spawn(serving));
    tasks.push(tokio::spawn(driver::run_prober(
        driver.provider.clone(),
        driver.health.clone(),
        shutdown.clone(),
    )));
    tasks.push(tokio::spawn(driver::run_voicemail(
        driver.engine.clone(),
        driver.provider.clone(),
        shutdown.clone(),
    )));
    tasks.push(tokio::spawn(driver::run_timer(
        driver.engine.clone(),
        shutdown.clone(),
    )));
    tasks.push(tokio::spawn(driver::run_driver(driver, shutdown.clone())));
    tasks
}
