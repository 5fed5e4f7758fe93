//! Polling the server's statuses in the background. Each answer goes to the
//! run loop as an `Event`, never into shared state, so that only
//! `App::update` changes what the screen shows.

use crate::app::Event;
use crate::client::{Client, Retry, SLOW_RETRY};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// Longest pause between polls while the server is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Polls the statuses forever: a full answer first, then deltas held by the
/// server until something changes (long polling), so that a change reaches
/// the screen at once and an idle screen costs one request per `long_poll`.
/// Backs off while the server is unreachable, and starts over with a full
/// answer once it is back. An error that only the user can fix (a wrong
/// token, a URL that is not numdialer-server) is asked again only every
/// `SLOW_RETRY`: hammering would change nothing. Polls at once when asked (after pressing Call).
pub async fn poll(
    client: Client,
    interval: Duration,
    long_poll: Duration,
    tx: mpsc::UnboundedSender<Event>,
    now: Arc<Notify>,
) {
    // The server holds a long poll until something changes, so the next one
    // can leave at once; without long polling, pause between polls.
    let pause = if long_poll.is_zero() {
        interval
    } else {
        Duration::ZERO
    };
    let mut known = None;
    let mut delay = interval;
    loop {
        let event = match client.poll(known, long_poll).await {
            Ok(Some(s)) => {
                known = Some(s.version);
                delay = pause;
                Event::Polled(Ok(s))
            }
            Ok(None) => {
                delay = pause;
                Event::Unchanged
            }
            Err(e) => {
                known = None;
                delay = match e.retry() {
                    Retry::Backoff => (delay * 2).clamp(interval, MAX_BACKOFF),
                    Retry::Slowly => SLOW_RETRY,
                };
                Event::Polled(Err(e))
            }
        };
        if tx.send(event).is_err() {
            return;
        }
        if !delay.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = now.notified() => {}
            }
        }
    }
}
