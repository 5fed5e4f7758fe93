//! `GET /campaigns/{id}/statuses?after=&limit=`: pages in list order that
//! add up to the whole answer, the whole answer without `limit` as
//! before, and deltas (`since`) paged the same way.

use crate::helpers::*;
use numdialer_core::api::StatusesResponse;
use numdialer_core::{CampaignState, Status};
use numdialer_server::engine::READ_SLICE;

async fn import(h: &Harness, n: usize, query: &str) -> u64 {
    let list: String = (0..n).map(|i| format!("1301804{i:04}\n")).collect();
    let r = h
        .http
        .post(h.url(&format!("/campaigns{query}")))
        .header("content-type", "text/csv")
        .body(format!("phone\n{list}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().await.unwrap();
    body["id"].as_u64().unwrap()
}

async fn get(h: &Harness, id: u64, query: &str) -> (u16, serde_json::Value) {
    let r = h
        .http
        .get(h.url(&format!("/campaigns/{id}/statuses{query}")))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn page(h: &Harness, id: u64, query: &str) -> StatusesResponse {
    let (code, body) = get(h, id, query).await;
    assert_eq!(code, 200, "{query}: {body}");
    serde_json::from_value(body).unwrap()
}

fn indices(s: &StatusesResponse) -> Vec<usize> {
    s.calls.iter().map(|c| c.index).collect()
}

#[tokio::test]
async fn pages_add_up_to_the_whole_list_in_order() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    // More than one slice, so that the whole answer is read in several.
    let n = 2 * READ_SLICE + 1_000;
    let id = import(&h, n, "?name=paged").await;
    let whole = page(&h, id, "").await;
    assert_eq!(indices(&whole), (0..n).collect::<Vec<_>>());
    assert_eq!(whole.campaign.as_ref().unwrap().total, n);

    let limit = 3_000;
    let mut pages = Vec::new();
    let mut query = format!("?limit={limit}");
    loop {
        let p = page(&h, id, &query).await;
        assert!(p.calls.len() <= limit);
        assert_eq!(p.version, whole.version);
        let last = p.calls.last().map(|c| c.index);
        let short = p.calls.len() < limit;
        pages.extend(p.calls);
        match last {
            Some(last) if !short => query = format!("?after={last}&limit={limit}"),
            _ => break,
        }
    }
    assert_eq!(pages, whole.calls, "the pages, put together, are the whole");

    // `after` alone is the rest of the list; past the end, nothing.
    assert_eq!(
        indices(&page(&h, id, "?after=5").await),
        (6..n).collect::<Vec<_>>()
    );
    assert!(
        page(&h, id, &format!("?after={}&limit=5", n - 1))
            .await
            .calls
            .is_empty()
    );
    assert_eq!(indices(&page(&h, id, "?limit=1").await), [0]);

    for bad in ["?limit=0", "?limit=100001", "?after=-1", "?limit=x"] {
        let (code, body) = get(&h, id, bad).await;
        assert_eq!(code, 400, "{bad}: {body}");
        assert!(body["error"].is_string(), "{bad}: {body}");
    }
}

#[tokio::test]
async fn a_delta_is_paged_like_the_list() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let id = import(&h, 6, "").await;
    let before = page(&h, id, "").await;
    let r = h
        .http
        .post(h.url(&format!("/campaigns/{id}/start")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_for("the campaign to finish", DEADLINE, || async {
        let s = page(&h, id, "").await;
        (s.campaign.as_ref().unwrap().state == CampaignState::Done).then_some(())
    })
    .await;
    let v = before.version;
    let first = page(&h, id, &format!("?since={v}&limit=4")).await;
    assert_eq!(first.since, Some(v));
    assert_eq!(indices(&first), [0, 1, 2, 3]);
    assert!(first.calls.iter().all(|c| c.status == Status::Completed));
    let rest = page(&h, id, &format!("?since={v}&after=3&limit=4")).await;
    assert_eq!(indices(&rest), [4, 5]);
    // Nothing changed after the current version: an empty delta page.
    let now = page(&h, id, &format!("?since={}&limit=4", first.version)).await;
    assert!(now.calls.is_empty());
}

/// The same answer, `now` aside: what a client could tell apart.
fn same(a: &StatusesResponse, b: &StatusesResponse) -> bool {
    StatusesResponse {
        now: b.now,
        ..a.clone()
    } == *b
}

/// The entries of `whole` at the indices `part` holds.
fn at(whole: &StatusesResponse, part: &StatusesResponse) -> Vec<numdialer_core::api::CallSummary> {
    part.calls
        .iter()
        .map(|c| whole.calls[c.index].clone())
        .collect()
}

/// Large answers are kept and served again while their campaign stands
/// still (http/statuses_cache.rs): a kept answer is never one that the
/// campaign changed since, and each query (`since`, `after`, `limit`) gets
/// its own entries from a warm cache as from a cold one.
#[tokio::test]
async fn a_kept_answer_is_never_older_than_its_campaign() {
    let h = Harness::start(fast_sim(), |_| {}).await;
    let n = 2 * READ_SLICE + 1_000;
    let id = import(&h, n, "?name=kept").await;
    let cold = page(&h, id, "").await;
    let warm = page(&h, id, "").await;
    assert!(same(&cold, &warm), "a second read of a still campaign");
    assert!(cold.calls.iter().all(|c| c.status == Status::Idle));

    // Dial some, then pause, so that the campaign changes and then stands
    // still again.
    let post = |op: &str| h.http.post(h.url(&format!("/campaigns/{id}/{op}"))).send();
    assert_eq!(post("start").await.unwrap().status(), 200);
    wait_for("a few calls to end", DEADLINE, || async {
        let s = page(&h, id, "?limit=20").await;
        (s.calls.iter().filter(|c| c.status.is_final()).count() >= 5).then_some(())
    })
    .await;
    assert_eq!(post("pause").await.unwrap().status(), 200);
    let still = wait_for("the lines to free", DEADLINE, || async {
        let s = page(&h, id, "?limit=1").await;
        (s.active == 0 && s.campaign.as_ref().unwrap().state == CampaignState::Paused)
            .then_some(s.version)
    })
    .await;

    let whole = page(&h, id, "").await;
    assert!(whole.version > cold.version && whole.version >= still);
    let ended = whole.calls.iter().filter(|c| c.status.is_final()).count();
    assert!(
        ended >= 5,
        "the calls made since the first answer was kept show"
    );
    // Small pages are never kept: built fresh, they are the whole.
    let mut pieces = Vec::new();
    let mut query = "?limit=2000".to_string();
    while pieces.len() < n {
        let p = page(&h, id, &query).await;
        assert_eq!(p.version, whole.version, "the campaign stands still");
        query = format!("?after={}&limit=2000", p.calls.last().unwrap().index);
        pieces.extend(p.calls);
    }
    assert_eq!(pieces, whole.calls);

    for query in [
        "?after=10&limit=5000".to_string(),
        "?after=3000".to_string(),
        "?since=0".to_string(),
        format!("?since={}", cold.version),
        format!("?since={}&after=2&limit=4000", cold.version),
        // From the future: everything.
        format!("?since={}", whole.version + 1_000),
    ] {
        let first = page(&h, id, &query).await;
        let again = page(&h, id, &query).await;
        assert!(same(&first, &again), "{query}: warm as cold");
        assert_eq!(first.version, whole.version, "{query}");
        assert_eq!(first.calls, at(&whole, &first), "{query}");
        assert!(first.calls.windows(2).all(|w| w[0].index < w[1].index));
    }
    let tail = page(&h, id, "?after=3000").await;
    assert_eq!(indices(&tail), (3001..n).collect::<Vec<_>>());
    let future = page(&h, id, &format!("?since={}", whole.version + 1_000)).await;
    assert_eq!(future.since, None);
    assert_eq!(future.calls, whole.calls);
    let delta = page(&h, id, &format!("?since={}", cold.version)).await;
    assert_eq!(delta.since, Some(cold.version));
    assert!(!delta.calls.is_empty() && delta.calls.len() < n);
    assert!(delta.calls.iter().all(|c| c.status != Status::Idle));

    // Stopped, a kept answer is not: everything left is canceled.
    assert_eq!(post("stop").await.unwrap().status(), 200);
    let stopped = page(&h, id, "").await;
    assert!(stopped.version > whole.version);
    assert!(stopped.calls.iter().all(|c| c.status.is_final()));
    // Deleted, it answers 404, kept answer or not.
    let r = h
        .http
        .delete(h.url(&format!("/campaigns/{id}")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(get(&h, id, "").await.0, 404);
}
