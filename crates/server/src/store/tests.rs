use super::records::{LIST_SLICE, SLICE_BYTES};
use super::*;
use numdialer_core::campaign::CampaignMeta;
use numdialer_core::{CampaignState, Phone, Status};

fn phone(i: usize) -> Phone {
    Phone::parse(&format!("1{i:010}")).unwrap()
}

#[tokio::test]
async fn entries_survive_a_reopen_in_list_order() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        assert!(store.load().unwrap().is_none());
        let entries: Vec<Entry> = (0..300).rev().map(|i| Entry::new(i, phone(i))).collect();
        let t = store.put_entries(1, &entries).unwrap();
        let m = store
            .put_meta(Meta {
                started: true,
                version: 7,
            })
            .unwrap();
        store.durable(t.max(m)).await.unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let loaded = store.load().unwrap().unwrap();
    let idx: Vec<usize> = loaded.campaigns[0]
        .entries
        .iter()
        .map(|e| e.index)
        .collect();
    assert_eq!(idx, (0..300).collect::<Vec<_>>());
    let meta = &loaded.campaigns[0].meta;
    assert_eq!((meta.state, meta.version), (CampaignState::Running, 7));
}

#[tokio::test]
async fn each_change_stores_its_event_beside_the_entry() {
    use numdialer_core::protocol::numdialer::{CallStatus, WebhookBody};
    use numdialer_core::{Campaign, Mono, Now, Settings, Timestamp};
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        concurrency: 1,
        call_timeout_ms: 60_000,
    };
    let mut c = Campaign::new(vec![phone(0); 2], settings);
    c.start().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store.put_entries(1, c.entries()).unwrap();
        let t0 = Timestamp(1);
        let now = Now {
            wall: t0,
            mono: Mono(0),
        };
        let o = c.begin_dial("tok".into(), now).unwrap();
        store.put_entries(1, c.entry(o.index)).unwrap();
        let body = |status| WebhookBody { id: 5, status }.into();
        for s in [
            CallStatus::Ringing,
            CallStatus::Ringing,
            CallStatus::Completed,
        ] {
            c.apply_report("tok", body(s), now).unwrap();
            let t = store.put_entries(1, c.entry(0)).unwrap();
            store.durable(t).await.unwrap();
        }
    }
    let loaded = Store::open(dir.path()).unwrap().load().unwrap().unwrap();
    assert_eq!(loaded.campaigns[0].entries[0], *c.entry(0).unwrap());
    assert_eq!(
        loaded.campaigns[0].entries[0].details().history.len(),
        4,
        "dialed, ringing, duplicate, completed"
    );
}

#[tokio::test]
async fn load_reports_the_event_records_it_cannot_place() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        let entries: Vec<Entry> = (0..2).map(|i| Entry::new(i, phone(i))).collect();
        store.put_entries(1, &entries).unwrap();
        let event = br#"{"at":"2026-11-23T20:01:02.123Z","event":"dialed","applied":true}"#;
        store.events.insert([0u8, 1, 2], &event[..]).unwrap();
        let mut past = 7u64.to_be_bytes().to_vec();
        past.extend_from_slice(&0u32.to_be_bytes());
        store.events.insert(past, &event[..]).unwrap();
        let mut good = 1u64.to_be_bytes().to_vec();
        good.extend_from_slice(&0u32.to_be_bytes());
        store.events.insert(good, &event[..]).unwrap();
        let t = store.put_meta(Meta {
            started: true,
            version: 1,
        });
        store.durable(t.unwrap()).await.unwrap();
    }
    let loaded = Store::open(dir.path()).unwrap().load().unwrap().unwrap();
    assert_eq!(
        loaded.campaigns[0].entries[1].details().history.len(),
        1,
        "the good event is kept"
    );
    assert_eq!(
        loaded.skipped,
        vec![
            Skipped {
                key: "000000000000000700000000".into(),
                why: SkipReason::EventPastList { index: 7, len: 2 }
            },
            Skipped {
                key: "000102".into(),
                why: SkipReason::ShortEventKey
            },
        ]
    );
    assert_eq!(
        loaded.skipped[0].to_string(),
        "record 000000000000000700000000: an event of entry 7, past the list of 2"
    );
}

#[tokio::test]
async fn an_imported_list_loads_with_its_changed_entries_laid_over_it() {
    use numdialer_core::{CampaignMeta, Timestamp};
    let dir = tempfile::tempdir().unwrap();
    let n = 3 * LIST_SLICE + 7;
    let mut list: Vec<Entry> = (0..n).map(|i| Entry::new(i, phone(i))).collect();
    {
        let store = Store::open(dir.path()).unwrap();
        for slice in list.chunks(2 * LIST_SLICE) {
            store.put_list(5, slice).unwrap();
        }
        // An import cut short: its list, and no campaign record.
        store.put_list(6, &list[..10]).unwrap();
        list[LIST_SLICE + 1].status = Status::Canceled;
        list[LIST_SLICE + 1].version = 2;
        store.put_entries(5, [&list[LIST_SLICE + 1]]).unwrap();
        let meta = CampaignMeta {
            id: 5,
            name: "imported".into(),
            state: CampaignState::Stopped,
            created_at: Timestamp(1),
            ..CampaignMeta::first(false, 2)
        };
        let t = store.put_campaign(&meta).unwrap();
        store.durable(t).await.unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let loaded = store.load().unwrap().unwrap();
    let ids: Vec<u64> = loaded.campaigns.iter().map(|c| c.meta.id).collect();
    assert_eq!(ids, [1, 5], "the cut-short import is not a campaign");
    assert_eq!(loaded.campaigns[1].entries, list);
    store.remove_orphans(&loaded.orphans).unwrap();
    assert_eq!(
        store.campaign_lists.scan_prefix(6u64.to_be_bytes()).count(),
        0,
        "the cut-short import's list is removed"
    );
    let records: Vec<Vec<Entry>> = store
        .campaign_lists
        .scan_prefix(5u64.to_be_bytes())
        .values()
        .map(|v| {
            let v = v.unwrap();
            assert!(v.len() <= SLICE_BYTES, "a record of {} bytes", v.len());
            serde_json::from_slice(&v).unwrap()
        })
        .collect();
    assert!(records.iter().all(|r| r.len() <= LIST_SLICE));
    assert_eq!(records.iter().map(Vec::len).sum::<usize>(), n);
}

/// A wide list (a hundred columns, a kilobyte a row and up to 5 KB) is
/// stored in records that sled keeps in its own log, where deleting them
/// gives the space back, not in files of their own under `blobs/`.
#[tokio::test]
async fn a_wide_list_is_stored_in_small_records_and_no_blob() {
    let dir = tempfile::tempdir().unwrap();
    let list: Vec<Entry> = (0..3000)
        .map(|i| {
            let mut e = Entry::new(i, phone(i));
            let width = 10 + 40 * (i % 2);
            e.details_mut().fields = vec!["v".repeat(width); 100].into();
            e
        })
        .collect();
    let store = Store::open(dir.path()).unwrap();
    store.put_list(7, &list).unwrap();
    let t = store.put_campaign(&numdialer_core::CampaignMeta {
        id: 7,
        ..numdialer_core::CampaignMeta::first(false, 1)
    });
    store.durable(t.unwrap()).await.unwrap();
    for v in store
        .campaign_lists
        .scan_prefix(7u64.to_be_bytes())
        .values()
    {
        assert!(v.unwrap().len() <= SLICE_BYTES);
    }
    let blobs = std::fs::read_dir(dir.path().join("blobs")).map_or(0, |d| d.count());
    assert_eq!(blobs, 0, "no record went to a file of its own");
}

#[tokio::test]
async fn concurrent_writers_all_become_durable() {
    let store = Arc::new(Store::open_temporary().unwrap());
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let t = store.put_entries(1, [&Entry::new(i, phone(i))]).unwrap();
            store.durable(t).await.unwrap();
            t
        }));
    }
    for t in tasks {
        let ticket = t.await.unwrap();
        assert!(store.flusher.flushed() >= ticket);
    }
}

fn meta(id: u64) -> CampaignMeta {
    CampaignMeta {
        id,
        name: format!("c{id}"),
        state: CampaignState::Draft,
        ..CampaignMeta::first(false, 1)
    }
}

#[tokio::test]
async fn campaigns_load_by_id_and_an_import_cut_short_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        let list: Vec<Entry> = (0..3).map(|i| Entry::new(i, phone(i))).collect();
        store.put_entries(1, &list).unwrap();
        for id in [2, 3, 4] {
            store.put_entries(id, &list[..id as usize - 1]).unwrap();
        }
        store.put_campaign(&meta(2)).unwrap();
        // Campaign 3's import never wrote its record; 4 was deleted.
        store.put_campaign(&meta(4)).unwrap();
        let retired = Retired {
            next_id: 5,
            version: 9,
            dialed: 2,
        };
        let t = store.delete_campaign(4, retired).unwrap();
        store.durable(t).await.unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let loaded = store.load().unwrap().unwrap();
    let ids: Vec<(u64, usize)> = loaded
        .campaigns
        .iter()
        .map(|c| (c.meta.id, c.entries.len()))
        .collect();
    assert_eq!(
        ids,
        [(1, 3), (2, 1)],
        "campaign 1 from the old trees, then 2"
    );
    assert_eq!(loaded.retired.next_id, 5);
    let marks = loaded.marks();
    assert_eq!(
        (marks.version, marks.dialed),
        (9 + 1, 2),
        "retired, plus campaign 2's 1"
    );
    assert_eq!(loaded.orphans, [3, 4], "found, not yet removed");
    assert!(
        store
            .campaign_entries
            .scan_prefix(3u64.to_be_bytes())
            .count()
            > 0
    );
    store.remove_orphans(&loaded.orphans).unwrap();
    for orphan in [3u64, 4] {
        let prefix = orphan.to_be_bytes();
        assert_eq!(
            store.campaign_entries.scan_prefix(prefix).count(),
            0,
            "{orphan}"
        );
    }
}

#[tokio::test]
async fn a_change_that_adds_two_events_stores_both() {
    use numdialer_core::campaign::{Event, EventKind};
    use numdialer_core::{Outcome, Timestamp};
    let event = |kind| Event {
        at: Timestamp(1),
        kind,
        applied: true,
        note: None,
        attempt: 1,
    };
    let dir = tempfile::tempdir().unwrap();
    let mut e = Entry::new(0, phone(0));
    {
        let store = Store::open(dir.path()).unwrap();
        e.details_mut().history.push(event(EventKind::Dialed));
        store.put_entries(2, [&e]).unwrap();
        // A timeout that earns a retry: two events in one change.
        e.details_mut()
            .history
            .push(event(EventKind::TimedOut { after_ms: 5 }));
        e.details_mut()
            .history
            .push(event(EventKind::RetryScheduled {
                outcome: Outcome::Failed,
                retry_at: Timestamp(9),
            }));
        store.put_entries(2, [&e]).unwrap();
        let t = store.put_campaign(&meta(2)).unwrap();
        store.durable(t).await.unwrap();
    }
    let loaded = Store::open(dir.path()).unwrap().load().unwrap().unwrap();
    assert_eq!(
        loaded.campaigns[1].entries[0].details().history,
        e.details().history
    );
}

fn with_fields(i: usize) -> Entry {
    let mut e = Entry::new(i, phone(i));
    if i % 3 != 2 {
        e.details_mut().fields = [format!("gold {i}"), "line\ntwo \"q\"".into()]
            .into_iter()
            .collect();
    }
    if i.is_multiple_of(4) {
        e.details_mut().name = Some(format!("person {i}"));
    }
    e
}

/// An import's names and extra columns go to a file of their own before
/// its list, stay out of the entries in memory and after a reopen, are read
/// back by range (whole, or names alone), and go with the campaign; a file
/// without a campaign is an orphan.
#[tokio::test]
async fn names_and_columns_live_in_a_file_read_on_demand_and_go_with_their_campaign() {
    let dir = tempfile::tempdir().unwrap();
    let list: Vec<Entry> = (0..10).map(with_fields).collect();
    let expected: Vec<EntryText> = list
        .iter()
        .map(|e| EntryText {
            name: e.details().name.clone(),
            fields: e.details().fields.clone(),
        })
        .collect();
    {
        let store = Store::open(dir.path()).unwrap();
        let mut entries = list.clone();
        let records = store.records_of(5);
        records.put_fields(&mut entries).unwrap();
        assert!(
            entries
                .iter()
                .all(|e| *e == Entry::new(e.index, phone(e.index))),
            "nothing but what dialing needs stays"
        );
        records.put_list(&entries).unwrap();
        // An import cut short after its file: no list, no record.
        store.records_of(6).put_fields(&mut list.clone()).unwrap();
        let t = store.put_campaign(&numdialer_core::CampaignMeta {
            id: 5,
            ..numdialer_core::CampaignMeta::first(false, 1)
        });
        store.durable(t.unwrap()).await.unwrap();
        assert_eq!(store.texts_of(5, 0, 10).unwrap().unwrap(), expected);
        assert_eq!(store.texts_of(5, 3, 5).unwrap().unwrap(), expected[3..5]);
        assert_eq!(store.texts_of(5, 9, 20).unwrap().unwrap(), expected[9..]);
        assert!(store.texts_of(5, 10, 12).unwrap().unwrap().is_empty());
    }
    let fields_dir = dir.path().join(FIELDS_DIR);
    assert!(fields_dir.join("5").is_file() && fields_dir.join("6").is_file());
    let store = Store::open(dir.path()).unwrap();
    let loaded = store.load().unwrap().unwrap();
    let c = &loaded.campaigns[1];
    assert!(
        c.entries
            .iter()
            .all(|e| *e == Entry::new(e.index, phone(e.index)))
    );
    assert_eq!(store.texts_of(5, 0, 10).unwrap().unwrap(), expected);
    let name = |i: usize| i.is_multiple_of(4).then(|| format!("person {i}"));
    // Close together: one read of the span; scattered: one read each.
    assert_eq!(
        store.names_of(5, &[0, 1, 2, 4]).unwrap().unwrap(),
        [0, 1, 2, 4].map(name)
    );
    assert_eq!(
        store.names_of(5, &[0, 8]).unwrap().unwrap(),
        [0, 8].map(name)
    );
    assert_eq!(store.names_of(5, &[]).unwrap().unwrap(), []);
    assert_eq!(store.names_of(1, &[0]).unwrap(), None);
    assert_eq!(loaded.orphans, [6]);
    store.remove_orphans(&loaded.orphans).unwrap();
    assert!(!fields_dir.join("6").exists());

    store.records_of(5).remove().unwrap();
    assert!(!fields_dir.join("5").exists());
    assert_eq!(store.texts_of(5, 0, 10).unwrap(), None);
}

/// Campaign 1 and a store without a directory keep names and columns in
/// their entries, as every release before did.
#[test]
fn campaign_one_and_a_temporary_store_keep_their_text_in_their_entries() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut entries: Vec<Entry> = (0..5).map(with_fields).collect();
    store.records_of(1).put_fields(&mut entries).unwrap();
    assert_eq!(entries[0].details().fields, ["gold 0", "line\ntwo \"q\""]);
    assert_eq!(entries[4].details().name.as_deref(), Some("person 4"));
    assert_eq!(store.texts_of(1, 0, 3).unwrap(), None);

    let temporary = Store::open_temporary().unwrap();
    temporary.records_of(5).put_fields(&mut entries).unwrap();
    assert_eq!(entries[1].details().fields, ["gold 1", "line\ntwo \"q\""]);
    assert_eq!(temporary.texts_of(5, 0, 3).unwrap(), None);
}

/// Reads that start and end anywhere in the file give exactly the lines
/// asked for.
#[tokio::test]
async fn texts_read_back_exactly_for_any_range() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let list: Vec<Entry> = (0..200)
        .map(|i| {
            let mut e = Entry::new(i, phone(i));
            e.details_mut().fields = ["x".repeat(i % 7), i.to_string()].into_iter().collect();
            e
        })
        .collect();
    let expected: Vec<EntryText> = list
        .iter()
        .map(|e| EntryText {
            name: None,
            fields: e.details().fields.clone(),
        })
        .collect();
    store.records_of(9).put_fields(&mut list.clone()).unwrap();
    for (from, to) in [
        (0, 200),
        (63, 65),
        (64, 128),
        (127, 130),
        (199, 200),
        (5, 6),
        (150, 260),
    ] {
        assert_eq!(
            store.texts_of(9, from, to).unwrap().unwrap(),
            expected[from..to.min(200)],
            "{from}..{to}"
        );
    }
}
