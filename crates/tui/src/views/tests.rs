//! Buffer tests: the screen drawn into a `TestBackend`, read back as text
//! and styles.

use super::*;
use crate::app::tests::{DIALING, app_in, app_with, embedded, snapshot};
use crate::app::{App, Event};
use crate::keys;
use crate::theme::Theme;
use numdialer_core::Status;
use numdialer_core::api::{EventKind, LenientCall};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::{Color, Modifier, Style};
use std::time::Instant;

pub(crate) fn render(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app)).unwrap();
    t.backend().buffer().clone()
}

pub(crate) fn lines(b: &Buffer) -> Vec<String> {
    (0..b.area.height)
        .map(|y| (0..b.area.width).map(|x| b[(x, y)].symbol()).collect())
        .collect()
}

/// The style of the first cell of `word` on the row that contains `row_text`.
pub(crate) fn style_of(b: &Buffer, row_text: &str, word: &str) -> Style {
    let ls = lines(b);
    let y = ls
        .iter()
        .position(|l| l.contains(row_text))
        .unwrap_or_else(|| panic!("{row_text:?} not on screen"));
    let x = ls[y].find(word).unwrap();
    let col = ls[y][..x].chars().count() as u16;
    b[(col, y as u16)].style()
}

#[test]
fn nine_idle_rows_and_an_enabled_button_before_call() {
    let (app, _) = app_with(&[Status::Idle; 9], false);
    let b = render(&app, 80, 24);
    let ls = lines(&b);
    assert_eq!(
        ls.iter().filter(|l| l.contains(" idle ")).count(),
        9,
        "{ls:#?}"
    );
    assert!(
        ls[0].contains(" numdialer · embedded · simulator · temporary store · ● live")
            && ls[0].contains("● live")
            && ls[0].contains("lines 0/3")
    );
    assert!(
        ls.iter()
            .any(|l| l.contains("+1 858-221-0308") && l.contains("18582210308"))
    );
    assert!(
        ls.iter()
            .any(|l| l.contains("0 of 9 finished") && l.contains("[ Call ] press c"))
    );
    let s = style_of(&b, "[ Call ]", "[ Call ]");
    assert!(
        s.add_modifier.contains(Modifier::REVERSED),
        "enabled looks pressed-able"
    );
}

#[test]
fn the_button_is_disabled_and_labelled_after_start() {
    let (app, _) = app_with(&[Status::Completed, Status::Ringing, Status::Dialing], true);
    let b = render(&app, 80, 24);
    assert!(
        lines(&b)
            .iter()
            .any(|l| l.contains("[ Call ] dialing…") && l.contains("1 of 3 finished"))
    );
    let s = style_of(&b, "[ Call ]", "[ Call ]");
    assert!(!s.add_modifier.contains(Modifier::REVERSED));
    let (done, _) = app_with(&[Status::Completed; 9], true);
    let b = render(&done, 80, 24);
    assert!(
        lines(&b)
            .iter()
            .any(|l| l.contains("[ Call ] done") && l.contains("9 of 9 finished"))
    );
}

#[test]
fn each_status_has_its_colour_and_its_word() {
    let (app, _) = app_with(&Status::ALL, true);
    let b = render(&app, 80, 24);
    let expect = [
        (Status::Idle, Some(Color::DarkGray)),
        (Status::Dialing, Some(Color::Blue)),
        (Status::Ringing, Some(Color::Yellow)),
        (Status::Answered, Some(Color::Green)),
        (Status::Completed, Some(Color::Reset)),
        (Status::Failed, Some(Color::Red)),
    ];
    for (i, (s, color)) in expect.into_iter().enumerate() {
        let row = format!("{:>3}  +1", i);
        let style = style_of(&b, &row, &format!(" {s}")[1..]);
        assert_eq!(style.fg, color, "{s}");
    }
    assert!(
        style_of(&b, "  4  +1", "completed")
            .add_modifier
            .contains(Modifier::BOLD)
    );
    // Dialing has no id yet; the others show theirs.
    let ls = lines(&b);
    assert!(ls.iter().any(|l| l.contains("dialing") && l.contains("—")));
    assert!(
        ls.iter()
            .any(|l| l.contains("ringing") && l.contains("1002") && l.contains("2.5 s"))
    );
}

#[test]
fn no_color_keeps_the_words_and_drops_the_colours() {
    let (mut app, _) = app_with(&Status::ALL, true);
    app.theme = Theme::PLAIN;
    let b = render(&app, 80, 24);
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            let c = &b[(x, y)];
            assert!(
                c.fg == Color::Reset && c.bg == Color::Reset,
                "colour at {x},{y}: {c:?}"
            );
        }
    }
    for s in Status::ALL {
        assert!(lines(&b).iter().any(|l| l.contains(s.as_str())), "{s}");
    }
}

#[test]
fn narrow_terminals_keep_the_essentials() {
    let (app, _) = app_with(&[Status::Answered; 9], true);
    let b = render(&app, 44, 16);
    let ls = lines(&b);
    assert!(!ls.iter().any(|l| l.contains("Digits")), "{ls:#?}");
    assert!(
        ls.iter()
            .any(|l| l.contains("+1 301-804-0009") && l.contains("answered"))
    );
    assert!(ls.iter().any(|l| l.contains("[ Call ]")));
    // The selection stays visible when the table scrolls.
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.update(Event::Resize(44, 10), t);
    app.selected = 8;
    let ls = lines(&render(&app, 44, 10));
    assert!(
        ls.iter().any(|l| l.contains('›') && l.contains("  8  ")),
        "{ls:#?}"
    );
    for (w, h) in [(20, 6), (1, 1), (200, 60)] {
        render(&app, w, h);
    }
}

#[test]
fn the_header_says_when_the_server_is_unreachable() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    let e = crate::client::ClientError::Refused;
    app.update(Event::Polled(Err(e)), t);
    app.update(Event::Tick, t + std::time::Duration::from_secs(4));
    let ls = lines(&render(&app, 80, 24));
    assert!(
        ls[0].contains("✕ connection refused, retrying (4 s)"),
        "{}",
        ls[0]
    );
    assert_eq!(
        ls.iter().filter(|l| l.contains(" idle ")).count(),
        9,
        "the last table stays"
    );
}

#[test]
fn the_header_says_when_the_servers_store_fails() {
    let (mut app, t) = app_with(&[Status::Completed, Status::Ringing, Status::Idle], true);
    let mut s = snapshot(&[Status::Completed, Status::Ringing, Status::Idle], true);
    s.degraded = Some("store: flush failed: No space left on device".into());
    app.update(Event::Polled(Ok(s)), t);
    let b = render(&app, 120, 24);
    let ls = lines(&b);
    assert!(
        ls[0].contains("▲ store failing, dialing paused: store: flush failed: No space left"),
        "{}",
        ls[0]
    );
    let style = style_of(&b, "store failing", "store failing");
    assert_eq!(style.fg, app.theme.error.fg);
    assert!(
        ls.iter().any(|l| l.contains(" ringing ")),
        "the table stays"
    );
}

#[test]
fn the_history_popup_lists_events() {
    let (mut app, t) = app_with(&[Status::Completed; 9], true);
    app.update(
        Event::Key(ratatui::crossterm::event::KeyEvent::from(
            ratatui::crossterm::event::KeyCode::Enter,
        )),
        t,
    );
    let detail = numdialer_core::api::LenientDetail {
        call: snapshot(&[Status::Completed], true).calls[0].clone(),
        dialed_at: Some(numdialer_core::Timestamp(10_000)),
        history: vec![numdialer_core::api::Event {
            at: numdialer_core::Timestamp(10_000),
            kind: EventKind::Webhook {
                id: 1000.into(),
                reported: numdialer_core::CallEvent::Ringing,
            },
            applied: false,
            note: Some("entry is already completed".into()),
            attempt: 1,
        }],
        events_dropped: 0,
    };
    app.update(Event::Detail(0, Ok(detail)), t);
    let ls = lines(&render(&app, 80, 24));
    assert!(ls.iter().any(|l| l.contains("Entry 0 · +1 301-804-0009")));
    assert!(
        ls.iter()
            .any(|l| l.contains("webhook ringing (id 1000)") && l.contains("ignored")),
        "{ls:#?}"
    );
    let _ = Instant::now();
}

#[test]
fn the_footer_and_the_help_come_from_the_key_table() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    let ls = lines(&render(&app, 80, 24));
    assert_eq!(ls[23].trim_end(), keys::footer(80));
    assert_eq!(
        ls[23].trim_end(),
        " c call · n new · p pause · s stop · e export · / filter · ? help · q quit"
    );
    assert!(ls.iter().any(|l| l.contains("[ Call ] press c")));
    app.update(
        Event::Key(ratatui::crossterm::event::KeyEvent::from(
            ratatui::crossterm::event::KeyCode::Char('?'),
        )),
        t,
    );
    let ls = lines(&render(&app, 80, 24));
    assert!(ls.iter().any(|l| l.contains("┌ Help · Esc to close ")));
    for help in keys::help_lines() {
        assert!(ls.iter().any(|l| l.contains(&help)), "{help:?}: {ls:#?}");
    }
}

#[test]
fn no_color_keeps_the_emphasis_of_the_colour_theme() {
    let (app, _) = app_with(&Status::ALL, false);
    let mut plain = app.clone();
    plain.theme = Theme::PLAIN;
    let (colour, plain) = (render(&app, 80, 24), render(&plain, 80, 24));
    assert_eq!(lines(&colour), lines(&plain), "the same words");
    for s in [Status::Completed, Status::Failed] {
        let row = format!(
            "{:>3}  +1",
            Status::ALL.iter().position(|&x| x == s).unwrap()
        );
        let style = style_of(&plain, &row, s.as_str());
        assert!(style.add_modifier.contains(Modifier::BOLD), "{s}");
    }
    let idle = style_of(&plain, "  0  +1", "idle");
    assert!(!idle.add_modifier.contains(Modifier::BOLD));
    let button = style_of(&plain, "[ Call ]", "[ Call ]");
    assert!(
        button
            .add_modifier
            .contains(Modifier::BOLD | Modifier::REVERSED)
    );
    let selected = style_of(&plain, "›", "›");
    assert!(selected.add_modifier.contains(Modifier::REVERSED));
}

#[test]
fn a_scrolled_table_shows_the_same_rows_as_before_the_window() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.update(Event::Resize(44, 10), t);
    app.selected = 8;
    let ls = lines(&render(&app, 44, 10));
    assert_eq!(
        ls[1..7],
        [
            "┌ Calls · 9 ───────────────────────────────┐",
            "│ #    Number          Status    In status │",
            "│   6  +1 984-206-8287 idle                │",
            "│   7  +1 551-245-9377 idle                │",
            "│›  8  +1 936-207-2765 idle                │",
            "└──────────────────────────────────────────┘",
        ]
    );
}

#[test]
fn a_million_entries_draw_only_the_rows_on_screen() {
    const N: usize = 1_000_000;
    let marked = 777_777;
    let mut s = snapshot(&[Status::Idle], true);
    let idle = s.calls[0].clone();
    s.calls = (0..N)
        .map(|index| LenientCall {
            index,
            status: if index == marked {
                Status::Failed
            } else {
                Status::Idle
            }
            .into(),
            ..idle.clone()
        })
        .collect();
    let t = Instant::now();
    let mut app = App::new(
        crate::mode::Mode::Remote { url: "big".into() },
        true,
        std::time::Duration::from_secs(1),
        t,
    );
    app.update(Event::Polled(Ok(s)), t);
    app.selected = marked;
    let ls = lines(&render(&app, 80, 24));
    assert!(ls[1].contains("Calls · 1000000"), "{}", ls[1]);
    let shown: Vec<&String> = ls
        .iter()
        .filter(|l| l.contains("+1 301-804-0009"))
        .collect();
    assert_eq!(shown.len(), 17, "{ls:#?}");
    assert!(
        shown[16].contains('›') && shown[16].contains("failed"),
        "the selected entry is the last row shown: {ls:#?}"
    );
    assert!(ls.iter().any(|l| l.contains("1 of 1000000 finished")));
}

#[test]
fn ages_are_precise_while_short() {
    use std::time::Duration;
    assert_eq!(calls::format_age(Duration::from_millis(2_500)), "2.5 s");
    assert_eq!(calls::format_age(Duration::from_secs(187)), "3m 07s");
    assert_eq!(calls::format_age(Duration::from_secs(3_720)), "1h 02m");
}

/// The text inside the popup titled `title`, line by line, trimmed.
fn popup_text(b: &Buffer, title: &str) -> Vec<String> {
    let ls = lines(b);
    let top = ls
        .iter()
        .position(|l| l.contains(&format!("┌{title}")))
        .unwrap_or_else(|| panic!("no popup {title:?}: {ls:#?}"));
    let row = |y: usize| ls[y].chars().collect::<Vec<_>>();
    let left = row(top).iter().position(|&c| c == '┌').unwrap();
    let right = left + row(top)[left..].iter().position(|&c| c == '┐').unwrap();
    (top + 1..ls.len())
        .map(row)
        .take_while(|r| r[left] != '└')
        .map(|r| {
            r[left + 1..right]
                .iter()
                .collect::<String>()
                .trim()
                .to_string()
        })
        .collect()
}

#[test]
fn the_quit_prompt_says_how_many_calls_and_what_quitting_does() {
    let (mut app, t) = app_in(
        embedded(Some("~/.local/share/numdialer"), false),
        &DIALING,
        true,
    );
    app.update(Event::Key(KeyEvent::from(KeyCode::Char('q'))), t);
    let b = render(&app, 80, 24);
    assert_eq!(
        popup_text(&b, " Quit? "),
        [
            "3 calls in flight.",
            "",
            "Quitting stops the embedded server: their status updates are",
            "lost, and after a restart they end as failed by timeout",
            "(60\u{a0}s). Nobody is dialed twice: the list resumes where it",
            "is.",
            "",
            "y quit · n keep dialing",
        ]
    );
    assert!(
        style_of(&b, "3 calls in flight", "3 calls")
            .add_modifier
            .contains(Modifier::BOLD)
    );

    let (mut throwaway, t) = app_in(embedded(None, false), &DIALING, true);
    throwaway.update(Event::Key(KeyEvent::from(KeyCode::Char('q'))), t);
    let said = popup_text(&render(&throwaway, 80, 24), " Quit? ").join(" ");
    assert!(
        said.contains(
            "the store is temporary: a new run starts the list over and dials these people again"
        ),
        "{said}"
    );

    let narrow = popup_text(&render(&app, 40, 10), " Quit? ");
    assert_eq!(narrow[0], "3 calls in flight.");
    assert_eq!(
        narrow.last().unwrap(),
        "y quit · n keep dialing",
        "the way out stays on screen: {narrow:#?}"
    );
    for (w, h) in [(30, 8), (1, 1), (200, 60)] {
        render(&app, w, h);
    }
}

#[test]
fn the_header_says_where_the_data_lives() {
    let (app, _) = app_in(
        embedded(Some("~/.local/share/numdialer"), false),
        &DIALING,
        true,
    );
    let ls = lines(&render(&app, 80, 24));
    assert!(
        ls[0].starts_with(" numdialer · embedded · data in ~/.local/share/numdialer · ● live ")
            && ls[0].ends_with(" lines 3/3 "),
        "{}",
        ls[0]
    );
    assert!(ls[1].starts_with("┌ Calls · 9"), "no warning line: {ls:#?}");
    let long = "/srv/dialer/customers/2026/november/a-very-long-campaign-name/numdialer";
    let (app, _) = app_in(embedded(Some(long), false), &DIALING, true);
    let first = lines(&render(&app, 80, 24))[0].clone();
    assert!(
        first.contains("data in …") && first.contains("name/numdialer · ● live"),
        "the path gives way from its start, the state stays: {first}"
    );
}

#[test]
fn warnings_stay_under_the_header_and_the_list_stays_whole() {
    let mut mode = embedded(None, false);
    if let crate::mode::Mode::Embedded(e) = &mut mode {
        e.in_ssh = true;
    }
    let (app, _) = app_in(mode, &DIALING, true);
    let b = render(&app, 80, 24);
    let ls = lines(&b);
    assert!(
        ls[0].contains("embedded · temporary store · ● live"),
        "{}",
        ls[0]
    );
    assert_eq!(
        ls[1..4].iter().map(|l| l.trim_end()).collect::<Vec<_>>(),
        [
            " ⚠ Inside SSH: dialing stops when this session ends. To dial unattended, run",
            "   numdialer-server; see \"The TUI over SSH\" in docs/operations.md.",
            " ⚠ Temporary store: quit, and a new run dials the whole list again.",
        ]
    );
    assert_eq!(style_of(&b, "Inside SSH", "Inside").fg, Some(Color::Yellow));
    assert!(ls[4].starts_with("┌ Calls · 9"), "{ls:#?}");
    assert_eq!(
        ls.iter().filter(|l| l.contains("+1 ")).count(),
        9,
        "{ls:#?}"
    );
}

#[test]
fn numbers_and_call_ids_are_whole_or_absent_at_every_size() {
    let sid = "CA0123456789abcdef0123456789abcdef";
    assert_eq!(sid.len(), 34);
    let long = "861380013800012";
    for (w, h) in [(50, 12), (80, 24), (200, 50)] {
        let (mut app, t) = app_with(&[Status::Completed; 9], true);
        if let Some(s) = &mut app.statuses {
            s.calls[0].phone = long.into();
            s.calls[0].id = Some(numdialer_core::call::CallId::Text(sid.into()));
            s.calls[0].outcome = Some(numdialer_core::Outcome::NoAnswer.into());
            s.calls[1].name = Some("Ann Example".into());
        }
        let mut with_names = snapshot(&[Status::Completed; 9], true);
        with_names.calls = app.calls().to_vec();
        app.update(Event::Polled(Ok(with_names)), t);
        let shown = lines(&render(&app, w, h));
        let text = shown.join("\n");
        let row = shown
            .iter()
            .find(|l| l.contains("completed"))
            .unwrap_or_else(|| panic!("no row at {w}×{h}:\n{text}"));
        let number = numdialer_core::format_phone(long);
        assert!(row.contains(&number), "{number} cut at {w}×{h}:\n{text}");
        if text.contains("Call id") {
            assert!(row.contains(sid), "the id cut at {w}×{h}:\n{text}");
        }
        if w >= 200 {
            assert!(row.contains(sid), "room for the id at {w}×{h}:\n{text}");
            assert!(
                text.contains("Name") && text.contains("Ann Example"),
                "{text}"
            );
        }
        for tiny in [(20, 5), (1, 1)] {
            render(&app, tiny.0, tiny.1);
        }
        let tiny = lines(&render(&app, 20, 5)).join("\n");
        assert!(tiny.contains("  1"), "rows at 20×5:\n{tiny}");
    }
}

#[test]
fn the_help_scrolls_where_it_does_not_fit() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.update(Event::Resize(50, 12), t);
    app.update(Event::Key(KeyEvent::from(KeyCode::Char('?'))), t);
    let last = "never dialed: its campaign";
    let first = lines(&render(&app, 50, 12)).join("\n");
    assert!(first.contains("↑↓ scroll"), "{first}");
    assert!(!first.contains(last), "{first}");
    for _ in 0..crate::views::HELP_LINES {
        app.update(Event::Key(KeyEvent::from(KeyCode::Down)), t);
    }
    let scrolled = lines(&render(&app, 50, 12)).join("\n");
    assert!(scrolled.contains(last), "{scrolled}");
    app.update(Event::Key(KeyEvent::from(KeyCode::Esc)), t);
    assert!(!app.quit);
}

/// Entries held until their calling hours open are told from retries, in
/// the table and in the history popup, with the callee's own clock.
#[test]
fn an_entry_held_for_its_calling_hours_says_so_and_when_it_opens() {
    let (mut app, t) = app_with(&[Status::Waiting, Status::Waiting], true);
    let mut s = snapshot(&[Status::Waiting, Status::Waiting], true);
    // 2026-12-02 12:00 UTC: 07:00 in New York, opening at 08:00.
    let noon = numdialer_core::Timestamp(1_796_212_800_000);
    s.now = noon;
    for c in &mut s.calls {
        c.retry_at = Some(noon.plus_millis(3_600_000));
        c.updated_at = Some(noon);
    }
    s.calls[0].held = true;
    s.calls[0].timezones = vec!["America/New_York".into()];
    s.calls[0].reason = Some(
        "outside calling hours 08:00–21:00 America/New_York until 2026-12-02 08:00 EST".into(),
    );
    app.update(Event::Polled(Ok(s.clone())), t);
    let b = render(&app, 100, 24);
    let ls = lines(&b);
    let held = ls.iter().find(|l| l.contains("  0  +1")).unwrap();
    assert!(
        held.contains("waiting · hours") && held.contains("opens in 1h"),
        "{held}"
    );
    let retry = ls.iter().find(|l| l.contains("  1  +1")).unwrap();
    assert!(
        !retry.contains("hours") && retry.contains("retry in 1h"),
        "{retry}"
    );
    assert_eq!(
        style_of(&b, "  0  +1", "waiting").fg,
        Some(Color::LightBlue)
    );
    assert_eq!(style_of(&b, "  1  +1", "waiting").fg, Some(Color::Magenta));

    app.update(Event::Key(KeyEvent::from(KeyCode::Enter)), t);
    let detail = numdialer_core::api::LenientDetail {
        call: s.calls[0].clone(),
        dialed_at: None,
        history: Vec::new(),
        events_dropped: 0,
    };
    app.update(Event::Detail(0, Ok(detail)), t);
    let ls = lines(&render(&app, 100, 30));
    assert!(
        ls.iter().any(|l| l
            .contains("local time at the callee Wednesday 07:00 EST in America/New_York")),
        "{ls:#?}"
    );
}

#[test]
fn a_machine_says_so_beside_completed_with_its_voicemail() {
    let (mut app, t) = app_with(&[Status::Completed; 3], true);
    let mut s = snapshot(&[Status::Completed; 3], true);
    s.calls[0].outcome = Some(numdialer_core::Outcome::Machine.into());
    s.calls[0].answered_by = Some("machine".into());
    s.calls[0].voicemail_left = true;
    s.calls[1].outcome = Some(numdialer_core::Outcome::Machine.into());
    s.calls[2].outcome = Some(numdialer_core::Outcome::Answered.into());
    app.update(Event::Polled(Ok(s)), t);
    let b = render(&app, 120, 20);
    let text = lines(&b).join("\n");
    assert!(
        text.contains("completed · machine · voicemail left"),
        "{text}"
    );
    assert!(text.contains("completed · machine "), "{text}");
    assert!(text.contains("completed · answered"), "{text}");
    let row = "machine · voicemail left";
    assert_eq!(
        style_of(&b, row, "machine").fg,
        Theme::COLOR.statuses.machine.fg,
        "a machine has its own colour"
    );
    // Too narrow for the voicemail: the outcome stays.
    let narrow = lines(&render(&app, 60, 20)).join("\n");
    assert!(narrow.contains("completed · machine"), "{narrow}");
    assert!(!narrow.contains("voicemail left"), "{narrow}");
}
