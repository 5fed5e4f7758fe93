//! The last large `GET /statuses` answer of each campaign, serialised, so
//! that clients reading a campaign that has not changed since get the same
//! bytes instead of a rebuild: four clients reading a 1,000,000-entry
//! campaign in a loop otherwise build and serialise 83 MB each, over and
//! over, beside the dialing (issue #25, docs/benchmarks.md "Reads beside
//! dialing").
//!
//! Only the `calls` array is kept, keyed by the campaign's version and the
//! query that chose the entries (`since`, `after`, `limit`); the head of
//! every answer (`now`, the counters, the summary, `degraded`,
//! `dialer_unreachable`, `events_failing`) is read fresh for each request
//! and the answer composed of both, byte for byte what serialising it
//! whole gives. A campaign's version rises on every change of its entries
//! and never goes back, and ids are never reused: a body kept for version
//! V is exactly what a rebuild at V would give, and never matches again
//! once the campaign changed.
//!
//! At most one body a campaign: a new answer replaces the old, and a
//! changed or deleted campaign's body is dropped as soon as its version
//! moves ([`StatusesCache::keep_current`]), so a campaign read whole costs
//! about the size of that answer (some 85 bytes an entry of plain
//! numbers) until it changes.

use crate::engine::Engine;
use crate::shutdown::Shutdown;
use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// What chose an answer's entries, besides the campaign's version.
/// The longest a large answer waits for its turn.
pub const TURN_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    pub since: Option<u64>,
    pub after: Option<usize>,
    pub limit: Option<usize>,
}

#[derive(Debug)]
struct Kept {
    version: u64,
    asked: Asked,
    /// The `calls` array, serialised.
    calls: Bytes,
}

#[derive(Debug)]
pub struct StatusesCache {
    bodies: Mutex<HashMap<u64, Kept>>,
    /// One large answer goes out at a time.
    sending: Arc<Semaphore>,
    /// Wakes [`StatusesCache::keep_current`]: a body was kept.
    kept: Notify,
}

impl Default for StatusesCache {
    fn default() -> Self {
        StatusesCache {
            bodies: Mutex::default(),
            sending: Arc::new(Semaphore::new(1)),
            kept: Notify::new(),
        }
    }
}

impl StatusesCache {
    /// Waits for a large answer's turn to go out, which lasts until the
    /// body holding it is sent or dropped: one at a time, so that however
    /// many clients read whole lists, they write to their sockets from
    /// one runtime thread at most and leave the others to the dialing and
    /// the webhooks. Four clients reading 83 MB each at once held both
    /// threads of a two-core machine and cut the dial rate by 59 %; one
    /// at a time, by 16 %, with as many answers read.
    ///
    /// A client that reads slowly (or not at all) keeps its turn only
    /// [`TURN_WAIT`] from the others: after that, an answer goes out
    /// without one (`None`).
    pub async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        let turn = self.sending.clone().acquire_owned();
        match tokio::time::timeout(TURN_WAIT, turn).await {
            Ok(permit) => Some(permit.expect("the semaphore is never closed")),
            Err(_) => None,
        }
    }

    /// The `calls` of campaign `id` as `asked` chose them, and the version
    /// they show, if kept.
    pub fn get(&self, id: u64, asked: Asked) -> Option<(u64, Bytes)> {
        let bodies = self.lock();
        let k = bodies.get(&id)?;
        (k.asked == asked).then(|| (k.version, k.calls.clone()))
    }

    /// Keeps `calls` as campaign `id`'s answer to `asked` at `version`, in
    /// place of the one it had.
    pub fn put(&self, id: u64, version: u64, asked: Asked, calls: Bytes) {
        let old = self.lock().insert(
            id,
            Kept {
                version,
                asked,
                calls,
            },
        );
        // Freed outside the lock: a large body takes a while to give back.
        drop(old);
        self.kept.notify_one();
    }

    /// Drops every body whose campaign changed or is gone, as `version_of`
    /// reads them now.
    pub fn drop_stale(&self, version_of: impl Fn(u64) -> Option<u64>) {
        let stale: Vec<Kept> = {
            let mut bodies = self.lock();
            let ids: Vec<u64> = bodies
                .iter()
                .filter(|(id, k)| version_of(**id) != Some(k.version))
                .map(|(&id, _)| id)
                .collect();
            ids.iter().filter_map(|id| bodies.remove(id)).collect()
        };
        drop(stale);
    }

    /// Bodies kept, and their bytes.
    pub fn held(&self) -> (usize, usize) {
        let bodies = self.lock();
        (bodies.len(), bodies.values().map(|k| k.calls.len()).sum())
    }

    /// Drops a body once its campaign changes or is deleted, until the
    /// server stops; idle while nothing is kept.
    pub async fn keep_current(self: Arc<Self>, engine: Arc<Engine>, stop: Shutdown) {
        while !stop.is_triggered() {
            if self.lock().is_empty() {
                tokio::select! {
                    _ = self.kept.notified() => {}
                    _ = stop.wait() => return,
                }
                continue;
            }
            let known = engine.version_of(None).unwrap_or(0);
            self.drop_stale(|id| engine.version_of(Some(id)));
            engine
                .wait_past(None, known, Duration::from_secs(60), &stop)
                .await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Kept>> {
        self.bodies.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An answer's head (everything but `calls`, serialised with `calls`
/// empty) and its `calls`, joined: what serialising the whole answer at
/// once gives.
pub fn compose(head: Vec<u8>, calls: Bytes, turn: Option<OwnedSemaphorePermit>) -> Parts {
    const EMPTY: &[u8] = b"[]}";
    assert!(head.ends_with(EMPTY), "`calls` is the answer's last field");
    let mut head = head;
    head.truncate(head.len() - EMPTY.len());
    let mut parts = Parts::new([Bytes::from(head), calls, Bytes::from_static(b"}")]);
    parts._turn = turn;
    parts
}

/// The largest frame of a [`Parts`] body.
pub const FRAME: usize = 64 * 1024;

/// Frames a [`Parts`] body hands hyper before it lets the connection's
/// task yield (1 MiB).
const FRAMES_A_TURN: usize = 16;

/// A body sent as the chunks it is made of, with its length known: a kept
/// body goes out without being copied, in frames of at most [`FRAME`]
/// bytes, and with a large answer's turn ([`StatusesCache::turn`]) until
/// it is sent or dropped.
///
/// hyper goes on writing for as long as a body has frames ready and the
/// socket takes them, so a fast reader of 83 MB kept a runtime thread to
/// itself while the webhooks and dials queued behind: the body yields
/// every [`FRAMES_A_TURN`] frames instead (with four such readers, the
/// dial rate fell by 59 % instead of 67 %; their turns did the rest).
#[derive(Debug)]
pub struct Parts {
    parts: VecDeque<Bytes>,
    left: u64,
    /// Frames asked for, to yield every [`FRAMES_A_TURN`].
    sent: usize,
    _turn: Option<OwnedSemaphorePermit>,
}

impl Parts {
    fn new(parts: impl IntoIterator<Item = Bytes>) -> Parts {
        let parts: VecDeque<Bytes> = parts.into_iter().filter(|b| !b.is_empty()).collect();
        let left = parts.iter().map(|b| b.len() as u64).sum();
        Parts {
            parts,
            left,
            sent: 0,
            _turn: None,
        }
    }
}

impl Body for Parts {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let Some(first) = this.parts.front_mut() else {
            return Poll::Ready(None);
        };
        this.sent += 1;
        if this.sent.is_multiple_of(FRAMES_A_TURN) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let frame = if first.len() > FRAME {
            first.split_to(FRAME)
        } else {
            this.parts.pop_front().unwrap_or_default()
        };
        this.left -= frame.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.parts.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn composed_as_serialised_whole() {
        #[derive(serde::Serialize)]
        struct Answer {
            now: u64,
            calls: Vec<u32>,
        }
        let whole = serde_json::to_vec(&Answer {
            now: 7,
            calls: vec![1, 2, 3],
        })
        .unwrap();
        let head = serde_json::to_vec(&Answer {
            now: 7,
            calls: Vec::new(),
        })
        .unwrap();
        let calls = Bytes::from(serde_json::to_vec(&[1, 2, 3]).unwrap());
        let body = compose(head, calls, None);
        assert_eq!(body.size_hint().exact(), Some(whole.len() as u64));
        let got = body.collect().await.unwrap().to_bytes();
        assert_eq!(got, whole);
    }

    #[test]
    fn one_body_a_campaign_dropped_once_stale() {
        let cache = StatusesCache::default();
        let full = Asked {
            since: None,
            after: None,
            limit: None,
        };
        let paged = Asked {
            limit: Some(10),
            ..full
        };
        cache.put(1, 5, full, Bytes::from_static(b"[1]"));
        cache.put(1, 6, paged, Bytes::from_static(b"[2]"));
        cache.put(2, 9, full, Bytes::from_static(b"[3]"));
        assert_eq!(cache.held(), (2, 6));
        assert_eq!(cache.get(1, full), None, "replaced by the paged answer");
        assert_eq!(cache.get(1, paged), Some((6, Bytes::from_static(b"[2]"))));
        // Campaign 1 moved on, 2 is gone.
        cache.drop_stale(|id| (id == 1).then_some(7));
        assert_eq!(cache.held(), (0, 0));
    }
}
