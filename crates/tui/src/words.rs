//! The words numdialer uses for what the server reports, shared by the
//! screen (`app`, `views`) and the commands for scripts (`commands`): an
//! outcome as a person says it, a campaign's outcomes in one line, and the
//! file name an export gets. One home, so that the screen and a script's
//! output never say the same thing in two ways.

use numdialer_core::api::CampaignSummary;
use numdialer_core::status::{Lenient, Outcome, Status, Word};
use std::borrow::Cow;

/// `answered 80 · no answer 30 · failed 10 · canceled 0`, and after
/// them any outcome this build does not know, as the server wrote it
/// (`· voicemail 3`).
pub fn outcomes(c: &CampaignSummary) -> String {
    Outcome::USUAL
        .into_iter()
        .map(|o| format!("{} {}", outcome_words(o), c.outcome(o)))
        .chain(unknown_outcomes(c).map(|(o, n)| format!("{o} {n}")))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The outcomes a newer server counts that this build does not know, and
/// those it knows outside [`Outcome::USUAL`] once counted (`skipped`), in
/// the server's order, with their counts.
pub fn unknown_outcomes(c: &CampaignSummary) -> impl Iterator<Item = (&str, usize)> {
    c.outcomes
        .iter()
        .filter(|(o, n)| match o.parse::<Outcome>() {
            Err(_) => true,
            // Known but not in a fixed column (skipped): shown once counted.
            Ok(o) => !Outcome::USUAL.contains(&o) && **n > 0,
        })
        .map(|(o, n)| (o.as_str(), *n))
}

/// An outcome as a person says it (`no answer`, not `no_answer`).
pub fn outcome_words(o: Outcome) -> &'static str {
    match o {
        Outcome::Answered => "answered",
        Outcome::NoAnswer => "no answer",
        Outcome::Failed => "failed",
        Outcome::Canceled => "canceled",
        Outcome::Skipped => "skipped",
        Outcome::Suppressed => "do not call",
        Outcome::Machine => "machine",
    }
}

/// A status as the server wrote it, one this build does not know
/// included.
pub fn reported(status: &Lenient<Status>) -> Cow<'static, str> {
    text(status)
}

/// An outcome as a person says it, or as the server wrote it when this
/// build does not know it.
pub fn outcome_text(o: &Lenient<Outcome>) -> Cow<'static, str> {
    match o.known() {
        Some(o) => outcome_words(o).into(),
        None => text(o),
    }
}

/// A word without a copy when it is one this build knows.
fn text<T: Word>(w: &Lenient<T>) -> Cow<'static, str> {
    match w.known() {
        Some(t) => t.as_str().into(),
        None => w.as_str().to_string().into(),
    }
}

/// "1 entry", "3 entries".
pub fn entries(n: usize) -> String {
    plural(n, "entry", "entries")
}

/// `n` and the word for one or for many: "1 call", "2 calls".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `<name>-<id>.csv`, the name the TUI also gives an export, with
/// anything that would leave the directory or trouble a shell made `-`.
pub fn export_file_name(c: &CampaignSummary) -> String {
    let name: String = c
        .name
        .chars()
        .map(|ch| {
            if ch.is_alphanumeric() || matches!(ch, '-' | '_' | '.') {
                ch
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches(|c| c == '-' || c == '.');
    if name.is_empty() {
        format!("campaign-{}.csv", c.id)
    } else {
        format!("{name}-{}.csv", c.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::show::tests::summary;
    use numdialer_core::campaign::CampaignState;

    #[test]
    fn export_names_stay_in_the_directory() {
        let mut c = summary(7, "spring leads/2026", CampaignState::Done, 1, [1, 0, 0, 0]);
        assert_eq!(export_file_name(&c), "spring-leads-2026-7.csv");
        c.name = "../..".into();
        assert_eq!(export_file_name(&c), "campaign-7.csv");
        c.name = "Müller_list.v2".into();
        assert_eq!(export_file_name(&c), "Müller_list.v2-7.csv");
    }
}
