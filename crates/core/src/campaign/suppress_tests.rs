//! Do-not-call suppressions canceling entries at the moment they are
//! added: idle and waiting entries of every campaign not final end
//! `canceled · suppressed`, a call in flight finishes, and the order of
//! what is left (and a restore of it) is unchanged.

use super::*;

/// `stops` for the given numbers, with a reason naming them.
fn listed(numbers: &[Phone]) -> impl FnMut(&str, u64) -> Option<String> + '_ {
    |digits, _| {
        numbers
            .iter()
            .any(|p| p.digits() == digits)
            .then(|| "on the do-not-call list (global, api) since then".to_string())
    }
}

fn restored(c: &Campaign, now: Now) -> Campaign {
    let meta = CampaignMeta {
        version: c.version(),
        ..c.meta().clone()
    };
    let r = Campaign::restore(meta, c.entries().to_vec(), settings(1), now).unwrap();
    recount(&r).unwrap();
    r
}

#[test]
fn idle_and_waiting_entries_are_canceled_at_once_and_a_call_in_flight_finishes() {
    let mut w = ruled_world(2, 4, policy(2, 5, BOTH), &Plan::default());
    assert_eq!(w.dial_all(), vec![(2, 0), (2, 1)]);
    w.end(2, 0, false);
    assert_eq!(w.entry(2, 0).status, Status::Waiting, "a retry");
    let numbers = [number(2, 0), number(2, 1), number(2, 3)];
    let changed = w.cs.suppress(Scope::Global, listed(&numbers), w.now.wall);
    w.recount();
    // The retry and the fresh entry ahead of its turn; not the call out.
    assert_eq!(changed, vec![(2, vec![0, 3])]);
    for i in [0, 3] {
        let e = w.entry(2, i);
        assert_eq!(
            (e.status, e.outcome, e.retry_at()),
            (Status::Canceled, Some(Outcome::Suppressed), None)
        );
        assert!(
            e.details()
                .reason
                .as_deref()
                .unwrap()
                .contains("do-not-call")
        );
        let last = e.details().history.last().unwrap();
        assert_eq!(last.kind, EventKind::Canceled);
        assert_eq!(last.note, e.details().reason);
    }
    assert_eq!(w.entry(2, 0).attempt, 1);
    assert_eq!(w.entry(2, 1).status, Status::Dialing);
    // Campaign 3's own scope stops its entry only.
    let changed = w.cs.suppress(
        Scope::Campaign(3),
        listed(&[number(3, 0), number(2, 2)]),
        w.now.wall,
    );
    assert_eq!(changed, vec![(3, vec![0])]);
    // The line left goes to entry 2, stepping over canceled entry 3 later.
    assert_eq!(w.dial_all(), vec![(2, 2)]);
    w.end(2, 1, true);
    assert_eq!(w.entry(2, 1).outcome, Some(Outcome::Answered));
    w.end(2, 2, true);
    assert_eq!(w.state(2), CampaignState::Done);
    assert_eq!(w.dial_all(), vec![(3, 1), (3, 2)]);
    assert_eq!(w.cs.get(2).unwrap().outcome_count(Outcome::Suppressed), 2);
    // A later suppression leaves a final campaign as it ended.
    let changed =
        w.cs.suppress(Scope::Global, listed(&[number(2, 2)]), w.now.wall);
    assert_eq!(changed, vec![]);
}

#[test]
fn the_last_entries_suppressed_end_a_running_campaign() {
    let mut w = ruled_world(1, 2, RetryPolicy::default(), &Plan::default());
    assert_eq!(w.dial_all(), vec![(2, 0)]);
    let changed =
        w.cs.suppress(Scope::Global, listed(&[number(2, 1)]), w.now.wall);
    assert_eq!(changed, vec![(2, vec![1])]);
    assert_eq!(w.state(2), CampaignState::Running, "a call is out");
    w.end(2, 0, true);
    assert_eq!(w.state(2), CampaignState::Done);
    let changed = w.cs.suppress(
        Scope::Global,
        listed(&[number(3, 0), number(3, 1)]),
        w.now.wall,
    );
    assert_eq!(changed, vec![(3, vec![0, 1])]);
    assert_eq!(w.state(3), CampaignState::Done, "nothing left to dial");
}

#[test]
fn a_draft_canceled_ahead_stays_a_draft_and_a_restore_keeps_the_order() {
    let mut w = World::new(1, 0, &[(5, RetryPolicy::default())]);
    let changed = w.cs.suppress(
        Scope::Campaign(2),
        listed(&[phone(0), phone(2), phone(3)]),
        w.now.wall,
    );
    assert_eq!(changed, vec![(2, vec![0, 2, 3])]);
    w.recount();
    let later = w.now.plus_millis(1_000);
    let r = restored(w.cs.get(2).unwrap(), later);
    assert_eq!(r.state(), CampaignState::Draft, "nothing was dialed");
    w.cs = Campaigns::new(vec![r], Retired::default(), settings(1));
    w.now = later;
    w.start(2);
    assert_eq!(w.dial_all(), vec![(2, 1)]);
    // Restored with entry 1 dialed: the next fresh one is entry 4, past
    // the canceled ones, and entry 0 (canceled before it) is not fresh.
    let r = restored(w.cs.get(2).unwrap(), later);
    assert_eq!(r.state(), CampaignState::Running);
    w.cs = Campaigns::new(vec![r], Retired::default(), settings(1));
    w.end(2, 1, true);
    assert_eq!(w.dial_all(), vec![(2, 4)]);
    w.end(2, 4, true);
    assert_eq!(w.state(2), CampaignState::Done);
    assert_eq!(w.cs.dialed(), 2);
}

#[test]
fn entries_kept_out_at_import_are_final_counted_and_stepped_over() {
    let mut w = World::new(1, 0, &[]);
    let mut entries = numbered(2, 4);
    for i in [0, 2] {
        entries[i].suppress_at_import("on the do-not-call list".into(), T0);
    }
    let list = NewCampaign {
        entries,
        ..new(0, RetryPolicy::default())
    };
    assert_eq!(w.cs.create(list, T0).id(), 2);
    w.recount();
    let c = w.cs.get(2).unwrap();
    assert_eq!(c.count(Status::Canceled), 2);
    assert_eq!(c.outcome_count(Outcome::Suppressed), 2);
    let e = w.entry(2, 0);
    assert_eq!(
        e.details().history.last().unwrap().kind,
        EventKind::Canceled
    );
    assert_eq!(
        e.details().reason.as_deref(),
        Some("on the do-not-call list")
    );
    w.start(2);
    assert_eq!(w.dial_all(), vec![(2, 1)]);
    w.end(2, 1, true);
    assert_eq!(w.dial_all(), vec![(2, 3)]);
    w.end(2, 3, true);
    assert_eq!(w.state(2), CampaignState::Done);

    // Every entry kept out: started, it is done at once.
    let mut entries = numbered(3, 2);
    for e in &mut entries {
        e.suppress_at_import("listed".into(), T0);
    }
    let list = NewCampaign {
        entries,
        ..new(0, RetryPolicy::default())
    };
    assert_eq!(w.cs.create(list, T0).id(), 3);
    w.start(3);
    assert_eq!(w.state(3), CampaignState::Done);
    assert_eq!(w.dial_all(), vec![]);
}

#[test]
fn a_campaign_that_requires_the_registry_waits_while_it_is_held_and_others_dial() {
    let mut w = World::new(1, 0, &[]);
    for (id, require) in [(2, true), (3, false)] {
        let list = NewCampaign {
            entries: numbered(id, 1),
            require_registry: require,
            ..new(0, RetryPolicy::default())
        };
        assert_eq!(w.cs.create(list, T0).id(), id);
        w.start(id);
    }
    let changed = w.cs.hold_for_registry(Some("too old"));
    assert_eq!(changed, vec![(2, Some("too old".to_string()))], "only 2");
    assert_eq!(w.cs.hold_for_registry(Some("too old")), vec![], "once");
    assert!(
        w.cs.get(2).unwrap().meta().require_registry,
        "kept in its record"
    );
    assert_eq!(w.dial_all(), vec![(3, 0)], "2 started first, but is held");
    w.end(3, 0, true);
    assert!(!w.cs.can_dial(w.now.mono), "nothing due but the held one");
    assert_eq!(w.cs.hold_for_registry(None), vec![(2, None)]);
    assert_eq!(w.dial_all(), vec![(2, 0)]);
}
