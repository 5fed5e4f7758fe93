//! Waits out a failing store. While flushes fail (a full disk, an I/O
//! error), the engine acknowledges nothing and dials nobody; this task
//! retries a flush with backoff and, once one succeeds, lets the engine go
//! on by itself. A failure that outlasts `--store-grace` is reported as
//! fatal, so that the binary exits and its supervisor restarts it: sled
//! 0.34 keeps an I/O error of its log writer until the store is reopened,
//! and a restart is that reopening.

use crate::engine::Engine;
use crate::shutdown::Shutdown;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

const MIN_RETRY: Duration = Duration::from_millis(100);
const MAX_RETRY: Duration = Duration::from_secs(5);

pub async fn run_healer(
    engine: Arc<Engine>,
    grace: Duration,
    fatal: watch::Sender<Option<String>>,
    shutdown: Shutdown,
) {
    loop {
        tokio::select! {
            () = engine.store_failed() => {}
            () = shutdown.wait() => return,
        }
        let mut backoff = MIN_RETRY;
        while let Some(d) = engine.degraded() {
            let left = grace.saturating_sub(d.since.elapsed());
            if left.is_zero() {
                let why = format!(
                    "the store has failed for {} s (--store-grace): {}",
                    grace.as_secs(),
                    d.reason
                );
                tracing::error!("{why}; stopping so that a supervisor restarts the server");
                fatal.send_replace(Some(why));
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(backoff.min(left)) => {}
                () = shutdown.wait() => return,
            }
            if engine.try_heal().await {
                break;
            }
            backoff = (backoff * 2).min(MAX_RETRY);
        }
    }
}
