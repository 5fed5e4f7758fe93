//! The top line: the product, which server and where its data lives,
//! whether it answers, the cap on dials a second, and how many lines are
//! in use. Under it, the
//! warnings of the mode (dialing from inside SSH, a temporary store against
//! a real dialer API), which stay on screen because they stay true.

use crate::app::{App, Connection, Tone};
use crate::client::{ClientError, Retry, SLOW_RETRY};
use crate::mode::Mode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::time::Duration;

pub(super) fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let (dot, state, style) = match &app.connection {
        Connection::Connecting => ("○", "connecting…".to_string(), theme.warn),
        Connection::Failing { since, error } => (
            "✕",
            failing(error, app.now.saturating_duration_since(*since)),
            theme.error,
        ),
        Connection::Live => match (app.stale_for(), app.degraded()) {
            (Some(d), _) => ("●", format!("stale for {} s", d.as_secs()), theme.warn),
            // The server answers, but dials nobody until its store works.
            (None, Some(why)) => (
                "▲",
                format!("store failing, dialing paused: {why}"),
                theme.error,
            ),
            (None, None) => ("●", "live".to_string(), theme.ok),
        },
    };
    let state = format!("{dot} {state}");
    let lines = app
        .statuses
        .as_ref()
        .map(|s| format!(" {}lines {}/{} ", pacing(app), s.active, s.concurrency))
        .unwrap_or_default();
    let [l, r] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(width(&lines))]).areas(area);
    let (kind, place) = server(&app.mode);
    // Counted in characters: "·" takes two bytes but one column.
    let fixed = " numdialer".len() + " · ".chars().count() * 2 + kind.chars().count();
    let room = usize::from(l.width).saturating_sub(fixed + state.chars().count());
    // Where the state does not fit beside the server, the server goes:
    // the user typed its URL, and the state is what they need to read.
    let server = match room {
        0 => String::new(),
        _ => format!(" · {kind}{}", keep_end(&place, room)),
    };
    let left = Line::from(vec![
        Span::styled(" numdialer", theme.title),
        Span::raw(format!("{server} · ")),
        Span::styled(state, style),
    ]);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(lines), r);
}

/// The cause first, in the client's words, so that a narrow terminal
/// cuts off the least useful part; then how the TUI goes on: retrying
/// (for how long already), or asking only now and then, since the user
/// has to change something first.
fn failing(error: &ClientError, down_for: Duration) -> String {
    match error.retry() {
        Retry::Backoff => format!("{error}, retrying ({} s)", down_for.as_secs()),
        Retry::Slowly => format!("{error} · retrying every {} s", SLOW_RETRY.as_secs()),
    }
}

/// The warnings of the mode, one line each, in the warning style; then
/// what the server says of the watched campaign (see [`App::notes`]): a
/// dialer API that does not answer, in the error style; calls from before
/// a restart, in the warning style; its calling hours, plain, or in the
/// warning style when off against a real dialer API.
pub(super) fn draw_warnings(frame: &mut Frame, app: &App, area: Rect) {
    let theme = &app.theme;
    let mut lines: Vec<Line> = app
        .mode
        .warnings()
        .into_iter()
        .flat_map(|w| w.lines().iter())
        .map(|text| Line::styled(format!(" {text}"), theme.warn))
        .collect();
    lines.extend(app.notes().into_iter().map(|n| {
        let style = match n.tone {
            Tone::Plain => Style::new(),
            Tone::Warn => theme.warn,
            Tone::Error => theme.error,
        };
        Line::styled(format!(" {}", n.text), style)
    }));
    frame.render_widget(Paragraph::new(lines), area);
}

/// The cap on dials a second, before the lines: with Twilio's default of
/// 1, it is what sets the pace of a list, not the lines. An embedded
/// server's is known from the start; a remote one says its own in its
/// statuses. Nothing without a cap.
fn pacing(app: &App) -> String {
    let cps = match &app.mode {
        Mode::Embedded(e) => e.max_cps.as_ref(),
        Mode::Remote { .. } => app.statuses.as_ref().and_then(|s| s.max_cps.as_ref()),
    };
    cps.map(|c| format!("{c} cps · ")).unwrap_or_default()
}

/// The server, in two parts: what kind ("embedded · data in ") and the
/// place, a URL or a path, which is shortened from its start when the
/// line is too narrow: a path's end says the most about it.
fn server(mode: &Mode) -> (String, String) {
    match mode {
        Mode::Remote { url } => ("remote · ".into(), url.clone()),
        Mode::Embedded(e) => {
            let sim = match (e.simulated, e.twilio) {
                (true, true) => "Twilio sim · ",
                (true, false) => "simulator · ",
                (false, true) => "Twilio · ",
                (false, false) => "",
            };
            match &e.data {
                Some(dir) => (format!("embedded · {sim}data in "), dir.clone()),
                None => (format!("embedded · {sim}"), "temporary store".into()),
            }
        }
    }
}

/// `text` if it fits in `room` characters, else its end after "…".
fn keep_end(text: &str, room: usize) -> String {
    let n = text.chars().count();
    if n <= room {
        return text.to_string();
    }
    if room == 0 {
        return String::new();
    }
    let tail: String = text.chars().skip(n - (room - 1)).collect();
    format!("…{tail}")
}

fn width(text: &str) -> u16 {
    u16::try_from(text.chars().count()).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::keep_end;
    use crate::app::campaign_tests::{campaign_snapshot, summary};
    use crate::app::tests::{DIALING, app_in, embedded, snapshot};
    use crate::app::{App, Event};
    use crate::mode::Mode;
    use crate::views::tests::{lines, render, style_of};
    use numdialer_core::api::{BeforeRestart, LenientStatuses};
    use numdialer_core::campaign::CampaignState;
    use numdialer_core::hours::CallingHours;
    use numdialer_core::{Status, Timestamp};
    use ratatui::style::Color;

    /// `numdialer --dialer twilio`: the header names Twilio's simulator
    /// and the cap on dials a second beside the lines, and keeps both on
    /// an 80-column terminal; a fractional cap prints as given.
    #[test]
    fn the_header_shows_twilio_and_its_cap() {
        let twilio = |max_cps: Option<&str>| {
            let mut mode = embedded(None, true);
            if let Mode::Embedded(e) = &mut mode {
                e.twilio = true;
                e.max_cps = max_cps.map(str::to_string);
            }
            app_in(mode, &DIALING, true).0
        };
        let first = lines(&render(&twilio(Some("1")), 80, 24))[0].clone();
        assert!(
            first.starts_with(" numdialer · embedded · Twilio sim · temporary store · ● live")
                && first.ends_with(" 1 cps · lines 3/3 "),
            "{first}"
        );
        let first = lines(&render(&twilio(Some("2.5")), 80, 24))[0].clone();
        assert!(first.ends_with(" 2.5 cps · lines 3/3 "), "{first}");
        let first = lines(&render(&twilio(None), 80, 24))[0].clone();
        assert!(
            !first.contains("cps") && first.ends_with(" lines 3/3 "),
            "no cap, nothing said: {first}"
        );
    }

    /// A remote server says its own cap in its statuses.
    #[test]
    fn a_remote_servers_cap_comes_from_its_statuses() {
        let remote = Mode::Remote {
            url: "http://10.0.0.5:3000".into(),
        };
        let (mut app, _) = app_in(remote, &DIALING, true);
        let first = lines(&render(&app, 80, 24))[0].clone();
        assert!(!first.contains("cps"), "not said yet: {first}");
        if let Some(s) = app.statuses.as_mut() {
            s.max_cps = Some("1".into());
        }
        let first = lines(&render(&app, 80, 24))[0].clone();
        assert!(first.ends_with(" 1 cps · lines 3/3 "), "{first}");
    }

    /// The app of `s`, polled at `t` from a remote server: the header's
    /// lines come from its answer alone.
    fn polled(s: LenientStatuses) -> App {
        let remote = Mode::Remote {
            url: "http://10.0.0.5:3000".into(),
        };
        let (mut app, t) = app_in(remote, &DIALING, true);
        app.update(Event::Polled(Ok(s)), t);
        app
    }

    /// A dialer API the server's probe cannot reach is named on the line
    /// under the top one, in the error colour, before anyone presses `c`;
    /// the table moves down a line to make room.
    #[test]
    fn an_unreachable_dialer_api_is_named_in_the_error_colour() {
        let mut s = snapshot(&[Status::Idle; 9], false);
        s.dialer_unreachable = Some("connection refused".into());
        let app = polled(s);
        let b = render(&app, 80, 24);
        let ls = lines(&b);
        assert_eq!(
            ls[1].trim_end(),
            " ✕ dialer API unreachable: connection refused",
            "{ls:#?}"
        );
        assert_eq!(
            style_of(&b, "dialer API unreachable", "unreachable").fg,
            Some(Color::Red)
        );
        assert!(ls[2].starts_with("┌"), "{ls:#?}");
        // The server answers "unchanged" only while its dialer API
        // answers: the line goes, and the table moves back up.
        let mut app = app;
        app.update(Event::Unchanged, app.now);
        let ls = lines(&render(&app, 80, 24));
        assert!(!ls.iter().any(|l| l.contains("unreachable")), "{ls:#?}");
        assert!(ls[1].starts_with("┌"), "{ls:#?}");
    }

    /// A failing webhook endpoint is named on a line under the top one,
    /// in the warning colour: dialing goes on, but a consumer misses
    /// events.
    #[test]
    fn a_failing_webhook_endpoint_is_named() {
        let mut s = snapshot(&[Status::Idle; 9], false);
        s.events_failing = Some("webhook endpoint 7 disabled: answered 410 Gone".into());
        let app = polled(s);
        let b = render(&app, 80, 24);
        let ls = lines(&b);
        assert_eq!(
            ls[1].trim_end(),
            " ▲ webhook endpoint 7 disabled: answered 410 Gone",
            "{ls:#?}"
        );
        assert_eq!(
            style_of(&b, "webhook endpoint 7", "endpoint").fg,
            Some(Color::Yellow)
        );
    }

    /// After a restart, calls in flight that the earlier run dialed say
    /// what they wait for and when they time out, on the server's clock,
    /// in the warning colour: not `lines 3/3` without a reason.
    #[test]
    fn calls_from_before_a_restart_say_what_they_wait_for() {
        let mut s = snapshot(&DIALING, true);
        s.before_restart = Some(BeforeRestart {
            calls: 3,
            times_out_by: Timestamp(s.now.0 + 42_000),
        });
        let app = polled(s.clone());
        let b = render(&app, 80, 24);
        let ls = lines(&b);
        assert_eq!(
            ls[1].trim_end(),
            " ▲ 3 calls from before the restart await a final webhook; time out in 42 s",
            "{ls:#?}"
        );
        assert_eq!(
            style_of(&b, "before the restart", "webhook").fg,
            Some(Color::Yellow)
        );
        s.before_restart = Some(BeforeRestart {
            calls: 1,
            times_out_by: Timestamp(s.now.0 - 1),
        });
        let ls = lines(&render(&polled(s), 80, 24));
        assert!(
            ls[1].contains("1 call from before the restart awaits a final webhook")
                && ls[1].trim_end().ends_with("; times out now"),
            "{}",
            ls[1].trim_end()
        );
    }

    /// The watched campaign's calling hours: its window, and who waits for
    /// it and until when; or "off", plain against a simulator and in the
    /// warning colour through a real dialer API.
    #[test]
    fn the_watched_campaigns_calling_hours_are_said() {
        let mut c = summary(1, "numbers", CampaignState::Running, &[Status::Waiting; 9]);
        c.calling.hours.calling_hours = CallingHours::Window("08:00-21:00".parse().unwrap());
        c.calling.waiting_for_hours = 4;
        let mut s = campaign_snapshot(&c, &[Status::Waiting; 9]);
        let next = Timestamp(s.now.0 + (2 * 3600 + 5 * 60) * 1000);
        if let Some(c) = s.campaign.as_mut() {
            c.calling.next_opening = Some(next);
        }
        let ls = lines(&render(&polled(s.clone()), 80, 24));
        assert_eq!(
            ls[1].trim_end(),
            " calling hours 08:00–21:00 · 4 wait for their window, next opens in 2h 05m",
            "{ls:#?}"
        );
        let off = |real_provider: bool| {
            let mut s = s.clone();
            if let Some(c) = s.campaign.as_mut() {
                c.calling.hours.calling_hours = CallingHours::Off;
                c.calling.waiting_for_hours = 0;
            }
            s.real_provider = real_provider;
            render(&polled(s), 80, 24)
        };
        let b = off(false);
        assert_eq!(lines(&b)[1].trim_end(), " calling hours off");
        let plain = style_of(&b, "calling hours", "off").fg;
        assert!(matches!(plain, None | Some(Color::Reset)), "{plain:?}");
        let b = off(true);
        assert_eq!(
            lines(&b)[1].trim_end(),
            " calling hours off: this campaign dials at any hour, through a real dialer API"
        );
        assert_eq!(style_of(&b, "calling hours", "off").fg, Some(Color::Yellow));
    }

    /// A campaign held for want of a current do-not-call registry copy
    /// says so above its calling hours, in the warning colour.
    #[test]
    fn a_campaign_held_for_the_registry_says_why() {
        let mut c = summary(1, "numbers", CampaignState::Running, &[Status::Idle; 3]);
        c.calling.require_registry = true;
        c.calling.registry_hold = Some("the registry copy is 32 days old".into());
        let s = campaign_snapshot(&c, &[Status::Idle; 3]);
        let b = render(&polled(s), 80, 24);
        let ls = lines(&b);
        assert_eq!(
            ls[1].trim_end(),
            " ▲ not dialing: the registry copy is 32 days old",
            "{ls:#?}"
        );
        assert_eq!(ls[2].trim_end(), " calling hours off", "{ls:#?}");
        assert_eq!(
            style_of(&b, "not dialing", "registry").fg,
            Some(Color::Yellow)
        );
    }

    #[test]
    fn long_places_keep_their_end() {
        assert_eq!(keep_end("/a/b/numdialer", 20), "/a/b/numdialer");
        assert_eq!(keep_end("/a/b/numdialer", 10), "…numdialer");
        assert_eq!(keep_end("/a/b/numdialer", 1), "…");
        assert_eq!(keep_end("/a/b/numdialer", 0), "");
    }
}
