//! The two background tasks: the driver, which alone sends POST /call, and
//! the timer, which fails calls whose final webhook never came.

use crate::dialer_client::{DialerClient, DialerHealth};
use crate::engine::{Engine, now};
use crate::metrics::DialOutcome;
use numdialer_core::DialAnswer;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long a dial under way may still take once shutdown begins, so that
/// its answer is recorded rather than left to the call timeout.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// How long to wait before trying again after the store failed.
const STORE_RETRY: Duration = Duration::from_secs(1);

/// Dials one entry at a time, in list order, whenever a line is free.
/// Sending one dial at a time is what makes the API receive them in order.
pub async fn run_driver(
    engine: Arc<Engine>,
    client: DialerClient,
    public_url: String,
    health: Arc<DialerHealth>,
    mut shutdown: watch::Receiver<bool>,
) {
    let base = public_url.trim_end_matches('/').to_string();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let order = match engine.begin_dial().await {
            Ok(Some(order)) => order,
            Ok(None) => {
                tokio::select! {
                    _ = engine.wake_driver.notified() => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            Err(e) => {
                tracing::error!("cannot record the next dial: {e}");
                tokio::time::sleep(STORE_RETRY).await;
                continue;
            }
        };
        let url = format!("{base}/webhooks/{}", order.token);
        tracing::info!(index = order.index, phone = %order.phone, "dialing");
        let dial = client.dial(&order.phone, &url);
        tokio::pin!(dial);
        let (answer, retries) = tokio::select! {
            a = &mut dial => a,
            _ = shutdown.changed() => match tokio::time::timeout(SHUTDOWN_GRACE, &mut dial).await {
                Ok(a) => a,
                // The entry is stored as dialing: after a restart its
                // webhooks or its timeout settle it; it is never sent again.
                Err(_) => return,
            },
        };
        let outcome = match &answer {
            DialAnswer::Placed { id } => {
                tracing::info!(index = order.index, call_id = id, "dial placed");
                DialOutcome::Placed
            }
            DialAnswer::Refused { reason } => {
                tracing::warn!(index = order.index, %reason, "dial refused");
                DialOutcome::Refused
            }
            DialAnswer::Unreachable { reason } => {
                tracing::warn!(index = order.index, %reason, "dialer API unreachable");
                DialOutcome::Unreachable
            }
            DialAnswer::Unanswered { reason } => {
                tracing::warn!(index = order.index, %reason, "dial sent but unanswered; not re-sent");
                DialOutcome::Unanswered
            }
        };
        engine.metrics.dial(outcome, retries);
        health.record(match outcome {
            DialOutcome::Placed | DialOutcome::Refused => Ok(()),
            DialOutcome::Unreachable | DialOutcome::Unanswered => {
                Err("a dial got no answer".into())
            }
        });
        while let Err(e) = engine.finish_dial(order.index, answer.clone()) {
            tracing::error!("cannot record a dial's answer: {e}");
            tokio::time::sleep(STORE_RETRY).await;
        }
    }
}

/// Sleeps until the earliest call deadline, or until a new dial sets one.
pub async fn run_timer(engine: Arc<Engine>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let next = match engine.expire_due().await {
            Ok(next) => next,
            Err(e) => {
                tracing::error!("cannot record a timeout: {e}");
                Some(now().plus_millis(STORE_RETRY.as_millis() as u64))
            }
        };
        let sleep = match next {
            Some(at) => Duration::from_millis(at.since(now())),
            None => Duration::from_secs(3600),
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = engine.wake_timer.notified() => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// How often the dialer API is probed for `/readyz`.
pub const PROBE_EVERY: Duration = Duration::from_secs(15);

/// Probes the dialer API now and then, so that readiness is known before
/// and between dials.
pub async fn run_prober(
    client: DialerClient,
    health: Arc<DialerHealth>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let result = client.probe().await;
        if let Err(e) = &result {
            tracing::warn!("dialer API does not answer: {e}");
        }
        health.record(result);
        tokio::select! {
            _ = tokio::time::sleep(PROBE_EVERY) => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}
