//! A numdialer-server for the tests, and the `numdialer` binary run against
//! it as a script would: no terminal, output captured, an exit code.

use numdialer_server::{RunningServer, ServerConfig};
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The token the test server wants.
pub const TOKEN: &str = "cli-test-token";

/// How long one command may take: generous, for a loaded 2-core machine
/// running a debug build. A command that ends sooner is not waited for.
const DEADLINE: Duration = Duration::from_secs(120);

/// A server on loopback with [`TOKEN`], its data in a temporary directory,
/// and a simulated dialer API 100 times faster than the real one.
pub struct Server {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Server {
        Server::start_scaled(0.01).await
    }

    /// A server whose simulated calls take `scale` times their real time.
    pub async fn start_scaled(scale: f64) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig::default();
        config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        config.http.api_token = Some(TOKEN.into());
        config.store.data_dir = Some(dir.path().join("data"));
        config.dialing.call_timeout = Duration::from_secs(5);
        config.provider.sim.time_scale = scale;
        let server = numdialer_server::start(config).await.unwrap();
        Server { server, dir }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A file in the test's directory with `text` in it.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `numdialer args --server <this> --token <TOKEN>`.
    pub async fn run(&self, args: &[&str]) -> Output {
        let mut argv: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        argv.extend([
            "--server".into(),
            self.url(),
            "--token".into(),
            TOKEN.into(),
        ]);
        numdialer(argv, Io::default()).await
    }

    /// [`Server::run`], expecting exit code 0; returns stdout.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert_eq!(out.code, 0, "numdialer {args:?}: {out:?}");
        out.stdout
    }

    pub async fn stop(self) {
        self.server.shutdown().await;
    }
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Where a run reads and writes, beyond the captured pipes.
#[derive(Debug, Default)]
pub struct Io {
    /// Its stdin comes from this file (none: closed).
    pub stdin: Option<PathBuf>,
    /// Its stdout goes to this file instead of being captured.
    pub stdout: Option<PathBuf>,
    /// Variables set for it, after every NUMDIALER_* of this process is
    /// removed (a developer's own NUMDIALER_SERVER must not leak in).
    pub env: Vec<(&'static str, String)>,
}

/// Runs the `numdialer` binary and waits for it, at most [`DEADLINE`].
pub async fn numdialer(argv: Vec<String>, io: Io) -> Output {
    tokio::task::spawn_blocking(move || run_blocking(argv, io))
        .await
        .unwrap()
}

fn run_blocking(argv: Vec<String>, io: Io) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_numdialer"));
    cmd.args(&argv);
    for (name, _) in std::env::vars() {
        if name.starts_with("NUMDIALER_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(io.env.iter().map(|(k, v)| (k, v)));
    cmd.stdin(match &io.stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).unwrap()),
        None => Stdio::null(),
    });
    cmd.stdout(match &io.stdout {
        Some(p) => Stdio::from(std::fs::File::create(p).unwrap()),
        None => Stdio::piped(),
    });
    cmd.stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().map(read_all);
    let stderr = read_all(child.stderr.take().unwrap());
    let until = Instant::now() + DEADLINE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("numdialer {argv:?} did not end within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        code: status.code().expect("ended by a signal"),
        stdout: stdout.map(|t| t.join().unwrap()).unwrap_or_default(),
        stderr: stderr.join().unwrap(),
    }
}

/// Reads a pipe to its end on a thread of its own, so that a full pipe
/// never stalls the child.
fn read_all(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        pipe.read_to_string(&mut text).unwrap();
        text
    })
}

/// The id of the campaign a `add --json` printed.
pub fn id_of(json: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no id in {json}"))
}

/// The nine numbers of the built-in list as a CSV with names and one
/// column of the import's own.
pub fn nine_csv() -> String {
    let mut csv = String::from("phone,name,region\n");
    for (i, n) in numdialer_core::DEFAULT_NUMBERS.iter().enumerate() {
        csv.push_str(&format!("+{n},Person {i},north\n"));
    }
    csv
}

pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Runs `args` (expecting 0) until its JSON answer passes `check`, for at
/// most [`DEADLINE`]; returns that answer.
pub async fn wait_json(
    s: &Server,
    args: &[&str],
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let until = Instant::now() + DEADLINE;
    loop {
        let v: serde_json::Value = serde_json::from_str(&s.ok(args).await).unwrap();
        if check(&v) {
            return v;
        }
        assert!(
            Instant::now() < until,
            "numdialer {args:?} never passed: {v}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
