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
