//! The Enter popup: one entry's status, failure reason and every event the
//! server recorded for it across all its attempts, applied or ignored,
//! with the time it came and, once there was a retry, its attempt; for a
//! campaign with calling hours, the local time where the phone rings.

use super::popup;
use crate::app::{App, Detail};
use crate::keys::{self, Action};
use crate::theme::Theme;
use crate::words;
use numdialer_core::api::{Event, EventKind, LenientDetail};
use numdialer_core::campaign::format_seconds;
use numdialer_core::zones::local_time;
use numdialer_core::{Timestamp, format_phone};
use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub(super) fn draw(frame: &mut Frame, app: &App, index: usize, detail: &Detail) {
    let entry = app.calls().get(index);
    let phone = entry.map(|c| c.phone.clone()).unwrap_or_default();
    let name = entry
        .and_then(|c| c.name.as_deref())
        .map_or_else(String::new, |n| format!("{n} · "));
    let title = format!(
        " Entry {} · {name}{} ({phone}) · {} to close ",
        index,
        format_phone(&phone),
        keys::key_for(Action::Close)
    );
    let inner = popup(frame, 76, 20, title);
    let lines = match detail {
        Detail::Loading => vec![Line::from(" loading…")],
        Detail::Failed(e) => vec![Line::styled(format!(" {e}"), app.theme.error)],
        Detail::Loaded(d) => lines(&app.theme, d, app.server_now()),
    };
    // Scrolled by the arrows, no further than its lines (once wrapped, a
    // little over rather than under).
    let width = usize::from(inner.width.saturating_sub(8)).max(1);
    let wrapped: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let most = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .saturating_sub(inner.height);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.scroll.min(most), 0)),
        inner,
    );
}

fn lines(theme: &Theme, d: &LenientDetail, now: Option<Timestamp>) -> Vec<Line<'static>> {
    let c = &d.call;
    let mut lines = vec![Line::from(vec![
        Span::raw(" status "),
        Span::styled(words::reported(&c.status), theme.reported(&c.status)),
        Span::raw(match &c.outcome {
            Some(o) if c.status == numdialer_core::Status::Completed => {
                format!(" · {}", words::outcome_text(o))
            }
            _ => String::new(),
        }),
        Span::raw(match &c.answered_by {
            Some(by) if by != "unknown" => format!(" · answered by {by}"),
            _ => String::new(),
        }),
        Span::raw(if c.voicemail_left {
            " · voicemail left"
        } else {
            ""
        }),
        Span::raw(match &c.id {
            Some(id) => format!(" · call id {id}"),
            None => String::new(),
        }),
        Span::raw(match c.attempt {
            0 | 1 => String::new(),
            n => format!(" · attempt {n}"),
        }),
    ])];
    if let Some(r) = &c.reason {
        let style = if c.held {
            theme.statuses.held
        } else {
            theme.error
        };
        lines.push(Line::styled(format!(" reason {r}"), style));
    }
    // The callee's own clock, for a campaign with calling hours: what
    // "outside calling hours" means where the phone rings.
    if let Some(now) = now {
        let clocks: Vec<String> = c
            .timezones
            .iter()
            .filter_map(|z| Some(format!("{} in {z}", local_time(z, now)?)))
            .collect();
        if !clocks.is_empty() {
            lines.push(Line::from(format!(
                " local time at the callee {}",
                clocks.join(" · ")
            )));
        }
    }
    lines.push(Line::from(""));
    let retried = d.history.iter().any(|e| e.attempt > 1);
    lines.extend(d.history.iter().map(|e| event_line(theme, e, retried)));
    if d.events_dropped > 0 {
        lines.push(Line::from(format!(
            " … and {} more events",
            d.events_dropped
        )));
    }
    lines
}

/// "20:01:02.123 webhook ringing (id 1000)   ignored · entry is already completed"
fn event_line(theme: &Theme, e: &Event, retried: bool) -> Line<'static> {
    let time = e.at.to_string();
    let what = match &e.kind {
        EventKind::Dialed => "dial sent".to_string(),
        EventKind::Placed { id } => format!("placed, id {id}"),
        EventKind::Refused { reason } => format!("refused: {reason}"),
        EventKind::Unreachable { reason } => format!("unreachable: {reason}"),
        EventKind::Unanswered { reason } => format!("no answer: {reason}"),
        EventKind::Webhook { id, reported } => format!("webhook {reported} (id {id})"),
        EventKind::TimedOut { after_ms } => {
            format!("timed out after {}", format_seconds(*after_ms))
        }
        EventKind::RetryScheduled { outcome, retry_at } => {
            format!("{outcome}: retry at {}", &retry_at.to_string()[11..19])
        }
        EventKind::Canceled => "canceled".to_string(),
        EventKind::Deferred { retry_at } => format!("held until {}", &retry_at.to_string()[11..19]),
        EventKind::Detected {
            answered_by,
            raw,
            detection_ms,
            ..
        } => {
            let raw = raw
                .as_deref()
                .filter(|r| r != answered_by)
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            let took = detection_ms
                .map(|ms| format!(" after {}", format_seconds(ms)))
                .unwrap_or_default();
            format!("answered by {answered_by}{raw}{took}")
        }
        EventKind::DetectionTimedOut { after_ms } => format!(
            "no answering-machine result within {}",
            format_seconds(*after_ms)
        ),
        EventKind::Voicemail { left: true, .. } => "voicemail left".to_string(),
        EventKind::Voicemail { reason, .. } => format!(
            "voicemail not left: {}",
            reason.as_deref().unwrap_or("no reason given")
        ),
    };
    let outcome = match (&e.applied, &e.note) {
        (true, None) => "applied".to_string(),
        (true, Some(n)) => format!("applied · {n}"),
        (false, Some(n)) => format!("ignored · {n}"),
        (false, None) => "ignored".to_string(),
    };
    let style = if e.applied { Style::new() } else { theme.dim };
    let attempt = if retried {
        format!("#{} ", e.attempt)
    } else {
        String::new()
    };
    Line::from(vec![
        Span::raw(format!(" {} {attempt}", &time[11..23])),
        Span::styled(format!("{what:<30} "), style),
        Span::styled(outcome, style),
    ])
}
