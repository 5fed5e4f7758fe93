//! Polling the server in the background: the statuses of the campaign on
//! screen, and the list of campaigns. Each answer goes to the run loop as
//! an `Event`, never into shared state, so that only `App::update` changes
//! what the screen shows.
//!
//! Both polls ask only for what changed: the statuses as deltas
//! (`since=`), the list with its ETag, each held by the server until
//! something changes. A million-entry campaign is fetched whole once, when
//! it is picked, and then costs each poll only its changed entries.

use crate::app::{Event, OPENING};
use crate::client::{Client, ClientError, Retry, SLOW_RETRY};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc, watch};

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
    let (_keep, selected) = watch::channel(OPENING);
    poll_selected(client, interval, long_poll, tx, now, selected).await;
}

/// `poll`, of whichever campaign `selected` names, through
/// `GET /campaigns/{id}/statuses` (or what a server older than campaigns
/// has instead: see [`Client::statuses_of`]). A new selection cuts the
/// poll under way short and starts over with a full answer of the new
/// campaign.
pub async fn poll_selected(
    client: Client,
    interval: Duration,
    long_poll: Duration,
    tx: mpsc::UnboundedSender<Event>,
    now: Arc<Notify>,
    mut selected: watch::Receiver<u64>,
) {
    let pause = pause_between(interval, long_poll);
    let mut known = None;
    let mut delay = interval;
    let mut watching = *selected.borrow_and_update();
    loop {
        let id = *selected.borrow_and_update();
        if id != watching {
            (watching, known) = (id, None);
        }
        let request = client.statuses_of(id, known, long_poll);
        // A sender gone (`Err`) only disables the branch.
        let answer = tokio::select! {
            r = request => r,
            Ok(()) = selected.changed() => continue,
        };
        let event = match answer {
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
                Ok(()) = selected.changed() => {}
            }
        }
    }
}

/// Long-polls `GET /campaigns` with its ETag for the pane: an answer only
/// when a campaign changed. A server without campaigns says so once
/// (`TooOld`), and is asked again only every `SLOW_RETRY`, in case it is
/// upgraded. Other failures are the statuses poll's to report: this one
/// only backs off.
pub async fn poll_campaigns(
    client: Client,
    interval: Duration,
    long_poll: Duration,
    tx: mpsc::UnboundedSender<Event>,
    now: Arc<Notify>,
) {
    let pause = pause_between(interval, long_poll);
    let mut known = None;
    let mut delay = interval;
    loop {
        let event = match client.poll_campaigns(known, long_poll).await {
            Ok(Some(list)) => {
                known = Some(list.version);
                delay = pause;
                Some(Event::Campaigns(Ok(list)))
            }
            Ok(None) => {
                delay = pause;
                None
            }
            Err(e @ ClientError::TooOld { .. }) => {
                known = None;
                delay = SLOW_RETRY;
                Some(Event::Campaigns(Err(e)))
            }
            Err(e) => {
                known = None;
                delay = match e.retry() {
                    Retry::Backoff => (delay * 2).clamp(interval, MAX_BACKOFF),
                    Retry::Slowly => SLOW_RETRY,
                };
                None
            }
        };
        if let Some(event) = event
            && tx.send(event).is_err()
        {
            return;
        }
        if tx.is_closed() {
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

/// How long to wait between two polls: the server holds a long poll until
/// something changes, so the next one can leave at once; without long
/// polling, `interval`.
fn pause_between(interval: Duration, long_poll: Duration) -> Duration {
    if long_poll.is_zero() {
        interval
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientError;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
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
    async fn a_new_selection_cuts_the_long_poll_short_and_starts_with_a_full_answer() {
        use crate::app::campaign_tests::summary;
        use crate::app::tests::snapshot;
        use axum::extract::{Path, RawQuery};
        use numdialer_core::Status;
        use numdialer_core::campaign::CampaignState;

        /// A long poll (`since=`) is held for good: only a new selection
        /// can end it.
        async fn held_or(
            query: Option<String>,
            body: serde_json::Value,
        ) -> axum::Json<serde_json::Value> {
            if query.is_some_and(|q| q.contains("since=")) {
                std::future::pending::<()>().await;
            }
            axum::Json(body)
        }
        let of = |id: u64, name: &str, n: usize| {
            let mut s = snapshot(&vec![Status::Idle; n], false);
            s.campaign = Some(summary(
                id,
                name,
                CampaignState::Draft,
                &vec![Status::Idle; n],
            ));
            serde_json::to_value(s).unwrap()
        };
        let (one, two) = (of(1, "numbers", 9), of(2, "leads", 4));
        let app = axum::Router::new().route(
            "/campaigns/{id}/statuses",
            get(move |Path(id): Path<u64>, RawQuery(q): RawQuery| {
                let body = if id == 1 { one.clone() } else { two.clone() };
                held_or(q, body)
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (select, selected) = watch::channel(OPENING);
        let long = Duration::from_secs(25);
        tokio::spawn(poll_selected(
            Client::new(&url, None),
            Duration::from_millis(10),
            long,
            tx,
            Arc::default(),
            selected,
        ));
        let Some(Event::Polled(Ok(first))) = rx.recv().await else {
            panic!("campaign 1's full answer first");
        };
        assert_eq!(
            (first.campaign.map(|c| c.id), first.calls.len()),
            (Some(1), 9)
        );
        select.send_replace(2);
        let next = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await;
        let Ok(Some(Event::Polled(Ok(second)))) = next else {
            panic!("the held poll of campaign 1 was not cut short: {next:?}");
        };
        assert_eq!(second.campaign.map(|c| c.id), Some(2));
        assert_eq!((second.since, second.calls.len()), (None, 4));
    }

    #[tokio::test]
    async fn the_campaign_list_is_sent_on_only_when_its_etag_changes() {
        use axum::http::HeaderMap;
        use numdialer_core::api::CampaignsResponse;
        use std::sync::atomic::{AtomicUsize, Ordering};

        let asked = Arc::new(AtomicUsize::new(0));
        let counter = asked.clone();
        let app = axum::Router::new().route(
            "/campaigns",
            get(move |headers: HeaderMap| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    if headers.contains_key("if-none-match") {
                        return StatusCode::NOT_MODIFIED.into_response();
                    }
                    let list = CampaignsResponse {
                        version: 3,
                        campaigns: Vec::new(),
                    };
                    axum::Json(list).into_response()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let (tx, mut rx) = mpsc::unbounded_channel();
        let interval = Duration::from_millis(10);
        tokio::spawn(poll_campaigns(
            Client::new(&url, None),
            interval,
            Duration::ZERO,
            tx,
            Arc::default(),
        ));
        let Some(Event::Campaigns(Ok(list))) = rx.recv().await else {
            panic!("the first answer");
        };
        assert_eq!(list.version, 3);
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while asked.load(Ordering::SeqCst) < 4 {
            assert!(std::time::Instant::now() < until, "no more polls");
            tokio::task::yield_now().await;
        }
        assert!(rx.try_recv().is_err(), "a 304 is not sent on");
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
