//! Buffer tests of the campaigns pane, its prompts and questions, the
//! filter and the outcomes, on a narrow, a middling and a wide terminal.

use super::tests::{lines, render, style_of};
use crate::app::campaign_tests::{app_on_two, campaign_snapshot, list, summary};
use crate::app::{App, Event, ImportErrors, Overlay};
use crate::theme::Theme;
use numdialer_core::Status;
use numdialer_core::api::{LenientCall, LineError};
use numdialer_core::campaign::CampaignState;
use numdialer_core::status::Outcome;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use std::time::Instant;

const MIXED: [Status; 5] = [
    Status::Completed,
    Status::Ringing,
    Status::Idle,
    Status::Waiting,
    Status::Canceled,
];

/// Campaign 2 running with every kind of entry; the first completed
/// without an answer.
fn running() -> (App, Instant) {
    let (mut app, t) = app_on_two(CampaignState::Running, &MIXED);
    if let Some(s) = &mut app.statuses {
        s.calls[0].outcome = Some(Outcome::NoAnswer.into());
        s.calls[3].retry_at = Some(numdialer_core::Timestamp(s.now.0 + 95_000));
    }
    (app, t)
}

fn press(app: &mut App, code: KeyCode, t: Instant) {
    app.update(Event::Key(KeyEvent::from(code)), t);
}

fn trimmed(ls: &[String]) -> Vec<&str> {
    ls.iter().map(|l| l.trim_end()).collect()
}

#[test]
fn the_pane_goes_above_the_calls_on_a_narrow_terminal() {
    let (app, _) = running();
    let ls = lines(&render(&app, 60, 20));
    assert_eq!(ls[1].trim_end(), " calling hours off", "{ls:#?}");
    assert_eq!(
        trimmed(&ls[2..7]),
        [
            "┌▶ Campaigns · 2 ──────────────────────────────────────────┐",
            "│ #   Name         State   Progress        Ans/No/Fail/Canc│",
            "│   1 numbers      done    ██████████ 100% 9/0/0/0         │",
            "│›  2 leads        running ████░░░░░░  40% 1/0/0/1         │",
            "└──────────────────────────────────────────────────────────┘",
        ]
    );
    assert!(ls[7].starts_with("┌ Calls · #2 leads · 5 "), "{ls:#?}");
    assert!(
        ls[9].contains("completed · no answer") && !ls[8].contains("Call id"),
        "the outcome takes the call id's room: {ls:#?}"
    );
    assert_eq!(
        ls[19].trim_end(),
        " c call · n new · p pause · s stop · ? help · q quit"
    );
}

#[test]
fn the_pane_stands_beside_the_calls_on_a_wide_terminal() {
    let (app, _) = running();
    let ls = lines(&render(&app, 200, 50));
    assert_eq!(ls[1].trim_end(), " calling hours off");
    assert!(
        ls[2].starts_with("┌▶ Campaigns · 2 ") && ls[2].contains("┐┌ Calls · #2 leads · 5 "),
        "{}",
        ls[2]
    );
    assert!(ls[3].contains("Answ  NoAns Fail  Canc  Tries"), "{}", ls[3]);
    assert!(
        ls[4].contains("numbers") && ls[4].contains("done") && ls[4].contains("100%"),
        "{}",
        ls[4]
    );
    assert!(
        ls[5].contains("› ") && ls[5].contains("leads") && ls[5].contains(" 40%"),
        "{}",
        ls[5]
    );
    assert!(
        ls[4].contains("completed · no answer") && ls[4].contains("13018040009"),
        "every column of the calls fits beside: {}",
        ls[4]
    );
    assert!(ls[49].contains("⏎ history · d delete · x never call · ? help · q quit"));
}

#[test]
fn states_and_statuses_have_their_colours_and_keep_their_words_without() {
    let (app, _) = running();
    let b = render(&app, 80, 24);
    assert_eq!(style_of(&b, "  2 leads", "running").fg, Some(Color::Green));
    assert_eq!(style_of(&b, "  1 numbers", "done").fg, Some(Color::Reset));
    assert!(
        style_of(&b, "  1 numbers", "done")
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert_eq!(style_of(&b, "  3  +1", "waiting").fg, Some(Color::Magenta));
    assert_eq!(
        style_of(&b, "  4  +1", "canceled").fg,
        Some(Color::DarkGray)
    );
    assert_eq!(style_of(&b, "  0  +1", "no answer").fg, Some(Color::Yellow));
    assert_eq!(
        style_of(&b, "Campaigns · 2", "─").fg,
        Some(Color::Cyan),
        "the focused pane's border"
    );

    let mut plain = app.clone();
    plain.theme = Theme::PLAIN;
    let p = render(&plain, 80, 24);
    assert_eq!(lines(&p), lines(&b), "the same words");
    for y in 0..p.area.height {
        for x in 0..p.area.width {
            let c = &p[(x, y)];
            assert!(
                c.fg == Color::Reset && c.bg == Color::Reset,
                "colour at {x},{y}: {c:?}"
            );
        }
    }
    for (row, word) in [("  1 numbers", "done"), ("  4  +1", "canceled")] {
        assert!(
            style_of(&p, row, word)
                .add_modifier
                .contains(Modifier::BOLD),
            "{word}: final stands out without colour"
        );
    }
}

#[test]
fn the_stop_question_says_what_stopping_cancels() {
    let (mut app, t) = running();
    press(&mut app, KeyCode::Char('s'), t);
    let said = popup_text(&render(&app, 80, 24), " Stop campaign 2? ");
    assert_eq!(
        said,
        [
            "Stop \"leads\" for good: 2 entries will be canceled and",
            "never dialed. Calls in flight finish. A stopped campaign",
            "cannot be resumed.",
            "",
            "",
            "",
            "y yes · n no",
        ]
    );
}

#[test]
fn the_delete_question_names_the_campaign() {
    let (mut app, t) = app_on_two(CampaignState::Done, &[Status::Completed; 4]);
    press(&mut app, KeyCode::Char('d'), t);
    let said = popup_text(&render(&app, 80, 24), " Delete campaign 2? ").join(" ");
    assert!(
        said.contains("Delete \"leads\" and its history from the server. Export it first")
            && said.ends_with("y yes · n no"),
        "{said}"
    );
    for (w, h) in [(30, 8), (1, 1)] {
        render(&app, w, h);
    }
}

#[test]
fn the_import_form_shows_its_fields_completions_and_errors() {
    let (mut app, t) = running();
    press(&mut app, KeyCode::Char('n'), t);
    let said = popup_text(&render(&app, 80, 24), " New campaign from a file ");
    assert_eq!(
        said,
        [
            "File: ▏",
            "Name:",
            "Attempts: 1",
            "Retry after (s): 300",
            "Retry on: no_answer,failed",
            "Country:",
            "Answering machine: off",
            "Voicemail:",
            "Calling hours:",
            "Days:",
            "",
            "",
            "Esc cancel · Enter import · Tab complete · ↓ next field",
        ]
    );
    press(&mut app, KeyCode::Char('l'), t);
    app.update(
        Event::Completions("l".into(), vec!["lists/".into(), "leads.csv".into()]),
        t,
    );
    press(&mut app, KeyCode::Char('x'), t);
    press(&mut app, KeyCode::Backspace, t);
    app.update(
        Event::Completions("l".into(), vec!["lists/".into(), "leads.csv".into()]),
        t,
    );
    press(&mut app, KeyCode::Enter, t);
    let said = popup_text(&render(&app, 80, 24), " New campaign from a file ");
    assert_eq!(said[0], "File: l▏");
    assert_eq!(said[1..3], ["leads.csv", "lists/"]);
    assert_eq!(said[13], "l: name a .csv, .txt or .json file");
    render(&app, 60, 20);
}

#[test]
fn the_export_form_offers_the_default_path() {
    let (mut app, t) = running();
    press(&mut app, KeyCode::Char('e'), t);
    let said = popup_text(&render(&app, 60, 20), " Export campaign 2 as CSV ");
    assert_eq!(said[0], "Write to: ./leads-2.csv▏");
    assert_eq!(
        said.last().unwrap(),
        "Esc cancel · Enter export · Tab complete",
        "no next field in a form of one"
    );
}

#[test]
fn the_filter_shows_its_words_and_then_the_rows_it_keeps() {
    let (mut app, t) = running();
    press(&mut app, KeyCode::Char('/'), t);
    let said = popup_text(&render(&app, 80, 24), " Filter the calls ").join(" ");
    assert!(
        said.contains("idle dialing ringing answered completed"),
        "{said}"
    );
    for c in "wait".chars() {
        press(&mut app, KeyCode::Char(c), t);
    }
    press(&mut app, KeyCode::Tab, t);
    press(&mut app, KeyCode::Enter, t);
    let ls = lines(&render(&app, 80, 24));
    assert!(
        ls[7].starts_with("┌▶ Calls · #2 leads · 1 of 5 waiting "),
        "{ls:#?}"
    );
    assert!(ls[9].contains("›  3  +1 936-207-2765") && ls[9].contains("waiting"));
    assert!(ls[9].contains("retry in 1m 35s"), "{}", ls[9]);
    assert_eq!(ls.iter().filter(|l| l.contains("  +1 ")).count(), 1);
    app.filter = crate::prompt::Filter::parse("answered").unwrap();
    app.update(
        Event::Polled(Ok(campaign_snapshot(
            app.campaign().unwrap(),
            &[Status::Idle; 5],
        ))),
        t,
    );
    let ls = lines(&render(&app, 80, 24));
    assert!(
        ls.iter()
            .any(|l| l.contains("No entry matches the filter (/ to change it).")),
        "{ls:#?}"
    );
}

#[test]
fn a_refused_import_lists_its_lines_and_says_nothing_was_imported() {
    let (mut app, _) = running();
    let errors: Vec<LineError> = (0..30)
        .map(|i| LineError {
            line: 2 + i * 2,
            error: format!("not a phone number: \"x{i}\""),
        })
        .collect();
    app.overlay = Overlay::ImportErrors(ImportErrors {
        path: "bad.csv".into(),
        message: "the list has bad lines; nothing was stored".into(),
        errors,
        error_count: 140,
    });
    let said = popup_text(&render(&app, 80, 24), " bad.csv refused · Esc to close ");
    assert_eq!(said[0], "the list has bad lines; nothing was stored");
    assert_eq!(said[2], "line 2: not a phone number: \"x0\"");
    assert_eq!(said[3], "line 4: not a phone number: \"x1\"");
    let n = said.len();
    assert_eq!(
        said[n - 1],
        "140 bad lines; nothing was imported · ↑↓ scroll"
    );
    // Every line the server sent, by scrolling; then those it only counted.
    let mut seen: Vec<String> = said.clone();
    for _ in 0..40 {
        app.update(
            Event::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)),
            Instant::now(),
        );
        seen.extend(popup_text(
            &render(&app, 80, 24),
            " bad.csv refused · Esc to close ",
        ));
    }
    for i in 0..30 {
        let line = format!("line {}: not a phone number: \"x{i}\"", 2 + i * 2);
        assert!(seen.contains(&line), "{line} never shown: {seen:#?}");
    }
    assert!(
        seen.contains(&"… and 110 more (the server lists the first 30)".to_string()),
        "{seen:#?}"
    );
}

#[test]
fn the_help_lists_every_key_and_the_new_statuses() {
    let (mut app, t) = running();
    press(&mut app, KeyCode::Char('?'), t);
    let said = popup_text(&render(&app, 80, 30), " Help · Esc to close ");
    for help in crate::keys::help_lines() {
        assert!(
            said.contains(&help.trim().to_string()),
            "{help:?}: {said:#?}"
        );
    }
    assert!(said.contains(&"waiting   its next attempt is due later".to_string()));
    assert!(said.contains(&"canceled  never dialed: its campaign was stopped".to_string()));
}

#[test]
fn a_million_entry_campaign_draws_only_its_rows_on_screen() {
    const N: usize = 1_000_000;
    let c = summary(2, "big", CampaignState::Running, &[Status::Idle; 1]);
    let (mut app, t) = app_on_two(CampaignState::Running, &[Status::Idle; 1]);
    let mut s = campaign_snapshot(&c, &[Status::Idle]);
    let idle = s.calls[0].clone();
    s.calls = (0..N)
        .map(|index| LenientCall {
            index,
            ..idle.clone()
        })
        .collect();
    app.update(Event::Polled(Ok(s)), t);
    app.update(list(vec![c]), t);
    app.focus = crate::app::Focus::Calls;
    press(&mut app, KeyCode::End, t);
    assert_eq!(app.selected, N - 1);
    let ls = lines(&render(&app, 200, 50));
    assert!(ls[2].contains("Calls · #2 big · 1000000"), "{}", ls[2]);
    let shown: Vec<&String> = ls
        .iter()
        .filter(|l| l.contains("+1 301-804-0009"))
        .collect();
    // One line fewer than the 50 rows allow: the header's line of
    // calling hours takes it.
    assert_eq!(shown.len(), 42);
    assert!(shown[41].contains("› 999999"), "{}", shown[41]);
}

/// The text inside the popup titled `title`, line by line, trimmed.
fn popup_text(b: &ratatui::buffer::Buffer, title: &str) -> Vec<String> {
    let ls = lines(b);
    let top = ls
        .iter()
        .position(|l| l.contains(&format!("┌{title}")))
        .unwrap_or_else(|| panic!("no popup {title:?}: {ls:#?}"));
    let row = |y: usize| ls[y].chars().collect::<Vec<_>>();
    let left = ls[top][..ls[top].find(&format!("┌{title}")).unwrap()]
        .chars()
        .count();
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
fn the_bar_says_paused_and_stopped_with_their_calls_in_flight() {
    let live = [
        Status::Ringing,
        Status::Ringing,
        Status::Waiting,
        Status::Idle,
    ];
    let (app, _) = app_on_two(CampaignState::Paused, &live);
    let shown = lines(&render(&app, 80, 24)).join("\n");
    assert!(shown.contains("[ Call ] paused"), "{shown}");
    assert!(shown.contains("finished · 2 calls in flight"), "{shown}");
    assert!(
        !shown.contains("retry in"),
        "a paused wait has no countdown: {shown}"
    );
    let (app, _) = app_on_two(CampaignState::Stopped, &live);
    let shown = lines(&render(&app, 80, 24)).join("\n");
    assert!(shown.contains("[ Call ] stopped"), "{shown}");
    assert!(shown.contains("2 calls in flight"), "{shown}");
}

#[test]
fn the_quit_prompt_of_a_temporary_store_says_what_it_forgets() {
    let (mut app, t) = app_on_two(CampaignState::Done, &[Status::Completed; 4]);
    app.update(
        Event::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)),
        t,
    );
    assert_eq!(app.overlay, Overlay::QuitPrompt);
    let said = popup_text(&render(&app, 80, 24), " Quit? ").join(" ");
    assert!(
        said.contains("2 campaigns and their results are held only in this run")
            && said.contains("Export first (e)")
            && said.ends_with("y quit · n stay"),
        "{said}"
    );
}

#[test]
fn the_never_call_question_names_the_number_and_all_campaigns() {
    let (mut app, t) = running();
    if let Some(s) = &mut app.statuses {
        s.calls[0].phone = "13018040009".into();
    }
    press(&mut app, KeyCode::Char('x'), t);
    let said = popup_text(&render(&app, 80, 24), " Never call? ").join(" ");
    assert!(
        said.starts_with("Never call +1 301-804-0009 again? (all campaigns)")
            && said.ends_with("y yes · n no"),
        "{said}"
    );
}

#[test]
fn a_suppressed_entry_says_do_not_call_in_its_own_colour() {
    let (mut app, _) = running();
    if let Some(s) = &mut app.statuses {
        s.calls[4].outcome = Some(Outcome::Suppressed.into());
    }
    let b = render(&app, 120, 24);
    let style = style_of(&b, "canceled · do not call", "do not call");
    assert_eq!(style.fg, Some(Color::LightRed));
    assert_eq!(app.theme, Theme::COLOR);
}
