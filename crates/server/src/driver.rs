//! The two background tasks: the driver, which alone sends POST /call, and
//! the timer, which fails calls whose final webhook never came.

use crate::dialer_client::DialerClient;
use crate::engine::{Engine, now};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How long to wait before trying again after the store failed.
const STORE_RETRY: Duration = Duration::from_secs(1);

/// Dials one entry at a time, in list order, whenever a line is free.
/// Sending one dial at a time is what makes the API receive them in order.
pub async fn run_driver(
    engine: Arc<Engine>,
    client: DialerClient,
    public_url: String,
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
        let answer = tokio::select! {
            a = client.dial(&order.phone, &url) => a,
            // The entry is stored as dialing: after a restart its webhooks or
            // its timeout settle it, and it is never sent again.
            _ = shutdown.changed() => return,
        };
        tracing::info!(index = order.index, ?answer, "dial answered");
        while let Err(e) = engine.finish_dial(order.index, answer.clone()).await {
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
