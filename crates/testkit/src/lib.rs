//! Runs the real `numdialer-server` binary as a child process, for the
//! server's integration tests and for `numdialer-bench`.
//!
//! Both need the same few things from a server process: start it on a
//! known port, know when it can serve (its `/healthz` answers) by asking
//! rather than by sleeping a guessed while, notice at once when it died
//! instead of answering, and make sure it dies with whoever started it,
//! even when a test panics. Kept in two places, those copies had already
//! drifted apart (only one noticed an early exit); kept here, a fix reaches
//! both.
//!
//! The caller names the binary, because each finds a different build: the
//! tests get the debug one from Cargo (`CARGO_BIN_EXE_numdialer-server`),
//! the bench the release one beside itself in `target/release`.
//!
//! Not published: nothing here is for the users of numdialer.

use anyhow::{Context, anyhow};
use std::ffi::OsStr;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a server may take to answer `/healthz`. Generous, because the
/// tests must pass on a loaded 2-core machine, where a debug build opening
/// its sled directory can take seconds.
pub const START_DEADLINE: Duration = Duration::from_secs(60);

/// The pause between two checks of a condition: short enough that a wait
/// ends soon after its condition holds, long enough not to load the machine.
const RECHECK: Duration = Duration::from_millis(10);

/// Asks `check` until it returns `Some`, once at least and then until
/// `deadline` has passed; `None` if it never did.
///
/// The pause between checks only paces the loop: what ends the wait is the
/// condition, so a slow machine makes a wait longer but never wrong.
pub async fn wait_until<T, F, Fut>(deadline: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return Some(v);
        }
        if Instant::now() >= until {
            return None;
        }
        tokio::time::sleep(RECHECK).await;
    }
}

/// A port that was free a moment ago, on every address.
///
/// Not one the kernel hands out (port 0): those come from its ephemeral
/// range, where every outgoing connection also takes its local port, so a
/// test's client (or a neighbour's) could take the port before the server
/// binds it, and the server then refuses to start. These come from below
/// that range (Linux's starts at 32768), from a place that differs by
/// process, so that test binaries running side by side rarely try the
/// same ones.
pub fn free_port() -> std::io::Result<u16> {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 20_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        std::process::id().wrapping_mul(7_919) % SPAN,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..SPAN {
        let port = (FIRST + NEXT.fetch_add(1, Ordering::SeqCst) % SPAN) as u16;
        if TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok() {
            return Ok(port);
        }
    }
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// Where a server's log goes.
#[derive(Debug, Clone, Copy)]
pub struct Log<'a> {
    /// The server's `RUST_LOG`.
    pub filter: &'a str,
    /// A file to append to, so that a restarted process continues the same
    /// log and a test can read it afterwards; `None` passes it through to
    /// this process's stderr.
    pub file: Option<&'a Path>,
}

/// A `numdialer-server` child process that has answered `/healthz`.
///
/// Dropping it kills it (SIGKILL) and reaps it, so that no server outlives
/// the test or figure that started it, whatever way that one ends.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    base: String,
    log: Option<PathBuf>,
}

/// The calling hours every server started here dials under, unless its
/// arguments or environment say otherwise: `off`, so that no test or
/// figure against a stand-in dialer API depends on the hour it runs at (a
/// server dialing through `--dialer-url` defaults to 08:00-21:00 in each
/// callee's time). A `--calling-hours` argument wins over it.
pub const CALLING_HOURS: (&str, &str) = ("NUMDIALER_CALLING_HOURS", "off");

impl ServerProcess {
    /// Runs `program --listen <listen> <args>` with its stdin and stdout
    /// closed and its log as `log` says, and waits until it answers
    /// `/healthz`. Fails, and kills it, if it exits first or does not
    /// answer within [`START_DEADLINE`]; the error carries the end of its
    /// log when that went to a file. Calling hours are off
    /// ([`CALLING_HOURS`]).
    pub async fn start<S: AsRef<OsStr>>(
        program: &Path,
        listen: SocketAddr,
        args: &[S],
        log: Log<'_>,
    ) -> anyhow::Result<ServerProcess> {
        ServerProcess::start_with_env(program, listen, args, &[], log).await
    }

    /// [`ServerProcess::start`] with `env` added to its environment (after
    /// [`CALLING_HOURS`], so it may set that too).
    pub async fn start_with_env<S: AsRef<OsStr>>(
        program: &Path,
        listen: SocketAddr,
        args: &[S],
        env: &[(&str, &str)],
        log: Log<'_>,
    ) -> anyhow::Result<ServerProcess> {
        let stderr = match log.file {
            Some(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening the log {}", path.display()))?
                .into(),
            None => Stdio::inherit(),
        };
        let child = Command::new(program)
            .arg("--listen")
            .arg(listen.to_string())
            .args(args)
            .env("RUST_LOG", log.filter)
            .env(CALLING_HOURS.0, CALLING_HOURS.1)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("running {}", program.display()))?;
        let mut server = ServerProcess {
            child,
            base: format!("http://{}", reachable(listen)),
            log: log.file.map(Path::to_path_buf),
        };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let url = format!("{}/healthz", self.base);
        let child = &mut self.child;
        let outcome = wait_until(START_DEADLINE, || {
            let exited = child.try_wait();
            let (http, url) = (&http, &url);
            async move {
                match exited {
                    Ok(Some(status)) => {
                        return Some(Err(format!("exited ({status}) before answering /healthz")));
                    }
                    Err(e) => return Some(Err(format!("could not be waited for ({e})"))),
                    Ok(None) => {}
                }
                let r = http.get(url).send().await.ok()?;
                r.status().is_success().then_some(Ok(()))
            }
        })
        .await
        .unwrap_or_else(|| Err(format!("did not answer /healthz within {START_DEADLINE:?}")));
        outcome.map_err(|what| {
            anyhow!(
                "numdialer-server on {} {what}{}",
                self.base,
                self.log_tail()
            )
        })
    }

    /// The last lines of the log file, for an error message.
    fn log_tail(&self) -> String {
        let Some(text) = self
            .log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
        else {
            return String::new();
        };
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(20)..];
        format!("; its log ends:\n{}", tail.join("\n"))
    }

    /// `http://host:port`, reachable from this machine.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it with SIGKILL, as a crash or an OOM kill would, and reaps it.
    pub fn kill9(&mut self) -> std::io::Result<()> {
        self.child.kill()?;
        self.child.wait().map(drop)
    }

    /// Its exit status, if it has exited.
    pub fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address a local client uses for a server listening on `listen`:
/// one that listens on every interface is reached over loopback.
fn reachable(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}
