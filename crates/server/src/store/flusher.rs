//! Group commit: one thread runs sled's blocking `flush()` for every writer
//! waiting at the time, and a flush covers every write whose ticket was
//! issued before it began. (`flush_async()` can deadlock on sled 0.34.7 when
//! called concurrently, upstream #1308.)
//!
//! A failed flush fails only the writers it was meant to cover; the next
//! flush tries again, and a success clears the failure, so that a store
//! whose disk filled up and emptied again takes writes again.

use super::StoreError;
use crate::metrics::Histogram;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use tokio::sync::watch;

#[derive(Debug, Clone, Default)]
pub(super) struct FlushState {
    /// Every ticket up to this one is on disk.
    flushed: u64,
    /// The last flush failed: what it was meant to cover, and why.
    failed: Option<(u64, String)>,
}

pub(super) struct Flusher {
    written: Arc<AtomicU64>,
    /// A flush has been asked for and not begun yet: later writers need not
    /// wake the thread again (each wake-up is a system call).
    pending: Arc<AtomicBool>,
    requests: Option<mpsc::Sender<()>>,
    state: watch::Receiver<FlushState>,
    thread: Option<JoinHandle<()>>,
    #[cfg(feature = "failpoints")]
    pub(super) faults: Arc<Faults>,
}

/// Test-only: flushes fail, as on a full disk, until a given moment.
#[cfg(feature = "failpoints")]
#[derive(Debug, Default)]
pub struct Faults {
    fail_until: std::sync::Mutex<Option<std::time::Instant>>,
}

#[cfg(feature = "failpoints")]
impl Faults {
    pub fn fail_flushes_until(&self, until: std::time::Instant) {
        *crate::sync::lock(&self.fail_until) = Some(until);
    }

    fn flush_fails(&self) -> bool {
        crate::sync::lock(&self.fail_until).is_some_and(|t| std::time::Instant::now() < t)
    }
}

impl Flusher {
    pub(super) fn spawn(db: sled::Db, latency: Arc<Histogram>) -> Self {
        let written = Arc::new(AtomicU64::new(0));
        let (tx, rx) = mpsc::channel::<()>();
        let (state_tx, state_rx) = watch::channel(FlushState::default());
        let seen = written.clone();
        let pending = Arc::new(AtomicBool::new(false));
        let asked = pending.clone();
        #[cfg(feature = "failpoints")]
        let faults = Arc::new(Faults::default());
        #[cfg(feature = "failpoints")]
        let injected = faults.clone();
        let flush = move |db: &sled::Db| -> Result<(), String> {
            #[cfg(feature = "failpoints")]
            if injected.flush_fails() {
                return Err("injected: No space left on device".into());
            }
            db.flush().map(|_| ()).map_err(|e| e.to_string())
        };
        let thread = std::thread::Builder::new()
            .name("sled-flusher".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    while rx.try_recv().is_ok() {}
                    // Cleared before the target is read: a writer that finds
                    // it set is covered by this flush or signals the next.
                    asked.store(false, Ordering::SeqCst);
                    let target = seen.load(Ordering::SeqCst);
                    let began = std::time::Instant::now();
                    let result = flush(&db);
                    latency.observe(began.elapsed());
                    state_tx.send_modify(|s| match result {
                        Ok(()) => {
                            s.flushed = s.flushed.max(target);
                            s.failed = None;
                        }
                        Err(e) => s.failed = Some((target, e)),
                    });
                }
                if let Err(e) = flush(&db) {
                    tracing::error!("final flush failed: {e}");
                }
            })
            .expect("spawning the flusher thread");
        Flusher {
            written,
            pending,
            requests: Some(tx),
            state: state_rx,
            thread: Some(thread),
            #[cfg(feature = "failpoints")]
            faults,
        }
    }

    pub(super) fn written(&self) -> u64 {
        self.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Why the last flush failed, until one succeeds again.
    pub(super) fn failure(&self) -> Option<String> {
        self.state.borrow().failed.as_ref().map(|(_, e)| e.clone())
    }

    #[cfg(test)]
    pub(super) fn flushed(&self) -> u64 {
        self.state.borrow().flushed
    }

    pub(super) async fn wait(&self, ticket: u64) -> Result<(), StoreError> {
        let mut state = self.state.clone();
        if state.borrow().flushed >= ticket {
            return Ok(());
        }
        if !self.pending.swap(true, Ordering::SeqCst) {
            self.requests
                .as_ref()
                .ok_or(StoreError::Closed)?
                .send(())
                .map_err(|_| StoreError::Closed)?;
        }
        let covered = |s: &FlushState| s.failed.as_ref().is_some_and(|(t, _)| *t >= ticket);
        let s = state
            .wait_for(|s| s.flushed >= ticket || covered(s))
            .await
            .map_err(|_| StoreError::Closed)?;
        if s.flushed >= ticket {
            return Ok(());
        }
        let why = s
            .failed
            .as_ref()
            .map_or_else(String::new, |(_, e)| e.clone());
        Err(StoreError::Flush(why))
    }
}

impl Flusher {
    /// Returns once a flush covered `ticket` (or failed for it), without
    /// asking for one: for a reader that may wait, so that it never adds
    /// a flush between the writers that need theirs.
    pub(super) async fn covered(&self, ticket: u64) {
        let mut state = self.state.clone();
        let _ = state
            .wait_for(|s| {
                s.flushed >= ticket || s.failed.as_ref().is_some_and(|(t, _)| *t >= ticket)
            })
            .await;
    }
}

impl Drop for Flusher {
    /// Flushes what is left and closes the database before returning, so that
    /// the same directory can be opened again at once.
    fn drop(&mut self) {
        self.requests.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
