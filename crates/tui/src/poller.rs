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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientError;
    use axum::http::StatusCode;
    use axum::routing::get;

    /// Polls a loopback server that answers every GET /statuses with
    /// `status`, at a 10 ms interval; returns the channel of events.
    async fn poll_answering(status: StatusCode) -> mpsc::UnboundedReceiver<Event> {
        let app = axum::Router::new().route("/statuses", get(move || async move { status }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let (tx, rx) = mpsc::unbounded_channel();
        let client = Client::new(&url, Some("wrong".into()));
        let interval = Duration::from_millis(10);
        tokio::spawn(poll(client, interval, Duration::ZERO, tx, Arc::default()));
        rx
    }

    #[tokio::test]
    async fn a_refused_token_is_not_asked_again_at_once() {
        let mut rx = poll_answering(StatusCode::UNAUTHORIZED).await;
        let first = rx.recv().await.unwrap();
        assert!(matches!(
            first,
            Event::Polled(Err(ClientError::BadToken { .. }))
        ));
        // The backoff would have asked again within 20 ms; half a second
        // with nothing shows the slow pace without waiting 30 s for it.
        let next = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
        assert!(next.is_err(), "asked again at once: {next:?}");
    }

    #[tokio::test]
    async fn a_server_error_is_asked_again_soon() {
        let mut rx = poll_answering(StatusCode::BAD_GATEWAY).await;
        for _ in 0..2 {
            let e = rx.recv().await.unwrap();
            assert!(matches!(
                e,
                Event::Polled(Err(ClientError::Server { status: 502, .. }))
            ));
        }
    }
}
