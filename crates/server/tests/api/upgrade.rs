//! Data directories written by earlier releases (committed fixtures, see
//! the READMEs in tests/fixtures/) open with their state intact, become
//! campaign 1, and nobody they dialed is dialed again.

use crate::helpers::*;
use numdialer_core::api::{CampaignSummary, CampaignsResponse};
use numdialer_core::{CallId, CampaignState, DEFAULT_NUMBERS, Outcome, Status};
use std::path::Path;
use tempfile::TempDir;

/// A writable copy of a fixture: sled writes to the directory it opens.
fn copy_fixture(name: &str) -> TempDir {
    copy_release_fixture("v0.1.0", name)
}

fn copy_release_fixture(release: &str, name: &str) -> TempDir {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(release)
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
    // An older directory has no do-not-call lists: empty, and its log too.
    for path in ["/suppressions", "/suppressions/log"] {
        let page: serde_json::Value = h
            .http
            .get(h.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"], serde_json::json!([]), "{path}: {page}");
    }
}

async fn campaign_one(h: &Harness) -> CampaignSummary {
    let r = h.http.get(h.url("/campaigns")).send().await.unwrap();
    let list: CampaignsResponse = r.json().await.unwrap();
    assert_eq!(list.campaigns.len(), 1, "{list:#?}");
    list.campaigns.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_finished_list_of_the_last_release_before_campaigns_is_campaign_1_done() {
    let fixture = copy_release_fixture("b9f5f73", "finished");
    let h = open(&fixture).await;
    let s = h.statuses().await;
    assert!(s.started && s.finished, "{s:#?}");
    assert_eq!(s.count(Status::Completed), 9);
    let c = campaign_one(&h).await;
    assert_eq!((c.id, c.state, c.total), (1, CampaignState::Done, 9));
    // 15512459377, 19362072765 (twice each) and 18582210308 ring and hang
    // up: no `answered` in their history.
    assert_eq!(c.outcome(Outcome::NoAnswer), 5, "{c:#?}");
    assert_eq!(c.outcome(Outcome::Answered), 4, "{c:#?}");
    assert_eq!(c.attempts, 9);
    assert_eq!(h.start_calls().await, 409);
    let r = h
        .http
        .post(h.url("/campaigns/1/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(h.sim.dials().is_empty(), "nobody dialed again");

    // The upgraded directory keeps working: a new campaign, a restart.
    let r = h
        .http
        .post(h.url("/campaigns?start=true"))
        .header("content-type", "text/plain")
        .body("13018040009\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    wait_for("the new campaign to end", DEADLINE, || async {
        let s = h.http.get(h.url("/campaigns/2")).send().await.unwrap();
        let c: CampaignSummary = s.json().await.unwrap();
        (c.state == CampaignState::Done).then_some(())
    })
    .await;
    let (sim, unused) = h.stop_keeping().await;
    let path = fixture.path().to_path_buf();
    let h = Harness::reopen(sim, unused, move |c| c.store.data_dir = Some(path)).await;
    let after = h.statuses().await;
    assert_eq!(after.count(Status::Completed), 9, "{after:#?}");
    assert_eq!(h.sim.dials().len(), 1, "only the new campaign's one entry");
}

#[tokio::test]
async fn an_interrupted_list_of_the_last_release_before_campaigns_resumes_without_redialing() {
    let fixture = copy_release_fixture("b9f5f73", "interrupted");
    let h = open(&fixture).await;
    let before = h.statuses().await;
    let ids: Vec<Option<CallId>> = before.calls[..3].iter().map(|c| c.id.clone()).collect();
    assert_eq!(
        ids,
        [335367, 335368, 335369].map(|n| Some(CallId::Number(n)))
    );
    assert!(before.calls[..3].iter().all(|c| c.attempt == 1));
    assert_eq!(campaign_one(&h).await.state, CampaignState::Running);

    let done = h.wait_finished().await;
    assert_dialed_in_order(&h.sim.dials(), &DEFAULT_NUMBERS[3..], 3);
    for c in &done.calls[..3] {
        assert_eq!(c.status, Status::Failed, "no webhook can come: {c:?}");
        assert_eq!(c.outcome, Some(Outcome::Failed));
    }
    assert_eq!(campaign_one(&h).await.state, CampaignState::Done);
    assert_eq!(h.sim.dials().len(), 6, "each idle entry once, nothing more");
}

/// Every fixture, opened by a server whose calling hours are on (given
/// explicitly, which a new directory's campaign 1 would take): each
/// directory's campaign 1 keeps no window, so a finished list dials nobody
/// and an interrupted one resumes at whatever hour the test runs, never
/// redialing an entry it had dialed.
#[tokio::test]
async fn an_older_directory_keeps_no_calling_hours_under_a_server_that_has_them() {
    for (release, name) in [
        ("v0.1.0", "finished"),
        ("v0.1.0", "interrupted"),
        ("b9f5f73", "finished"),
        ("b9f5f73", "interrupted"),
    ] {
        let fixture = copy_release_fixture(release, name);
        let path = fixture.path().to_path_buf();
        let h = Harness::start(fast_sim(), move |c| {
            c.store.data_dir = Some(path);
            c.dialing.calling_hours = Some("08:00-21:00".parse().unwrap());
        })
        .await;
        let c = campaign_one(&h).await;
        assert_eq!(
            c.calling.hours.calling_hours.to_string(),
            "off",
            "{release}/{name}"
        );
        assert!(
            c.calling.hours.is_default(),
            "{release}/{name}: {:?}",
            c.calling.hours
        );
        assert_eq!(c.calling.waiting_for_hours, 0);
        if name == "finished" {
            let before = h.statuses().await;
            assert!(before.calls.iter().all(|c| c.attempt == 1));
            assert_eq!(h.start_calls().await, 409);
            assert!(h.sim.dials().is_empty(), "{release}/{name}: nobody dialed");
        } else {
            let s = h.wait_finished().await;
            assert!(
                s.calls
                    .iter()
                    .all(|c| c.status.is_final() && c.attempt <= 1),
                "{release}/{name}: {s:#?}"
            );
            // Entries 3 to 8, never dialed before (the READMEs), each once.
            assert_eq!(h.sim.dials().len(), 6, "{release}/{name}");
            assert_eq!(s.count(Status::Waiting), 0);
        }
        h.stop().await;
    }
}

/// The export of `campaign` as rows of cells, `raw` so that the cells are
/// compared as stored.
async fn export_rows(h: &Harness, campaign: u64) -> Vec<Vec<String>> {
    let r = h
        .http
        .get(h.url(&format!("/campaigns/{campaign}/export.csv?raw=true")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    csv::Reader::from_reader(&body[..])
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// A campaign imported by the last release that kept its extra columns in
/// its entries (interrupted with three calls in flight) keeps them: they
/// stay in its records and memory, its export and events show them, and
/// it resumes without redialing anyone, while campaign 1 dials nobody.
#[tokio::test]
async fn an_import_whose_columns_live_in_its_entries_keeps_them_and_resumes_without_redialing() {
    let fixture = copy_release_fixture("ccedc71", "columns-interrupted");
    let h = open(&fixture).await;
    let columns = |rows: &[Vec<String>]| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|r| (r[2].clone(), r[14].clone(), r[15].clone()))
            .collect()
    };
    let expected: Vec<(String, String, String)> = [
        ("Ada", "gold", "first, with a comma"),
        ("Grace", "silver", "=SUM(A1:A2)"),
        ("Alan", "gold", "line\ntwo"),
        ("Edsger", "bronze", "plain"),
        ("Barbara", "silver", ""),
        ("Ken", "gold", "last"),
    ]
    .map(|(a, b, c)| (a.into(), b.into(), c.into()))
    .into();
    assert_eq!(columns(&export_rows(&h, 2).await), expected);

    let done = wait_for("campaign 2 to finish", DEADLINE, || async {
        let s: CampaignsResponse = h.campaigns().await;
        s.campaigns
            .into_iter()
            .find(|c| c.id == 2 && c.state == CampaignState::Done)
    })
    .await;
    assert_eq!(done.total, 6);
    let dials: Vec<String> = h.sim.dials().into_iter().map(|d| d.phone).collect();
    assert_eq!(
        dials,
        ["13018040103", "13018040104", "13018040105"],
        "only the idle entries, once each; campaign 1 is never started"
    );
    let after = export_rows(&h, 2).await;
    assert_eq!(columns(&after), expected);
    let attempts: Vec<&str> = after.iter().map(|r| r[5].as_str()).collect();
    assert_eq!(attempts, ["1"; 6]);
    assert!(
        !fixture.path().join("fields").exists(),
        "columns that lived in the entries stay there"
    );
    h.stop().await;
}
