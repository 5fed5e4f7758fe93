//! The campaigns half of `App`: the pane, the keys on a campaign, the
//! prompts and questions, the filter, and campaign 1 left as it was.

use super::tests::{app_with, snapshot};
use super::*;
use crate::client::ClientError;
use crate::prompt::Purpose;
use numdialer_core::Timestamp;
use numdialer_core::campaign::RetryPolicy;
use numdialer_core::status::Outcome;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};
use std::collections::BTreeMap;

/// A campaign's summary whose entries stand as `statuses` say.
pub(crate) fn summary(
    id: u64,
    name: &str,
    state: CampaignState,
    statuses: &[Status],
) -> CampaignSummary {
    let mut counts: BTreeMap<String, usize> = Status::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for s in statuses {
        *counts.get_mut(s.as_str()).unwrap() += 1;
    }
    let mut outcomes: BTreeMap<String, usize> = Outcome::ALL
        .iter()
        .map(|o| (o.as_str().to_string(), 0))
        .collect();
    for s in statuses {
        let o = match s {
            Status::Completed => Outcome::Answered,
            Status::Failed => Outcome::Failed,
            Status::Canceled => Outcome::Canceled,
            _ => continue,
        };
        *outcomes.get_mut(o.as_str()).unwrap() += 1;
    }
    CampaignSummary {
        id,
        name: name.into(),
        state,
        created_at: Timestamp(0),
        started_at: None,
        finished_at: None,
        total: statuses.len(),
        counts,
        outcomes,
        attempts: statuses.iter().filter(|s| **s != Status::Idle).count() as u64,
        active: statuses.iter().filter(|s| s.is_in_flight()).count(),
        retry: RetryPolicy::default(),
        columns: Vec::new(),
        version: 1,
        calling: Default::default(),
        answers: Default::default(),
    }
}

/// Campaign `id`'s statuses as `GET /campaigns/{id}/statuses` sends them.
pub(crate) fn campaign_snapshot(c: &CampaignSummary, statuses: &[Status]) -> LenientStatuses {
    let mut s = snapshot(statuses, c.state != CampaignState::Draft);
    s.campaign = Some(c.clone());
    s
}

pub(crate) fn list(campaigns: Vec<CampaignSummary>) -> Event {
    Event::Campaigns(Ok(CampaignsResponse {
        version: 7,
        campaigns,
    }))
}

/// Campaign 1 done, and campaign 2 ("leads", in `state`, with
/// `statuses`) imported and watched.
pub(crate) fn app_on_two(state: CampaignState, statuses: &[Status]) -> (App, Instant) {
    let (mut app, t) = app_with(&[Status::Completed; 9], true);
    let one = summary(1, "numbers", CampaignState::Done, &[Status::Completed; 9]);
    let two = summary(2, "leads", state, statuses);
    app.update(list(vec![one, two.clone()]), t);
    app.update(Event::Key(KeyEvent::from(KeyCode::Tab)), t);
    assert_eq!(
        app.update(Event::Key(KeyEvent::from(KeyCode::Down)), t),
        Some(Command::Watch(2))
    );
    app.update(Event::Polled(Ok(campaign_snapshot(&two, statuses))), t);
    (app, t)
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::from(code))
}

fn type_text(app: &mut App, text: &str, t: Instant) {
    for c in text.chars() {
        assert_eq!(app.update(key(KeyCode::Char(c)), t), None, "{c:?}");
    }
}

#[test]
fn campaign_1_alone_keeps_the_screen_and_the_call_key_of_before() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    let one = summary(1, "numbers", CampaignState::Draft, &[Status::Idle; 9]);
    app.update(list(vec![one]), t);
    assert!(!app.pane_shown());
    assert_eq!(app.areas(), layout::layout(app.size, 0));
    assert_eq!(app.update(key(KeyCode::Tab), t), None);
    assert_eq!(app.focus, Focus::Calls, "no pane to move to");
    assert_eq!(
        app.update(key(KeyCode::Char('c')), t),
        Some(Command::Operate(1, Operation::Start)),
        "POST /calls, as before"
    );
}

#[test]
fn picking_a_campaign_watches_it_and_answers_about_the_last_one_are_dropped() {
    let (mut app, t) = app_on_two(CampaignState::Draft, &[Status::Idle; 4]);
    assert!(app.pane_shown());
    assert_eq!((app.watching, app.calls().len()), (2, 4));
    assert_eq!(app.button(), Button::Ready);
    let one = summary(1, "numbers", CampaignState::Done, &[Status::Completed; 9]);
    let late = campaign_snapshot(&one, &[Status::Completed; 9]);
    app.update(Event::Polled(Ok(late)), t);
    assert_eq!(
        app.calls().len(),
        4,
        "campaign 1's answer came after the switch"
    );
    assert_eq!(app.update(key(KeyCode::Up), t), Some(Command::Watch(1)));
    assert_eq!((app.watching, app.statuses.is_none()), (1, true));
    assert_eq!(app.button(), Button::Waiting);
}

#[test]
fn c_starts_a_draft_campaign_through_its_own_route() {
    let (mut app, t) = app_on_two(CampaignState::Draft, &[Status::Idle; 4]);
    assert_eq!(
        app.update(key(KeyCode::Char('c')), t),
        Some(Command::Operate(2, Operation::Start))
    );
    assert_eq!(app.button(), Button::Starting);
    let running = summary(2, "leads", CampaignState::Running, &[Status::Idle; 4]);
    app.update(Event::Operated(2, Operation::Start, Ok(Some(running))), t);
    assert_eq!(app.button(), Button::Dialing);
    assert_eq!(app.message.as_ref().unwrap().text, "campaign 2 started");
    assert_eq!(app.update(key(KeyCode::Char('c')), t), None);
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("only a draft starts"),
        "{:?}",
        app.message
    );
}

#[test]
fn p_pauses_and_resumes_and_409s_are_said_in_the_servers_words() {
    let (mut app, t) = app_on_two(CampaignState::Running, &[Status::Ringing; 4]);
    assert_eq!(
        app.update(key(KeyCode::Char('p')), t),
        Some(Command::Operate(2, Operation::Pause))
    );
    let paused = summary(2, "leads", CampaignState::Paused, &[Status::Ringing; 4]);
    app.update(Event::Operated(2, Operation::Pause, Ok(Some(paused))), t);
    assert_eq!(
        app.update(key(KeyCode::Char('p')), t),
        Some(Command::Operate(2, Operation::Resume))
    );
    let refused = ClientError::Http {
        status: 409,
        message: "campaign 2 is done: it cannot be resumed".into(),
    };
    app.update(Event::Operated(2, Operation::Resume, Err(refused)), t);
    let m = app.message.clone().unwrap();
    assert!(m.is_error && m.text == "campaign 2 is done: it cannot be resumed");
}

#[test]
fn s_asks_first_and_says_how_many_entries_it_cancels() {
    let statuses = [
        Status::Completed,
        Status::Ringing,
        Status::Idle,
        Status::Waiting,
        Status::Idle,
    ];
    let (mut app, t) = app_on_two(CampaignState::Running, &statuses);
    assert_eq!(app.update(key(KeyCode::Char('s')), t), None);
    assert_eq!(
        app.overlay,
        Overlay::Confirm(Question::Stop {
            id: 2,
            name: "leads".into(),
            cancels: 3
        })
    );
    assert_eq!(app.update(key(KeyCode::Char('q')), t), None);
    assert!(!app.quit, "q does not answer the question");
    assert_eq!(app.update(key(KeyCode::Char('n')), t), None);
    assert_eq!(app.overlay, Overlay::None);
    app.update(key(KeyCode::Char('s')), t);
    assert_eq!(
        app.update(key(KeyCode::Char('y')), t),
        Some(Command::Operate(2, Operation::Stop))
    );
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn d_deletes_only_a_finished_campaign_after_asking() {
    let (mut app, t) = app_on_two(CampaignState::Running, &[Status::Ringing; 4]);
    app.update(key(KeyCode::Char('d')), t);
    assert_eq!(app.overlay, Overlay::None);
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("stop it first (s)")
    );
    let (mut app, t) = app_on_two(CampaignState::Stopped, &[Status::Canceled; 4]);
    app.update(key(KeyCode::Char('d')), t);
    assert_eq!(
        app.overlay,
        Overlay::Confirm(Question::Delete {
            id: 2,
            name: "leads".into()
        })
    );
    assert_eq!(
        app.update(key(KeyCode::Char('y')), t),
        Some(Command::Delete(2))
    );
    assert_eq!(
        app.update(Event::Deleted(2, Ok(())), t),
        Some(Command::Watch(1))
    );
    assert_eq!(app.watching, 1);
    assert_eq!(app.campaign_list().len(), 1);
    assert!(!app.pane_shown(), "campaign 1 alone again");
    app.update(
        Event::Polled(Ok(snapshot(&[Status::Completed; 9], true))),
        t,
    );
    app.update(key(KeyCode::Char('d')), t);
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .starts_with("campaign 1 cannot be deleted")
    );
}

#[test]
fn n_imports_a_file_and_watches_the_new_campaign() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.update(
        list(vec![summary(
            1,
            "numbers",
            CampaignState::Draft,
            &[Status::Idle; 9],
        )]),
        t,
    );
    app.update(key(KeyCode::Char('n')), t);
    assert!(matches!(&app.overlay, Overlay::Form(f) if f.purpose == Purpose::Import));
    type_text(&mut app, "li", t);
    assert_eq!(
        app.update(key(KeyCode::Tab), t),
        Some(Command::Complete("li".into()))
    );
    app.update(Event::Completions("li".into(), vec!["leads.csv".into()]), t);
    assert_eq!(
        app.update(key(KeyCode::Char('q')), t),
        None,
        "typed, not quit"
    );
    app.update(key(KeyCode::Backspace), t);
    app.update(key(KeyCode::Down), t);
    app.update(key(KeyCode::Down), t);
    app.update(key(KeyCode::Backspace), t);
    type_text(&mut app, "3", t);
    let Some(Command::Import {
        path,
        format,
        settings,
        country: None,
        answers: _,
        hours: _,
    }) = app.update(key(KeyCode::Enter), t)
    else {
        panic!("{:?}", app.overlay);
    };
    assert_eq!((path.as_str(), format), ("leads.csv", Format::Csv));
    assert_eq!(
        (settings.name.as_deref(), settings.max_attempts),
        (Some("leads"), Some(3))
    );
    assert_eq!(app.overlay, Overlay::None);
    app.update(Event::Uploading(1_500_000, Some(3_000_000)), t);
    assert_eq!(
        app.message.as_ref().unwrap().text,
        "importing leads.csv: 1.5 MB of 3.0 MB sent…"
    );
    let created = Created {
        campaign: summary(2, "leads", CampaignState::Draft, &[Status::Idle; 4]),
        existed: false,
        warnings: Vec::new(),
        warning_count: 0,
    };
    assert_eq!(
        app.update(Event::Imported(path.clone(), Ok(created.clone())), t),
        Some(Command::Watch(2))
    );
    assert_eq!(
        app.message.as_ref().unwrap().text,
        "imported leads.csv as campaign 2 \"leads\", 4 entries: press c to start"
    );
    // Warnings are said with the import, the first one whole.
    let warned = Created {
        warnings: vec![numdialer_core::api::LineWarning {
            line: 4,
            warning: "this dialer API takes +1 numbers only".into(),
        }],
        warning_count: 2,
        ..created
    };
    app.update(Event::Imported(path, Ok(warned)), t);
    let said = app.message.as_ref().unwrap();
    assert!(
        said.text.ends_with(
            "press c to start; 2 warnings, first line 4: this dialer API takes +1 numbers only"
        ) && said.is_error,
        "{}",
        said.text
    );
    assert!(app.pane_shown());
    assert_eq!((app.focus, app.campaign_row()), (Focus::Campaigns, Some(1)));
}

#[test]
fn a_refused_import_shows_its_lines_and_creates_nothing() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.update(
        list(vec![summary(
            1,
            "numbers",
            CampaignState::Draft,
            &[Status::Idle; 9],
        )]),
        t,
    );
    let refused = ClientError::Import {
        message: "the list has bad lines; nothing was stored".into(),
        errors: vec![numdialer_core::api::LineError {
            line: 3,
            error: "not a phone number: \"abc\"".into(),
        }],
        error_count: 1,
    };
    let r = app.update(
        Event::Imported("bad.csv".into(), Err(ImportFailure::Server(refused))),
        t,
    );
    assert_eq!(r, None);
    assert!(matches!(&app.overlay, Overlay::ImportErrors(e) if e.errors[0].line == 3));
    assert_eq!((app.watching, app.campaign_list().len()), (1, 1));
    app.update(key(KeyCode::Esc), t);
    assert_eq!(app.overlay, Overlay::None);
    app.update(
        Event::Imported(
            "gone.csv".into(),
            Err(ImportFailure::File("cannot read gone.csv".into())),
        ),
        t,
    );
    assert!(app.message.as_ref().unwrap().is_error);
}

#[test]
fn e_exports_to_the_default_path_or_a_typed_one() {
    let (mut app, t) = app_on_two(CampaignState::Done, &[Status::Completed; 4]);
    app.update(key(KeyCode::Char('e')), t);
    let Overlay::Form(form) = &app.overlay else {
        panic!()
    };
    assert_eq!(form.focused().text, "./leads-2.csv");
    assert_eq!(
        app.update(key(KeyCode::Enter), t),
        Some(Command::Export {
            id: 2,
            path: "./leads-2.csv".into(),
            overwrite: false,
        })
    );
    app.update(Event::Exported(2, "./leads-2.csv".into(), Ok(2_048)), t);
    assert_eq!(
        app.message.as_ref().unwrap().text,
        "exported campaign 2 to ./leads-2.csv (2.0 kB)"
    );
    app.update(key(KeyCode::Char('e')), t);
    app.update(key(KeyCode::Esc), t);
    assert_eq!(app.overlay, Overlay::None, "Esc cancels");
}

#[test]
fn the_filter_keeps_the_rows_of_one_status_or_outcome() {
    let statuses = [
        Status::Completed,
        Status::Failed,
        Status::Completed,
        Status::Idle,
        Status::Canceled,
    ];
    let (mut app, t) = app_with(&statuses, true);
    if let Some(s) = &mut app.statuses {
        s.calls[2].outcome = Some(Outcome::NoAnswer.into());
        s.calls[0].outcome = Some(Outcome::Answered.into());
    }
    app.update(key(KeyCode::Char('/')), t);
    type_text(&mut app, "no", t);
    app.update(key(KeyCode::Tab), t);
    app.update(key(KeyCode::Enter), t);
    assert_eq!(app.filter.as_ref().map(|f| f.word()), Some("no_answer"));
    assert_eq!(app.rows(), 1);
    assert_eq!(app.entry_at(0).unwrap().index, 2);
    assert_eq!(
        app.update(key(KeyCode::Enter), t),
        Some(Command::FetchCampaignDetail(1, 2)),
        "the history of the entry shown, not of row 0"
    );
    app.update(key(KeyCode::Esc), t);
    app.update(key(KeyCode::Char('/')), t);
    for _ in 0.."no_answer".len() {
        app.update(key(KeyCode::Backspace), t);
    }
    type_text(&mut app, "busy", t);
    app.update(key(KeyCode::Enter), t);
    assert!(
        matches!(&app.overlay, Overlay::Form(f) if f.error.is_some()),
        "stays open"
    );
    for _ in 0..4 {
        app.update(key(KeyCode::Backspace), t);
    }
    app.update(key(KeyCode::Enter), t);
    assert_eq!((app.filter.as_ref(), app.rows()), (None, 5));
    // A poll re-applies the filter to what changed.
    app.filter = crate::prompt::Filter::parse("idle").unwrap();
    app.update(Event::Polled(Ok(snapshot(&[Status::Idle; 9], false))), t);
    assert_eq!(app.rows(), 9);
}

#[test]
fn clicks_select_a_campaign_and_give_the_focus() {
    let (mut app, t) = app_on_two(CampaignState::Draft, &[Status::Idle; 4]);
    app.update(Event::Resize(80, 24), t);
    let areas = app.areas();
    assert!(areas.campaigns.height > 0);
    let click = |x, y| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.update(click(areas.table.x + 3, areas.table.y + 2), t);
    assert_eq!(app.focus, Focus::Calls);
    assert_eq!(
        app.update(click(areas.campaigns.x + 3, areas.campaigns.y + 2), t),
        Some(Command::Watch(1))
    );
    assert_eq!(app.focus, Focus::Campaigns);
}

#[test]
fn a_server_without_campaigns_says_so_for_campaign_keys() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    let old = ClientError::TooOld {
        request: "GET /campaigns".into(),
        status: 404,
    };
    app.update(Event::Campaigns(Err(old)), t);
    for k in ['p', 's', 'e', 'n'] {
        app.update(key(KeyCode::Char(k)), t);
        assert_eq!(app.overlay, Overlay::None, "{k}");
        assert!(
            app.message
                .as_ref()
                .unwrap()
                .text
                .contains("upgrade numdialer-server"),
            "{k}: {:?}",
            app.message
        );
    }
    assert_eq!(
        app.update(key(KeyCode::Char('c')), t),
        Some(Command::Operate(1, Operation::Start))
    );
}

#[test]
fn a_campaign_deleted_elsewhere_sends_the_screen_back_to_campaign_1() {
    let (mut app, t) = app_on_two(CampaignState::Done, &[Status::Completed; 4]);
    let one = summary(1, "numbers", CampaignState::Done, &[Status::Completed; 9]);
    assert_eq!(app.update(list(vec![one]), t), Some(Command::Watch(1)));
    assert_eq!(app.focus, Focus::Calls);
}

#[test]
fn the_quit_prompt_counts_the_calls_of_every_campaign() {
    let mode = crate::app::tests::embedded(Some("~/d"), false);
    let (mut app, t) = crate::app::tests::app_in(mode, &[Status::Completed; 9], true);
    let one = summary(1, "numbers", CampaignState::Done, &[Status::Completed; 9]);
    let two = summary(2, "leads", CampaignState::Running, &[Status::Ringing; 2]);
    app.update(list(vec![one, two]), t);
    assert_eq!(app.in_flight(), 2, "campaign 2's calls, off screen");
    app.update(key(KeyCode::Char('q')), t);
    assert_eq!(app.overlay, Overlay::QuitPrompt);
}

#[test]
fn an_export_onto_a_file_asks_and_a_failed_one_keeps_its_form() {
    let (mut app, t) = app_on_two(CampaignState::Done, &[Status::Completed; 4]);
    app.update(Event::ExportWouldOverwrite(2, "./x.csv".into()), t);
    assert!(matches!(
        &app.overlay,
        Overlay::Confirm(Question::Overwrite { id: 2, path }) if path == "./x.csv"
    ));
    app.update(key(KeyCode::Char('n')), t);
    assert_eq!(app.overlay, Overlay::None, "n writes nothing");
    app.update(Event::ExportWouldOverwrite(2, "./x.csv".into()), t);
    assert_eq!(
        app.update(key(KeyCode::Char('y')), t),
        Some(Command::Export {
            id: 2,
            path: "./x.csv".into(),
            overwrite: true,
        })
    );
    app.update(
        Event::Exported(2, "nodir/x.csv".into(), Err("cannot write".into())),
        t,
    );
    let Overlay::Form(form) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(form.focused().text, "nodir/x.csv");
    assert!(form.error.as_deref().unwrap().contains("cannot write"));
    app.update(key(KeyCode::Esc), t);
    app.update(key(KeyCode::Esc), t);
    assert!(!app.quit, "Esc only closes");
}

#[test]
fn a_refused_import_opens_its_form_again_as_typed() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    app.update(
        list(vec![summary(
            1,
            "numbers",
            CampaignState::Draft,
            &[Status::Idle; 9],
        )]),
        t,
    );
    app.update(key(KeyCode::Char('n')), t);
    for c in "nope.csv".chars() {
        app.update(key(KeyCode::Char(c)), t);
    }
    app.update(key(KeyCode::Down), t);
    for c in "spring".chars() {
        app.update(key(KeyCode::Char(c)), t);
    }
    assert!(matches!(
        app.update(key(KeyCode::Enter), t),
        Some(Command::Import { .. })
    ));
    app.update(
        Event::Imported(
            "nope.csv".into(),
            Err(ImportFailure::File("cannot read nope.csv".into())),
        ),
        t,
    );
    let Overlay::Form(form) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    let texts: Vec<&str> = form.fields.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(texts[..2], ["nope.csv", "spring"]);
    assert_eq!(form.error.as_deref(), Some("cannot read nope.csv"));
    app.update(key(KeyCode::Enter), t);
    let refused = ClientError::Import {
        message: "the list has bad lines; nothing was stored".into(),
        errors: vec![],
        error_count: 1,
    };
    app.update(
        Event::Imported("nope.csv".into(), Err(ImportFailure::Server(refused))),
        t,
    );
    assert!(matches!(app.overlay, Overlay::ImportErrors(_)));
    app.update(key(KeyCode::Esc), t);
    let Overlay::Form(form) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(form.fields[1].text, "spring", "back to the form as typed");
    app.update(key(KeyCode::Esc), t);
    app.update(key(KeyCode::Esc), t);
    assert_eq!((&app.overlay, app.quit), (&Overlay::None, false));
}

#[test]
fn quitting_a_temporary_store_with_work_in_it_asks_first() {
    let (mut app, t) = app_with(&[Status::Idle; 9], false);
    let one = summary(1, "numbers", CampaignState::Draft, &[Status::Idle; 9]);
    app.update(list(vec![one.clone()]), t);
    assert!(!app.quitting_forgets_work(), "the built-in list, untouched");
    let two = summary(2, "leads", CampaignState::Draft, &[Status::Idle; 4]);
    app.update(list(vec![one, two]), t);
    app.update(key(KeyCode::Char('q')), t);
    assert_eq!((&app.overlay, app.quit), (&Overlay::QuitPrompt, false));
    app.update(key(KeyCode::Char('y')), t);
    assert!(app.quit);
}

#[test]
fn x_asks_then_puts_the_selected_number_on_the_global_list() {
    let (mut app, t) = app_on_two(CampaignState::Running, &[Status::Idle; 3]);
    app.selected = 1;
    let phone = app.calls()[1].phone.clone();
    assert_eq!(app.update(key(KeyCode::Char('x')), t), None);
    assert_eq!(
        app.overlay,
        Overlay::Confirm(Question::NeverCall {
            phone: phone.clone()
        })
    );
    assert_eq!(app.update(key(KeyCode::Char('n')), t), None);
    assert_eq!(app.overlay, Overlay::None, "n asks nothing of the server");
    app.update(key(KeyCode::Char('x')), t);
    assert_eq!(
        app.update(key(KeyCode::Char('y')), t),
        Some(Command::NeverCall(phone.clone()))
    );
    app.update(Event::NeverCalled(phone.clone(), Ok(())), t);
    let said = app.message.clone().unwrap();
    assert!(
        !said.is_error && said.text.ends_with("will never be called again"),
        "{said:?}"
    );
    let refused = ClientError::Http {
        status: 422,
        message: "phone: not a number".into(),
    };
    app.update(Event::NeverCalled(phone, Err(refused)), t);
    let said = app.message.clone().unwrap();
    assert!(
        said.is_error && said.text.contains("phone: not a number"),
        "{said:?}"
    );
}

#[test]
fn x_with_no_entry_says_so() {
    let (mut app, t) = app_on_two(CampaignState::Running, &[]);
    assert_eq!(app.update(key(KeyCode::Char('x')), t), None);
    assert_eq!(app.overlay, Overlay::None);
    assert!(app.message.as_ref().unwrap().is_error);
}
