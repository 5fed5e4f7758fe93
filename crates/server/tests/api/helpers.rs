//! Shared by the integration tests: a real simulator and a real server on
//! loopback ports, a real sled directory, and waiting with deadlines.

use numdialer_core::api::StatusesResponse;
use numdialer_server::provider::simulator::{DialRecord, SimConfig, Simulator};
use numdialer_server::{RunningServer, ServerConfig};
use numdialer_testkit::{Log, wait_until};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

pub use numdialer_testkit::ServerProcess;

/// Generous: these tests must pass on a loaded 2-core machine.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// The `numdialer-server` binary that Cargo built for these tests.
pub const SERVER_BIN: &str = env!("CARGO_BIN_EXE_numdialer-server");

/// Polls `check` until it returns `Some`, failing the test at `deadline`.
pub async fn wait_for<T, F, Fut>(what: &str, deadline: Duration, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    wait_until(deadline, check)
        .await
        .unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

pub async fn start_sim(config: SimConfig) -> Simulator {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Simulator::start(config, l).await.unwrap()
}

/// Near-zero delays so that a dial-down takes well under a second.
pub fn fast_sim() -> SimConfig {
    SimConfig {
        time_scale: 0.01,
        seed: Some(7),
        ..SimConfig::default()
    }
}

pub struct Harness {
    pub sim: Simulator,
    pub server: RunningServer,
    pub http: reqwest::Client,
    /// The sled directory; held so that it outlives the server.
    _dir: TempDir,
}

impl Harness {
    /// The server on a fresh sled directory, dialing `sim` over HTTP.
    pub async fn start(sim: SimConfig, tweak: impl FnOnce(&mut ServerConfig)) -> Harness {
        let sim = start_sim(sim).await;
        Harness::reopen(sim, tempfile::tempdir().unwrap(), tweak).await
    }

    /// A server on `dir`, dialing `sim`: a new one, or one on the data
    /// directory and simulator of a stopped one (from
    /// [`Harness::stop_keeping`]), as a restart finds them.
    pub async fn reopen(
        sim: Simulator,
        dir: TempDir,
        tweak: impl FnOnce(&mut ServerConfig),
    ) -> Harness {
        let mut config = ServerConfig::default();
        config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.provider.dialer_url = Some(sim.url());
        config.store.data_dir = Some(dir.path().to_path_buf());
        // No result may depend on the hour the tests run at.
        config.dialing.calling_hours = Some(numdialer_core::hours::CallingHours::Off);
        tweak(&mut config);
        let server = numdialer_server::start(config).await.unwrap();
        Harness {
            sim,
            server,
            http: client(),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub fn data_dir(&self) -> &Path {
        self._dir.path()
    }

    pub async fn statuses(&self) -> StatusesResponse {
        statuses(&self.http, &self.server.url()).await.unwrap()
    }

    /// `GET /campaigns`.
    pub async fn campaigns(&self) -> numdialer_core::api::CampaignsResponse {
        let r = self.http.get(self.url("/campaigns")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// `GET /metrics` beside the API, as text.
    pub async fn metrics(&self) -> String {
        get_metrics(self, &self.server.url()).await
    }

    pub async fn start_calls(&self) -> reqwest::StatusCode {
        start_calls(&self.http, &self.server.url()).await
    }

    pub async fn wait_finished(&self) -> StatusesResponse {
        wait_finished(&self.http, &self.server.url()).await
    }

    /// Shuts the server down and waits until its store is flushed. A
    /// dropped `RunningServer` stops too, but in the background; a test that
    /// starts servers one after another in one runtime waits here instead.
    pub async fn stop(self) {
        self.server.shutdown().await;
    }

    /// Stops the server cleanly and hands over its simulator and its data
    /// directory.
    pub async fn stop_keeping(self) -> (Simulator, TempDir) {
        self.server.shutdown().await;
        (self.sim, self._dir)
    }
}

/// A client that drops idle connections before the server does (it closes
/// them after `serve::HEADER_TIMEOUT`), so that it never reuses one the
/// server is closing.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// `POST /calls`; the status code it got.
pub async fn start_calls(http: &reqwest::Client, base: &str) -> reqwest::StatusCode {
    http.post(format!("{base}/calls"))
        .send()
        .await
        .unwrap()
        .status()
}

pub async fn statuses(http: &reqwest::Client, base: &str) -> Option<StatusesResponse> {
    let r = http.get(format!("{base}/statuses")).send().await.ok()?;
    assert_eq!(r.status(), 200);
    Some(r.json().await.unwrap())
}

pub async fn wait_finished(http: &reqwest::Client, base: &str) -> StatusesResponse {
    wait_for("the dial-down to finish", DEADLINE, || async {
        statuses(http, base).await.filter(|s| s.finished)
    })
    .await
}

/// The rules the dialer API can observe: the dials arrived in list order,
/// one per entry, and never more than `window` calls were in flight.
pub fn assert_dialed_in_order(dials: &[DialRecord], list: &[&str], window: usize) {
    let phones: Vec<&str> = dials.iter().map(|d| d.phone.as_str()).collect();
    assert_eq!(phones, list, "dials received by the API");
    let urls: std::collections::HashSet<&str> =
        dials.iter().map(|d| d.webhook_url.as_str()).collect();
    assert_eq!(urls.len(), dials.len(), "one webhook URL per dial");
    let max = dials.iter().map(|d| d.in_flight_before).max().unwrap_or(0);
    assert!(max < window, "{max} calls in flight before a dial");
}

/// Milliseconds from a line freeing (as the API saw it) to the next dial
/// arriving, for dials that waited on a free line rather than on the
/// previous dial's answer.
pub fn refill_gaps(dials: &[DialRecord], window: usize) -> Vec<f64> {
    let mut gaps = Vec::new();
    for j in window..dials.len() {
        let mut finals: Vec<f64> = dials[..j].iter().filter_map(|d| d.final_ms).collect();
        finals.sort_by(f64::total_cmp);
        let Some(&freed) = finals.get(j - window) else {
            continue;
        };
        if freed > dials[j - 1].received_ms {
            gaps.push(dials[j].received_ms - freed);
        }
    }
    gaps
}

/// `numdialer-server` with `args`, listening on `listen`, its `info` log
/// appended to `log`, once it answers `/healthz`.
pub async fn start_server(listen: SocketAddr, args: &[&str], log: &Path) -> ServerProcess {
    let log = Log {
        filter: "info",
        file: Some(log),
    };
    ServerProcess::start(Path::new(SERVER_BIN), listen, args, log)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

/// A `numdialer-server` process on a fresh data directory, dialing through
/// a simulator, that can be stopped and started again on the same directory.
pub struct Node {
    /// The data directory, numbers file and log; held so that they outlive
    /// every process started on them.
    _dir: TempDir,
    listen: SocketAddr,
    args: Vec<String>,
    pub log: PathBuf,
    pub http: reqwest::Client,
    pub server: ServerProcess,
}

impl Node {
    /// Starts the binary on a free port with `--dialer-url`, `--data-dir`,
    /// the `list` (if any) as `--numbers-file`, and `extra` flags.
    pub async fn start(sim: &Simulator, list: Option<&[String]>, extra: &[&str]) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut args: Vec<String> = vec![
            "--dialer-url".into(),
            sim.url(),
            "--data-dir".into(),
            dir.path().join("data").to_str().unwrap().into(),
        ];
        if let Some(list) = list {
            let file = dir.path().join("numbers.txt");
            std::fs::write(&file, list.join("\n")).unwrap();
            args.extend(["--numbers-file".into(), file.to_str().unwrap().into()]);
        }
        args.extend(extra.iter().map(|a| a.to_string()));
        let log = dir.path().join("server.log");
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = start_server(listen, &argv, &log).await;
        Node {
            _dir: dir,
            listen,
            args,
            log,
            http: client(),
            server,
        }
    }

    /// A new process on the same directory and port, once the old one is
    /// gone (otherwise the old one would answer for the new).
    pub async fn restart(&mut self) {
        assert!(
            self.server.try_wait().unwrap().is_some(),
            "restart only after the old process has exited"
        );
        let argv: Vec<&str> = self.args.iter().map(String::as_str).collect();
        self.server = start_server(self.listen, &argv, &self.log).await;
    }

    pub async fn start_calls(&self) -> reqwest::StatusCode {
        start_calls(&self.http, self.server.base()).await
    }
}

/// A list of digits as the server's configuration takes it.
pub fn phones(list: &[String]) -> Vec<numdialer_core::Phone> {
    list.iter()
        .map(|p| numdialer_core::Phone::parse(p).unwrap())
        .collect()
}

/// `GET {base}/metrics` (the API's address, or `--metrics-listen`'s), as
/// the Prometheus text format it must be.
pub async fn get_metrics(h: &Harness, base: &str) -> String {
    let r = h.http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    r.text().await.unwrap()
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    numdialer_testkit::free_port().expect("a free loopback port")
}

/// The HTTP API in process: the real router over a real temporary store,
/// driven with `oneshot`, with no socket and no driver, so nothing is ever
/// dialed. For status codes and JSON shapes; what is about sockets
/// (keep-alive, slow clients, signals) goes through `Harness`.
pub struct InProcess {
    router: axum::Router,
    _trigger: numdialer_server::shutdown::Trigger,
}

/// What the router answered.
pub struct Answer {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }
}

impl InProcess {
    pub fn new(api_token: Option<&str>) -> InProcess {
        use numdialer_server::http::{AppState, router};
        use numdialer_server::provider::numdialer::NumDialerCallbacks;
        use std::sync::Arc;
        let engine = numdialer_server::engine::Engine::open(
            numdialer_server::store::Store::open_temporary().unwrap(),
            None,
            numdialer_core::default_numbers(),
            false,
            3,
            Duration::from_secs(60),
        )
        .unwrap();
        let (trigger, shutdown) = numdialer_server::shutdown::channel();
        let state = AppState {
            engine: Arc::new(engine),
            api_token: api_token.map(|t| Arc::new(t.into())),
            dialer: Arc::default(),
            callbacks: Arc::new(NumDialerCallbacks),
            metrics_elsewhere: false,
            shutdown,
            max_cps: None,
            default_country: None,
            accepts: Arc::default(),
            imports: numdialer_server::http::budget::ImportBudget::new(
                numdialer_server::http::budget::DEFAULT_IMPORT_MEMORY_MIB,
            ),
            statuses: Arc::default(),
        };
        InProcess {
            router: router(state),
            _trigger: trigger,
        }
    }

    pub async fn send(&self, req: axum::http::Request<axum::body::Body>) -> Answer {
        use tower::ServiceExt;
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A request with no body and the given headers.
    pub async fn call(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.call_with(method, path, headers, "").await
    }

    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<axum::body::Body>,
    ) -> Answer {
        let mut req = axum::http::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req.body(body.into()).unwrap()).await
    }

    pub async fn statuses(&self) -> StatusesResponse {
        let a = self.call("GET", "/statuses", &[]).await;
        assert_eq!(a.status, 200);
        serde_json::from_slice(&a.body).unwrap()
    }
}
