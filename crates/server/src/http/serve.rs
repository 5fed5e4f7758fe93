//! The HTTP accept loop, and the limits that keep clients from holding the
//! server.
//!
//! axum's own `serve` bounds nothing, and hyper's header timeout only
//! starts once hyper-util has learned the protocol: a connection that sends
//! nothing, only `P`, or only HTTP/2's preface would stay open for ever,
//! and enough of them use up the process's descriptors, until the store,
//! the dials and `/healthz` fail with "Too many open files". So every
//! connection here, whatever its protocol:
//!
//! - has [`ConnectionLimits::header_timeout`] from accept to its first
//!   complete request head, and as long again between requests (hyper
//!   applies the same timeout to the next HTTP/1 head; HTTP/2 has no idle
//!   timeout of its own, so it is closed with a GOAWAY);
//! - is pinged every [`H2_PING_INTERVAL`] over HTTP/2, and dropped when a
//!   ping goes unanswered;
//! - counts towards [`ConnectionLimits::max_connections`], shared by the API
//!   and the metrics listener. At the cap, the oldest connection that has
//!   not sent a complete request head is closed to make room, so a real
//!   client still gets in; when every connection has sent one, the next is
//!   accepted once one closes. A connection told to close counts until its
//!   task has dropped its socket: the cap is on descriptors held, not on
//!   connections still wanted, so that a burst of accepts cannot outrun the
//!   closes and run the process out of descriptors.
//!
//! A failing `accept` (out of descriptors) closes such a connection too,
//! and backs off instead of spinning. On shutdown, connections finish the
//! request under way for up to [`DRAIN_TIMEOUT`].

use crate::shutdown::Shutdown;
use axum::Router;
use axum::body::Body;
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulConnection;
use hyper_util::service::TowerToHyperService;
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tower::ServiceExt;

/// The default of `--header-timeout`: how long a connection may take to
/// send a complete request head, from accept or from its last answer.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests may take to finish after shutdown begins,
/// or after an idle connection was asked to close.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How often an HTTP/2 connection is pinged; one that leaves a ping
/// unanswered for [`H2_PING_TIMEOUT`] is closed, so that a vanished peer
/// does not keep a long poll's stream open.
pub const H2_PING_INTERVAL: Duration = Duration::from_secs(20);
pub const H2_PING_TIMEOUT: Duration = Duration::from_secs(20);
/// Descriptors that the default `--max-connections` leaves to everything
/// but client connections: the store's files, the dialer API's connections
/// (plus one per `--concurrency`), the listeners and the runtime.
pub const DESCRIPTOR_RESERVE: u64 = 128;
/// The descriptor limit assumed when the process has none or cannot tell.
const UNLIMITED_DESCRIPTORS: u64 = 1 << 20;
/// The longest pause after failed `accept`s.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// At most one warning this often about the connection cap.
const CAP_WARNING_EVERY: Duration = Duration::from_secs(60);

/// How long connections may stay silent, and how many may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From accept to a complete request head, and from an answer to the
    /// next request head; a connection that takes longer is closed.
    pub header_timeout: Duration,
    /// Open client connections at most, over every listener.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: HEADER_TIMEOUT,
            max_connections: default_max_connections(descriptor_limit(), 3),
        }
    }
}

/// The default of `--max-connections`, from the soft descriptor limit `n`
/// (RLIMIT_NOFILE): `max(n / 2, n - 128 - concurrency)`, so that the
/// store, the listeners and every dial in flight keep descriptors of their
/// own however many clients connect.
pub fn default_max_connections(limit: Option<u64>, concurrency: usize) -> usize {
    let n = limit
        .unwrap_or(UNLIMITED_DESCRIPTORS)
        .min(UNLIMITED_DESCRIPTORS);
    let reserved = DESCRIPTOR_RESERVE.saturating_add(concurrency as u64);
    let cap = (n / 2).max(n.saturating_sub(reserved)).max(1);
    usize::try_from(cap).unwrap_or(usize::MAX)
}

/// The process's soft limit on open descriptors, if it has one.
pub fn descriptor_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Every open client connection of the server's listeners, and the room
/// left under the cap. One is shared by the API and the metrics listener,
/// since both draw on the same descriptors.
pub struct Connections {
    limits: ConnectionLimits,
    open: Mutex<Open>,
    /// Woken whenever a connection closes.
    freed: Notify,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    /// Every open connection by id (ids grow with time), with the notice
    /// that closes it from outside its task.
    live: BTreeMap<u64, Arc<Notify>>,
    /// The ones that have not sent a complete request head yet.
    headless: BTreeSet<u64>,
    /// The ones told to close whose tasks have not ended yet: still in
    /// `live`, since each still holds its socket.
    evicting: BTreeSet<u64>,
    warned_at: Option<Instant>,
}

impl Connections {
    pub fn new(limits: ConnectionLimits) -> Arc<Connections> {
        Arc::new(Connections {
            limits,
            open: Mutex::new(Open::default()),
            freed: Notify::new(),
        })
    }

    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().live.len()
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A place for a connection just accepted. At the cap, the oldest
    /// connection without a request head is told to close, and this waits
    /// until it has; when every open one has sent a head, this waits until
    /// one closes.
    pub async fn admit(self: &Arc<Self>) -> Arc<Slot> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            {
                let mut open = self.lock();
                if open.live.len() >= self.limits.max_connections && open.evicting.is_empty() {
                    let evicted = Self::evict_oldest(&mut open);
                    self.warn_at_cap(&mut open, evicted);
                }
                if open.live.len() < self.limits.max_connections {
                    open.next_id += 1;
                    let id = open.next_id;
                    let evict = Arc::new(Notify::new());
                    open.live.insert(id, evict.clone());
                    open.headless.insert(id);
                    return Arc::new(Slot {
                        id,
                        owner: self.clone(),
                        evict,
                        head_seen: AtomicBool::new(false),
                        in_flight: AtomicUsize::new(0),
                        idle_since: Mutex::new(Instant::now()),
                    });
                }
            }
            freed.await;
        }
    }

    /// Closes the oldest connection that has not sent a request head, to
    /// give its descriptor back (`accept` failed for want of one).
    pub fn shed(&self) -> bool {
        Self::evict_oldest(&mut self.lock())
    }

    fn evict_oldest(open: &mut Open) -> bool {
        let Some(id) = open.headless.pop_first() else {
            return false;
        };
        // It counts until its task has seen the notice and dropped the
        // socket, which frees its place.
        if let Some(evict) = open.live.get(&id) {
            evict.notify_one();
            open.evicting.insert(id);
        }
        true
    }

    fn warn_at_cap(&self, open: &mut Open, evicted: bool) {
        let now = Instant::now();
        if open
            .warned_at
            .is_some_and(|t| now.duration_since(t) < CAP_WARNING_EVERY)
        {
            return;
        }
        open.warned_at = Some(now);
        let max = self.limits.max_connections;
        if evicted {
            tracing::warn!(
                "{max} connections open (--max-connections): closing the oldest that sent no \
                 request to make room"
            );
        } else {
            tracing::warn!(
                "{max} connections open (--max-connections), each with a request: new ones wait \
                 until one closes"
            );
        }
    }
}

/// One admitted connection: what its requests have done so far. Dropped
/// with the connection's task, which frees its place.
pub struct Slot {
    id: u64,
    owner: Arc<Connections>,
    evict: Arc<Notify>,
    head_seen: AtomicBool,
    in_flight: AtomicUsize,
    idle_since: Mutex<Instant>,
}

impl Slot {
    /// A request head arrived: the connection is no longer one to evict,
    /// and it is busy until the answer's body is sent.
    fn begin_request(self: &Arc<Self>) -> Busy {
        if !self.head_seen.swap(true, Ordering::SeqCst) {
            self.owner.lock().headless.remove(&self.id);
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    /// When the connection must next be looked at: its head deadline, the
    /// end of its idle time, or a timeout from now while it is busy.
    fn next_check(&self, accepted: Instant, timeout: Duration) -> Instant {
        if !self.head_seen.load(Ordering::SeqCst) {
            return accepted + timeout;
        }
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return Instant::now() + timeout;
        }
        *self.idle_since.lock().unwrap_or_else(|p| p.into_inner()) + timeout
    }

    fn verdict(&self, accepted: Instant, timeout: Duration) -> Verdict {
        let now = Instant::now();
        if !self.head_seen.load(Ordering::SeqCst) {
            return if now >= accepted + timeout {
                Verdict::NoHead
            } else {
                Verdict::Keep
            };
        }
        let idle_since = *self.idle_since.lock().unwrap_or_else(|p| p.into_inner());
        if self.in_flight.load(Ordering::SeqCst) == 0 && now >= idle_since + timeout {
            Verdict::Idle
        } else {
            Verdict::Keep
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.owner.lock();
        open.live.remove(&self.id);
        open.headless.remove(&self.id);
        open.evicting.remove(&self.id);
        drop(open);
        self.owner.freed.notify_waiters();
    }
}

enum Verdict {
    Keep,
    /// No complete request head within the timeout: closed at once.
    NoHead,
    /// No request for the timeout after the last answer: closed gracefully.
    Idle,
}

/// A request under way on a connection; its end starts the idle time.
struct Busy(Arc<Slot>);

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An answer's body that keeps its request counted as under way until it
/// is sent (or dropped), forwarding its size so that hyper still sends a
/// `content-length`.
struct Tracked {
    body: Body,
    _busy: Busy,
}

impl HttpBody for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Consecutive `accept` failures: the pause before the next try doubles
/// from 10 ms to [`MAX_ACCEPT_BACKOFF`], and only the first is logged.
#[derive(Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn pause(&mut self, e: &std::io::Error) -> Duration {
        self.failures += 1;
        if self.failures == 1 {
            tracing::warn!("accept failed: {e}; retrying with backoff");
        }
        let ms = 10u64 << self.failures.min(7);
        Duration::from_millis(ms).min(MAX_ACCEPT_BACKOFF)
    }

    fn succeeded(&mut self) {
        if self.failures > 1 {
            tracing::info!("accepting again after {} failed accepts", self.failures);
        }
        self.failures = 0;
    }
}

/// Whether an `accept` error is about that one connection (it was reset
/// before it was taken), not about the server's resources.
fn per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    )
}

pub async fn serve(
    listener: TcpListener,
    app: Router,
    connections: Arc<Connections>,
    shutdown: Shutdown,
) {
    let limits = connections.limits();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(H2_PING_INTERVAL))
        .keep_alive_timeout(H2_PING_TIMEOUT);
    let mut tasks = JoinSet::new();
    let mut backoff = Backoff::default();
    let stopped = shutdown.wait();
    tokio::pin!(stopped);
    loop {
        let stream = tokio::select! {
            () = &mut stopped => break,
            Some(_) = tasks.join_next() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff.succeeded();
                    stream
                }
                Err(e) if per_connection(&e) => continue,
                Err(e) => {
                    // Out of descriptors and the like: give one back if a
                    // silent connection holds it, pause, don't spin.
                    connections.shed();
                    let pause = backoff.pause(&e);
                    tokio::select! {
                        () = &mut stopped => break,
                        () = tokio::time::sleep(pause) => continue,
                    }
                }
            },
        };
        let slot = tokio::select! {
            () = &mut stopped => break,
            slot = connections.admit() => slot,
        };
        let _ = stream.set_nodelay(true);
        let service = {
            let (app, slot) = (app.clone(), slot.clone());
            tower::service_fn(move |req: hyper::Request<Incoming>| {
                let busy = slot.begin_request();
                let app = app.clone();
                async move {
                    let resp = app.oneshot(req.map(Body::new)).await?;
                    Ok::<_, Infallible>(resp.map(|body| Body::new(Tracked { body, _busy: busy })))
                }
            })
        };
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        tasks.spawn(drive(conn, slot, limits.header_timeout, shutdown.clone()));
    }
    drop(listener);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT + Duration::from_secs(1), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("some connections were still open after {DRAIN_TIMEOUT:?}");
        tasks.abort_all();
    }
}

/// Runs one connection until it ends, is evicted, misses its head
/// deadline, stays idle too long, or the server stops.
async fn drive<C>(conn: C, slot: Arc<Slot>, timeout: Duration, shutdown: Shutdown)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    tokio::pin!(conn);
    let accepted = Instant::now();
    let evicted = slot.evict.clone();
    let stopped = shutdown.wait();
    tokio::pin!(stopped);
    // Once asked to close, the connection has this long to finish.
    let mut closing: Option<Instant> = None;
    loop {
        let check_at = closing.unwrap_or_else(|| slot.next_check(accepted, timeout));
        tokio::select! {
            // The connection first: a head that has arrived is read (and
            // counted) before a deadline is judged, so that a server slow to
            // get to its sockets never blames the client for it.
            biased;
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!("connection ended: {e}");
                }
                return;
            }
            () = evicted.notified() => {
                tracing::debug!("connection closed to make room: no request head yet");
                return;
            }
            () = &mut stopped, if closing.is_none() => {
                conn.as_mut().graceful_shutdown();
                closing = Some(Instant::now() + DRAIN_TIMEOUT);
            }
            () = sleep_until(check_at) => {
                if closing.is_some_and(|t| Instant::now() >= t) {
                    return;
                }
                if closing.is_some() {
                    continue;
                }
                match slot.verdict(accepted, timeout) {
                    Verdict::Keep => {}
                    Verdict::NoHead => {
                        tracing::debug!("connection closed: no request head within {timeout:?}");
                        return;
                    }
                    Verdict::Idle => {
                        conn.as_mut().graceful_shutdown();
                        closing = Some(Instant::now() + DRAIN_TIMEOUT);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max: usize) -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: HEADER_TIMEOUT,
            max_connections: max,
        }
    }

    #[test]
    fn the_default_cap_leaves_descriptors_to_the_rest() {
        assert_eq!(default_max_connections(Some(256), 3), 128);
        assert_eq!(default_max_connections(Some(1024), 3), 893);
        assert_eq!(default_max_connections(Some(65_536), 100), 65_308);
        assert_eq!(default_max_connections(Some(64), 3), 32);
        assert_eq!(default_max_connections(Some(1), 3), 1);
        assert_eq!(
            default_max_connections(None, 3),
            (UNLIMITED_DESCRIPTORS - 131) as usize
        );
    }

    #[tokio::test]
    async fn at_the_cap_the_oldest_silent_connection_makes_room() {
        let c = Connections::new(limits(3));
        let a = c.admit().await;
        let b = c.admit().await;
        let busy = c.admit().await;
        let _request = busy.begin_request();
        assert_eq!(c.open(), 3);
        // A fourth: `a` is the oldest without a head, and is told to close.
        let fourth = c.admit();
        tokio::pin!(fourth);
        assert!(
            futures_ready(fourth.as_mut()).is_none(),
            "no place until `a` has given its socket back"
        );
        let evict = a.evict.clone();
        let notified = evict.notified();
        tokio::pin!(notified);
        assert!(
            futures_ready(notified.as_mut()).is_some(),
            "the oldest silent connection was told to close"
        );
        assert_eq!(c.open(), 3, "`a` counts while it holds its socket");
        // A fifth arrival while `a` is closing tells no one else to close.
        assert!(futures_ready(c.admit()).is_none());
        assert!(futures_ready(b.evict.notified()).is_none(), "`b` kept");
        drop(a);
        let d = tokio::time::timeout(Duration::from_secs(10), fourth)
            .await
            .expect("admitted once `a` closed");
        assert_eq!(c.open(), 3);
        drop((b, d));
        assert_eq!(c.open(), 1);
    }

    #[tokio::test]
    async fn when_every_connection_has_a_request_the_next_waits() {
        let c = Connections::new(limits(1));
        let only = c.admit().await;
        let request = only.begin_request();
        let waiting = tokio::spawn({
            let c = c.clone();
            async move { c.admit().await.id }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "no silent connection to close");
        drop(request);
        drop(only);
        let id = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("admitted once the first closed")
            .unwrap();
        assert_eq!(id, 2);
        assert!(!c.shed(), "nothing left to shed");
    }

    /// Polls `f` once: its output if it was ready.
    fn futures_ready<F: std::future::Future>(f: F) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let f = std::pin::pin!(f);
        match f.poll(&mut cx) {
            Poll::Ready(out) => Some(out),
            Poll::Pending => None,
        }
    }
}
