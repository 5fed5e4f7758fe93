//! How a campaign reads as plain text for scripts: one progress line, the
//! table of `numdialer campaigns`, what `add` made. Plain functions of a
//! summary, so that tests pin the exact words that scripts may grep. The
//! words the screen shares with them live in [`crate::words`].

use crate::words::{outcomes, unknown_outcomes};
use numdialer_core::api::CampaignSummary;
use numdialer_core::status::Outcome;

/// One line a script can read: `campaign 3 running: 120/1000 final ·
/// answered 80 · no answer 30 · failed 10 · canceled 0`.
pub fn progress_line(c: &CampaignSummary) -> String {
    format!(
        "campaign {} {}: {}/{} final · {}",
        c.id,
        c.state,
        c.finished(),
        c.total,
        outcomes(c)
    )
}

/// The table of `numdialer campaigns`, one campaign a row, numbers
/// aligned right and the name last, since only it has no bound width. An
/// outcome that this build does not know gets a column of its own, named
/// as the server wrote it, after the ones it knows.
pub fn table(campaigns: &[CampaignSummary]) -> String {
    if campaigns.is_empty() {
        return "no campaigns\n".into();
    }
    let mut unknown: Vec<&str> = Vec::new();
    for (o, _) in campaigns.iter().flat_map(unknown_outcomes) {
        if !unknown.contains(&o) {
            unknown.push(o);
        }
    }
    let head: Vec<String> = ["ID", "STATE", "FINAL", "ANSWERED", "NO ANSWER", "FAILED"]
        .into_iter()
        .map(String::from)
        .chain(["CANCELED".into()])
        .chain(unknown.iter().map(|o| o.to_uppercase()))
        .chain(["ATTEMPTS".into(), "NAME".into()])
        .collect();
    let rows: Vec<Vec<String>> = campaigns
        .iter()
        .map(|c| {
            let known = Outcome::USUAL.map(|o| c.outcome(o).to_string());
            [
                c.id.to_string(),
                c.state.to_string(),
                format!("{}/{}", c.finished(), c.total),
            ]
            .into_iter()
            .chain(known)
            .chain(unknown.iter().map(|o| {
                let n = c.outcomes.get(*o).copied().unwrap_or(0);
                n.to_string()
            }))
            .chain([c.attempts.to_string(), c.name.clone()])
            .collect()
        })
        .collect();
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([head[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..head.len()).map(width).collect();
    let last = head.len() - 1;
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = " ".repeat(widths[i].saturating_sub(cell.chars().count()));
            match i {
                // The name last, unpadded; the state words left; the id
                // and the numbers right.
                _ if i == last => s.push_str(cell),
                1 | 2 => s.push_str(&format!("{cell}{pad}  ")),
                _ => s.push_str(&format!("{pad}{cell}  ")),
            }
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut out = line(&head);
    for r in &rows {
        out.push_str(&line(r));
    }
    out
}

/// What `add` says about the campaign it made.
pub fn created(c: &CampaignSummary, existed: bool) -> String {
    let made = if existed {
        format!(
            "campaign {} {:?} was already created with this idempotency key",
            c.id, c.name
        )
    } else {
        format!("created campaign {} {:?}", c.id, c.name)
    };
    let next = if c.state.is_started() {
        format!("follow it with: numdialer watch {}", c.id)
    } else {
        format!("start it with: numdialer start {}", c.id)
    };
    format!(
        "{made}, {}, {}; {next}\n",
        crate::words::entries(c.total),
        c.state
    )
}

/// What `add` warns of on standard error, if anything, about the campaign
/// it made: a safeguard turned off is never silent.
pub fn caution(c: &CampaignSummary) -> Option<&'static str> {
    c.calling.at_any_hour.then_some(
        "warning: calling hours are off: this campaign dials its callees at any hour \
         of their day, through a real dialer API",
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use numdialer_core::Timestamp;
    use numdialer_core::campaign::{CampaignState, RetryPolicy};
    use std::collections::BTreeMap;

    /// A summary of `total` entries: `answered`, `no_answer`, `failed`,
    /// `canceled` of them final with that outcome, the rest idle.
    pub(crate) fn summary(
        id: u64,
        name: &str,
        state: CampaignState,
        total: usize,
        [answered, no_answer, failed, canceled]: [usize; 4],
    ) -> CampaignSummary {
        let mut counts: BTreeMap<String, usize> = numdialer_core::Status::ALL
            .into_iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect();
        counts.insert("completed".into(), answered + no_answer);
        counts.insert("failed".into(), failed);
        counts.insert("canceled".into(), canceled);
        counts.insert(
            "idle".into(),
            total - answered - no_answer - failed - canceled,
        );
        let outcomes = [
            ("answered", answered),
            ("no_answer", no_answer),
            ("failed", failed),
            ("canceled", canceled),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        CampaignSummary {
            id,
            name: name.into(),
            state,
            created_at: Timestamp(0),
            started_at: None,
            finished_at: None,
            total,
            counts,
            outcomes,
            attempts: (answered + no_answer + failed) as u64,
            active: 0,
            retry: RetryPolicy::default(),
            columns: Vec::new(),
            version: 1,
            calling: Default::default(),
            answers: Default::default(),
        }
    }

    #[test]
    fn the_progress_line_names_every_outcome() {
        let c = summary(3, "leads", CampaignState::Running, 1000, [80, 30, 10, 0]);
        assert_eq!(
            progress_line(&c),
            "campaign 3 running: 120/1000 final · answered 80 · no answer 30 · failed 10 · canceled 0"
        );
    }

    #[test]
    fn the_table_aligns_numbers_right_and_names_last() {
        let cs = [
            summary(1, "default", CampaignState::Done, 9, [7, 2, 0, 0]),
            summary(
                12,
                "spring leads",
                CampaignState::Running,
                1000,
                [80, 30, 10, 0],
            ),
        ];
        assert_eq!(
            table(&cs),
            "\
ID  STATE    FINAL     ANSWERED  NO ANSWER  FAILED  CANCELED  ATTEMPTS  NAME
 1  done     9/9              7          2       0         0         9  default
12  running  120/1000        80         30      10         0       120  spring leads
"
        );
        assert_eq!(table(&[]), "no campaigns\n");
    }

    #[test]
    fn an_outcome_this_build_does_not_know_is_shown_as_the_server_wrote_it() {
        let mut c = summary(5, "leads", CampaignState::Running, 10, [3, 1, 0, 0]);
        c.outcomes.insert("voicemail".into(), 2);
        c.counts.insert("paused_by_rule".into(), 1);
        assert_eq!(
            progress_line(&c),
            "campaign 5 running: 4/10 final · answered 3 · no answer 1 · failed 0 · canceled 0 \
             · voicemail 2"
        );
        assert_eq!(
            table(&[
                summary(1, "default", CampaignState::Done, 9, [9, 0, 0, 0]),
                c
            ]),
            "\
ID  STATE    FINAL  ANSWERED  NO ANSWER  FAILED  CANCELED  VOICEMAIL  ATTEMPTS  NAME
 1  done     9/9           9          0       0         0          0         9  default
 5  running  4/10          3          1       0         0          2         4  leads
"
        );
    }

    #[test]
    fn add_says_what_to_do_next() {
        let draft = summary(4, "leads", CampaignState::Draft, 1000, [0; 4]);
        assert_eq!(
            created(&draft, false),
            "created campaign 4 \"leads\", 1000 entries, draft; start it with: numdialer start 4\n"
        );
        let running = summary(4, "leads", CampaignState::Running, 1000, [0; 4]);
        assert_eq!(
            created(&running, true),
            "campaign 4 \"leads\" was already created with this idempotency key, \
             1000 entries, running; follow it with: numdialer watch 4\n"
        );
        assert_eq!(caution(&draft), None);
        let mut unguarded = draft.clone();
        unguarded.calling.at_any_hour = true;
        assert!(caution(&unguarded).is_some_and(|w| w.contains("at any hour")));
        let one = summary(5, "one", CampaignState::Draft, 1, [0; 4]);
        assert!(
            created(&one, false).contains("\"one\", 1 entry, draft"),
            "{}",
            created(&one, false)
        );
    }
}
