use super::*;
use crate::mode::Embedded;
use numdialer_core::{Status, Timestamp};
use ratatui::crossterm::event::{KeyCode, KeyEventState, KeyModifiers};

pub(crate) fn snapshot(statuses: &[Status], started: bool) -> LenientStatuses {
    let calls = statuses
        .iter()
        .enumerate()
        .map(|(i, &s)| LenientCall {
            index: i,
            phone: numdialer_core::DEFAULT_NUMBERS[i % 9].to_string(),
            status: s.into(),
            id: (s != Status::Idle && s != Status::Dialing).then(|| (1000 + i as u64).into()),
            updated_at: (s != Status::Idle).then_some(Timestamp(10_000)),
            reason: (s == Status::Failed).then(|| "no final webhook within 60 s".into()),
            attempt: u32::from(s != Status::Idle),
            answered: false,
            outcome: None,
            retry_at: None,
            name: None,
            timezones: Vec::new(),
            held: false,
            answered_by: None,
            answered_by_raw: None,
            detection_ms: None,
            voicemail_left: false,
        })
        .collect::<Vec<_>>();
    let finished = started && calls.iter().all(|c| c.status.is_final());
    LenientStatuses {
        version: 1,
        started,
        finished,
        concurrency: 3,
        active: calls.iter().filter(|c| c.status.is_in_flight()).count(),
        now: Timestamp(12_500),
        since: None,
        degraded: None,
        max_cps: None,
        campaign: None,
        before_restart: None,
        dialer_unreachable: None,
        events_failing: None,
        real_provider: false,
        calls,
    }
}

/// Embedded mode keeping its data in `data` (`None`: temporary), against
/// the simulator or a real dialer API.
pub(crate) fn embedded(data: Option<&str>, simulated: bool) -> Mode {
    Mode::Embedded(Embedded {
        data: data.map(str::to_string),
        simulated,
        in_ssh: false,
        twilio: false,
        max_cps: None,
        call_timeout: Duration::from_secs(60),
    })
}

/// The demo: embedded, the simulator, a temporary store.
pub(crate) fn app_with(statuses: &[Status], started: bool) -> (App, Instant) {
    app_in(embedded(None, true), statuses, started)
}

pub(crate) fn app_in(mode: Mode, statuses: &[Status], started: bool) -> (App, Instant) {
    let t = Instant::now();
    let mut app = App::new(mode, true, Duration::from_millis(250), t);
    app.update(Event::Polled(Ok(snapshot(statuses, started))), t);
    (app, t)
}

/// Three calls in flight, six entries still idle.
pub(crate) const DIALING: [Status; 9] = [
    Status::Ringing,
    Status::Answered,
    Status::Dialing,
    Status::Idle,
    Status::Idle,
    Status::Idle,
    Status::Idle,
    Status::Idle,
    Status::Idle,
];

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent {
        code,
        modifiers: KeyModifiers::NONE,
        kind: KeyEventKind::Press,
        state: KeyEventState::NONE,
    })
}

fn click(column: u16, row: u16) -> Event {
    Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    })
}

#[test]
fn call_is_pressed_once_and_then_disabled() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    assert_eq!(app.button(), Button::Ready);
    assert_eq!(
        app.update(key(KeyCode::Char('c')), t),
        Some(Command::Operate(1, Operation::Start))
    );
    assert_eq!(app.button(), Button::Starting);
    assert_eq!(
        app.update(key(KeyCode::Char('c')), t),
        None,
        "no second request"
    );
    app.update(Event::Operated(1, Operation::Start, Ok(None)), t);
    assert_eq!(app.button(), Button::Dialing);
    assert_eq!(app.update(key(KeyCode::Char('c')), t), None);
    app.update(
        Event::Polled(Ok(snapshot(&[Status::Completed; 9], true))),
        t,
    );
    assert_eq!(app.button(), Button::Done);
}

#[test]
fn a_started_server_shows_the_button_disabled_at_once() {
    let (app, _) = app_with(&[Status::Ringing; 9], true);
    assert_eq!(app.button(), Button::Dialing);
}

#[test]
fn refused_starts_become_messages() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.update(key(KeyCode::Char('c')), t);
    let err = ClientError::Http {
        status: 401,
        message: "missing or wrong API token".into(),
    };
    app.update(Event::Operated(1, Operation::Start, Err(err)), t);
    let m = app.message.clone().unwrap();
    assert!(
        m.is_error && m.text.contains("missing or wrong API token"),
        "{m:?}"
    );
    assert_eq!(app.button(), Button::Ready, "can be pressed again");
    app.update(key(KeyCode::Char('c')), t);
    let words = AlreadyStarted.to_string();
    app.update(
        Event::Operated(
            1,
            Operation::Start,
            Err(ClientError::Http {
                status: 409,
                message: words.clone(),
            }),
        ),
        t,
    );
    assert_eq!(app.message.unwrap().text, words, "the server's words");
}

#[test]
fn call_on_a_list_already_dialed_says_so_and_asks_nobody() {
    for statuses in [&DIALING[..], &[Status::Completed; 9]] {
        let (mut app, t) = app_with(statuses, true);
        assert_eq!(app.update(key(KeyCode::Char('c')), t), None);
        let m = app.message.unwrap();
        assert!(m.is_error, "{m:?}");
        assert_eq!(
            m.text,
            "dialing has already started; the list is dialed once per data directory"
        );
    }
}

#[test]
fn call_before_the_first_poll_explains_itself() {
    let t = Instant::now();
    let mut app = App::new(
        Mode::Remote { url: "x".into() },
        true,
        Duration::from_millis(250),
        t,
    );
    assert_eq!(app.button(), Button::Waiting);
    assert_eq!(app.update(key(KeyCode::Char('c')), t), None);
    assert!(app.message.unwrap().is_error);
}

#[test]
fn the_connection_state_follows_the_polls() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    assert_eq!(app.connection, Connection::Live);
    let down = ClientError::Refused;
    app.update(Event::Polled(Err(down.clone())), t + Duration::from_secs(1));
    app.update(Event::Polled(Err(down)), t + Duration::from_secs(3));
    match &app.connection {
        Connection::Failing { since, error } => {
            assert_eq!(
                *since,
                t + Duration::from_secs(1),
                "since the first failure"
            );
            assert_eq!(*error, ClientError::Refused);
        }
        other => panic!("{other:?}"),
    }
    assert!(app.statuses.is_some(), "the last known table stays");
    app.update(
        Event::Polled(Ok(snapshot(&[Status::Idle; 9], false))),
        t + Duration::from_secs(4),
    );
    assert_eq!(app.connection, Connection::Live);
    assert_eq!(app.message.unwrap().text, "server is back");
}

#[test]
fn deltas_merge_and_304s_keep_the_connection_live() {
    let (mut app, t) = app_with(&[Status::Idle; 9], true);
    let mut delta = snapshot(&[Status::Idle; 9], true);
    delta.since = Some(1);
    delta.version = 2;
    delta.calls = vec![snapshot(&[Status::Ringing], true).calls[0].clone()];
    app.update(Event::Polled(Ok(delta)), t);
    let s = app.statuses.as_ref().unwrap();
    assert_eq!((s.version, s.calls.len()), (2, 9));
    assert_eq!(s.calls[0].status, Status::Ringing);
    assert_eq!(s.calls[1].status, Status::Idle);
    // Quiet for longer than a long poll, but the server said "unchanged".
    let later = t + app.expected_gap + Duration::from_secs(5);
    app.update(Event::Unchanged, later);
    assert_eq!(app.stale_for(), None);
    assert_eq!(app.last_ok, Some(later));
}

#[test]
fn staleness_and_ages_use_both_clocks() {
    let (mut app, t) = app_with(&[Status::Ringing; 9], true);
    let call = app.calls()[0].clone();
    assert_eq!(app.age(&call), Some(Duration::from_millis(2_500)));
    assert_eq!(app.stale_for(), None);
    app.update(Event::Tick, t + Duration::from_secs(3));
    assert_eq!(app.age(&call), Some(Duration::from_millis(5_500)));
    assert_eq!(app.stale_for(), Some(Duration::from_secs(3)));
}

#[test]
fn ages_and_countdowns_count_on_across_unchanged_polls_and_never_run_back() {
    let (mut app, t) = app_with(&[Status::Completed; 9], true);
    let mut call = app.calls()[0].clone();
    call.retry_at = Some(Timestamp(100_000));
    let mut last = Duration::ZERO;
    for s in 1..=4 {
        // A long poll ends with "unchanged" every 25 s.
        let at = t + Duration::from_secs(25 * s);
        app.update(Event::Unchanged, at);
        let age = app.age(&call).unwrap();
        assert_eq!(age, Duration::from_millis(2_500 + 25_000 * s));
        assert!(age > last);
        last = age;
        assert_eq!(
            app.retry_in(&call),
            Some(Duration::from_millis(87_500).saturating_sub(Duration::from_secs(25 * s)))
        );
    }
    // A full answer whose server clock reads a little behind this
    // screen's estimate (the answer's travel time): nothing runs back.
    let at = t + Duration::from_secs(101);
    let mut s = snapshot(&[Status::Completed; 9], true);
    s.now = Timestamp(12_500 + 100_900);
    app.update(Event::Polled(Ok(s)), at);
    assert_eq!(app.age(&call), Some(Duration::from_millis(2_500 + 101_000)));
    // The server's clock stepped back for good: believed.
    let mut s = snapshot(&[Status::Completed; 9], true);
    s.now = Timestamp(20_000);
    app.update(Event::Polled(Ok(s)), at);
    assert_eq!(app.age(&call), Some(Duration::from_millis(10_000)));
}

#[test]
fn keys_move_the_selection_within_the_list() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.update(key(KeyCode::Up), t);
    assert_eq!(app.selected, 0);
    app.update(key(KeyCode::Down), t);
    app.update(key(KeyCode::Char('j')), t);
    assert_eq!(app.selected, 2);
    app.update(key(KeyCode::End), t);
    assert_eq!(app.selected, 8);
    app.update(key(KeyCode::Down), t);
    assert_eq!(app.selected, 8);
    app.update(key(KeyCode::Home), t);
    assert_eq!(app.selected, 0);
}

#[test]
fn enter_opens_the_history_and_escape_closes_it() {
    let (mut app, t) = app_with(&[Status::Completed; 9], true);
    app.update(key(KeyCode::Down), t);
    assert_eq!(
        app.update(key(KeyCode::Enter), t),
        Some(Command::FetchCampaignDetail(1, 1))
    );
    assert_eq!(
        app.overlay,
        Overlay::History {
            index: 1,
            detail: Detail::Loading
        }
    );
    app.update(Event::Detail(1, Err(ClientError::TimedOut)), t);
    assert!(
        matches!(&app.overlay, Overlay::History { detail: Detail::Failed(e), .. } if e.contains("timed out"))
    );
    app.update(key(KeyCode::Esc), t);
    assert_eq!(app.overlay, Overlay::None);
    assert!(!app.quit, "Esc closed the overlay only");
    app.update(key(KeyCode::Char('?')), t);
    assert_eq!(app.overlay, Overlay::Help);
}

#[test]
fn q_and_ctrl_c_quit_and_esc_never_does() {
    for ev in [
        key(KeyCode::Char('q')),
        Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
    ] {
        let (mut app, t) = app_with(&[Status::Idle; 9], false);
        assert_eq!(app.update(ev, t), None, "Ctrl-C is not a Call");
        assert!(app.quit);
    }
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    assert_eq!(app.update(key(KeyCode::Esc), t), None);
    assert!(!app.quit, "Esc is the reflex after a popup: it never quits");
}

#[test]
fn clicks_press_the_button_and_select_rows() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.update(Event::Resize(80, 24), t);
    let areas = app.areas();
    assert_eq!(
        app.update(click(areas.table.x + 5, areas.table.y + 2 + 3), t),
        None
    );
    assert_eq!(app.selected, 3);
    assert_eq!(
        app.update(click(areas.button.x + 2, areas.button.y), t),
        Some(Command::Operate(1, Operation::Start))
    );
}

#[test]
fn every_key_in_the_table_does_its_action() {
    for (action, bound) in keys::MAIN.iter().flat_map(|row| row.bindings) {
        for key in *bound {
            let (mut pressed, t) = app_with(&[Status::Idle; 9], false);
            pressed.selected = 4;
            let mut performed = pressed.clone();
            let command = pressed.update(Event::Key(key.event()), t);
            assert_eq!(command, performed.perform(*action), "{key:?}");
            assert_eq!(
                (pressed.selected, &pressed.overlay, pressed.quit),
                (performed.selected, &performed.overlay, performed.quit),
                "{key:?} does {action:?}"
            );
        }
    }
    for (action, bound) in keys::POPUP {
        for key in *bound {
            let (mut app, t) = app_with(&[Status::Idle; 9], false);
            app.overlay = Overlay::Help;
            app.update(Event::Key(key.event()), t);
            match action {
                Action::Close => assert!(app.overlay == Overlay::None && !app.quit, "{key:?}"),
                Action::Up | Action::Down | Action::PageUp | Action::PageDown => {
                    assert!(app.overlay == Overlay::Help && !app.quit, "{key:?}")
                }
                _ => assert!(app.quit, "{key:?}"),
            }
        }
    }
    for choice in keys::QUIT_PROMPT {
        let (action, bound) = choice.binding;
        for key in bound {
            let (mut app, t) = app_with(&DIALING, true);
            app.overlay = Overlay::QuitPrompt;
            app.update(Event::Key(key.event()), t);
            match action {
                Action::ConfirmQuit => assert!(app.quit, "{key:?}"),
                _ => assert!(app.overlay == Overlay::None && !app.quit, "{key:?}"),
            }
        }
    }
}

#[test]
fn the_wheel_moves_the_selection_even_under_a_popup() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.overlay = Overlay::Help;
    let wheel = |kind| {
        Event::Mouse(MouseEvent {
            kind,
            column: 0,
            row: 0,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.update(wheel(MouseEventKind::ScrollDown), t);
    app.update(wheel(MouseEventKind::ScrollDown), t);
    app.update(wheel(MouseEventKind::ScrollUp), t);
    assert_eq!((app.selected, &app.overlay), (1, &Overlay::Help));
}

#[test]
fn quitting_with_calls_in_flight_asks_first_in_embedded_mode() {
    let ctrl_c = Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    for mode in [embedded(Some("~/d"), false), embedded(None, true)] {
        let (mut app, t) = app_in(mode, &DIALING, true);
        assert_eq!(app.in_flight(), 3);
        for ask in [key(KeyCode::Char('q')), ctrl_c.clone()] {
            app.update(ask, t);
            assert_eq!((&app.overlay, app.quit), (&Overlay::QuitPrompt, false));
            for habit in [
                key(KeyCode::Char('q')),
                ctrl_c.clone(),
                key(KeyCode::Char('c')),
            ] {
                app.update(habit, t);
                assert_eq!((&app.overlay, app.quit), (&Overlay::QuitPrompt, false));
            }
            app.update(key(KeyCode::Char('n')), t);
            assert_eq!((&app.overlay, app.quit), (&Overlay::None, false));
        }
        app.update(key(KeyCode::Char('?')), t);
        app.update(key(KeyCode::Char('q')), t);
        assert_eq!(app.overlay, Overlay::QuitPrompt, "from under a popup too");
        app.update(click(1, 1), t);
        assert_eq!(
            (&app.overlay, app.quit),
            (&Overlay::None, false),
            "a click cancels"
        );
        app.update(key(KeyCode::Char('q')), t);
        app.update(key(KeyCode::Char('y')), t);
        assert!(app.quit);
    }
}

#[test]
fn quitting_asks_nothing_when_it_cuts_no_call_off() {
    let remote = Mode::Remote {
        url: "https://vps:3000".into(),
    };
    let (mut app, t) = app_in(remote, &DIALING, true);
    app.update(key(KeyCode::Char('q')), t);
    assert!(app.quit, "a remote server keeps dialing");
    let (mut app, t) = app_in(embedded(Some("~/d"), false), &[Status::Completed; 9], true);
    app.update(key(KeyCode::Char('q')), t);
    assert!(app.quit, "nothing in flight");
}

#[test]
fn quitting_while_dialing_starts_asks_too() {
    let (mut app, t) = app_in(embedded(Some("~/d"), false), &[Status::Idle; 9], false);
    app.update(key(KeyCode::Char('c')), t);
    assert_eq!(app.in_flight(), 0);
    app.update(key(KeyCode::Char('q')), t);
    assert_eq!((&app.overlay, app.quit), (&Overlay::QuitPrompt, false));
}
