//! Data directories written by the previous release (committed fixtures,
//! see tests/fixtures/v0.1.0/README.md) open with their state intact, and
//! nobody they dialed is dialed again.

use crate::helpers::*;
use numdialer_core::{CallId, DEFAULT_NUMBERS, Status};
use std::path::Path;
use tempfile::TempDir;

/// A writable copy of a fixture: sled writes to the directory it opens.
fn copy_fixture(name: &str) -> TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v0.1.0")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(&from).unwrap() {
        let file = file.unwrap();
        if file.file_type().unwrap().is_file() {
            std::fs::copy(file.path(), dir.path().join(file.file_name())).unwrap();
        }
    }
    dir
}

async fn open(fixture: &TempDir) -> Harness {
    let path = fixture.path().to_path_buf();
    Harness::start(fast_sim(), move |c| {
        c.store.data_dir = Some(path);
        // The fixture's calls were dialed long ago: they time out at once.
        c.dialing.call_timeout = std::time::Duration::from_secs(60);
    })
    .await
}

#[tokio::test]
async fn a_finished_list_stays_finished_and_dials_nobody() {
    let fixture = copy_fixture("finished");
    let h = open(&fixture).await;
    let s = h.statuses().await;
    assert!(s.started && s.finished, "{s:#?}");
    assert_eq!(s.count(Status::Completed), 9);
    let phones: Vec<&str> = s.calls.iter().map(|c| c.phone.as_str()).collect();
    assert_eq!(phones, DEFAULT_NUMBERS);
    assert!(
        s.calls
            .iter()
            .all(|c| matches!(c.id, Some(CallId::Number(_))))
    );
    let history = h
        .http
        .get(h.url("/calls/4"))
        .send()
        .await
        .unwrap()
        .json::<numdialer_core::api::CallDetail>()
        .await
        .unwrap()
        .history;
    assert!(
        history.len() >= 3,
        "the stored history is read: {history:#?}"
    );

    assert_eq!(h.start_calls().await, 409, "the list was dialed already");
    assert!(h.sim.dials().is_empty(), "nobody dialed again");
}

#[tokio::test]
async fn an_interrupted_list_resumes_without_redialing() {
    let fixture = copy_fixture("interrupted");
    let h = open(&fixture).await;
    let before = h.statuses().await;
    let ids: Vec<Option<CallId>> = before.calls[..3].iter().map(|c| c.id.clone()).collect();
    assert_eq!(
        ids,
        [298028, 298029, 298030].map(|n| Some(CallId::Number(n)))
    );

    let done = h.wait_finished().await;
    let dials = h.sim.dials();
    assert_dialed_in_order(&dials, &DEFAULT_NUMBERS[3..], 3);
    for c in &done.calls[..3] {
        assert_eq!(c.status, Status::Failed, "no webhook can come: {c:?}");
        assert!(c.reason.as_deref().unwrap().starts_with("no final webhook"));
    }
    let after: Vec<Option<CallId>> = done.calls[..3].iter().map(|c| c.id.clone()).collect();
    assert_eq!(after, ids, "their calls are the ones placed before");
    assert_eq!(h.start_calls().await, 409);
    assert_eq!(h.sim.dials().len(), 6, "each idle entry once, nothing more");
}
