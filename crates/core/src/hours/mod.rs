//! Calling hours in the callee's local time: never dial a person at 3 a.m.
//! their time.
//!
//! - [`window`]: a campaign's settings, [`Hours`]: `calling_hours`
//!   ([`CallingHours`], a daily [`Window`] or `off`), [`Days`],
//!   [`Holidays`] and `fallback_timezone`, each parsed from text with an
//!   error that names it.
//! - [`rules`]: the stricter rules file, [`CallingRules`]: number prefixes
//!   to a named window.
//! - [`input`]: the settings as a client sends them, [`HoursInput`],
//!   checked with errors that name the field.
//! - [`schedule`]: [`Schedule`], one campaign's hours (narrowed by a rule)
//!   answering a [`Verdict`] for a zone set at an instant.
//!
//! An entry is open only when the local time is inside the window in
//! **every** zone of its set ([`crate::zones`]), on an allowed day that is
//! not a holiday there. Days and holidays are read on the local date of the
//! instant: with a window over midnight (`21:00-08:00`), Saturday 01:00 is
//! Saturday. A window's start is included and its end is not.

pub mod input;
pub mod rules;
pub mod schedule;
pub mod window;

#[cfg(test)]
mod tests;

pub use input::{HoursInput, HoursInputError, TextOrList};
pub use rules::{CallingRule, CallingRules, RuleId, RulesError};
pub use schedule::{Schedule, UNKNOWN_REASON, Verdict};
pub use window::{CallingHours, Days, Holidays, Hours, HoursError, Window};
