//! The lines the TUI asks a person to type: the file to import and its
//! retry settings (`n`), the file to export to (`e`), the filter (`/`).
//!
//! A `Form` is plain state with pure edits, so that `App::update` stays
//! free of I/O and tests can type into it. The one thing a form needs from
//! the disk, the names that Tab completes a path with, is asked of the run
//! loop as a command and comes back as an event (`Form::complete_with`);
//! the filter completes from its fixed list of words without asking.

use crate::client::upload::{AnswerFlags, HoursSettings};
use crate::client::{Format, Settings};
use numdialer_core::Status;
use numdialer_core::answer::AnswerInput;
use numdialer_core::api::LenientCall;
use numdialer_core::campaign::{MAX_ATTEMPTS, MAX_RETRY_DELAY_S};
use numdialer_core::status::Outcome;
use std::path::Path;

/// The most names a completion lists under its field; more would push the
/// form off a small terminal, and typing one more letter narrows them.
pub const MAX_CANDIDATES: usize = 8;

/// What a form asks for, and so what submitting it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// A file to import as a new campaign, and the campaign's settings.
    Import,
    /// Where to write campaign `id`'s CSV.
    Export { id: u64 },
    /// The status or outcome the calls table shows alone.
    Filter,
}

/// One line of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub label: &'static str,
    pub text: String,
    /// Tab completes a path here (rather than a filter word, or nothing).
    pub path: bool,
}

impl Field {
    fn new(label: &'static str, text: &str) -> Field {
        Field {
            label,
            text: text.to_string(),
            path: false,
        }
    }

    fn path(label: &'static str, text: &str) -> Field {
        Field {
            path: true,
            ..Field::new(label, text)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub purpose: Purpose,
    pub fields: Vec<Field>,
    /// The field being typed into.
    pub focus: usize,
    /// Why the last submit was refused, shown under the fields.
    pub error: Option<String>,
    /// The names Tab found when more than one fits, shown under the field.
    pub candidates: Vec<String>,
}

/// What a submitted form asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    Import {
        path: String,
        format: Format,
        settings: Settings,
        /// Where numbers without `+` are read; `None`: the server's
        /// default.
        country: Option<String>,
        /// Answering-machine detection and voicemail; empty: off.
        answers: AnswerFlags,
        /// Its calling hours and days; empty: the server's default.
        /// Boxed: the rarest part of the largest variant.
        hours: Box<HoursSettings>,
    },
    Export {
        id: u64,
        path: String,
    },
    /// `None` clears the filter.
    Filter(Option<Filter>),
}

/// The import form's fields, in order.
const FILE: usize = 0;
const NAME: usize = 1;
const ATTEMPTS: usize = 2;
const DELAY: usize = 3;
const RETRY_ON: usize = 4;
const COUNTRY: usize = 5;
const AMD: usize = 6;
const VOICEMAIL: usize = 7;
const CALLING_HOURS: usize = 8;
const DAYS: usize = 9;

impl Form {
    /// The import form, with the server's default retry settings filled in
    /// so that the person sees what they get by pressing Enter.
    pub fn import() -> Form {
        Form::with(
            Purpose::Import,
            vec![
                Field::path("File", ""),
                Field::new("Name", ""),
                Field::new("Attempts", "1"),
                Field::new("Retry after (s)", "300"),
                Field::new("Retry on", "no_answer,failed"),
                Field::new("Country", ""),
                Field::new("Answering machine", "off"),
                Field::new("Voicemail", ""),
                Field::new("Calling hours", ""),
                Field::new("Days", ""),
            ],
        )
    }

    /// The export form, with the path `numdialer export ID -o .` would use.
    pub fn export(id: u64, default_path: String) -> Form {
        Form::with(
            Purpose::Export { id },
            vec![Field::path("Write to", &default_path)],
        )
    }

    /// The filter form, holding the filter in force.
    pub fn filter(current: Option<&Filter>) -> Form {
        let text = current.map_or("", |f| f.word());
        Form::with(Purpose::Filter, vec![Field::new("Show only", text)])
    }

    fn with(purpose: Purpose, fields: Vec<Field>) -> Form {
        Form {
            purpose,
            fields,
            focus: 0,
            error: None,
            candidates: Vec::new(),
        }
    }

    pub fn focused(&self) -> &Field {
        &self.fields[self.focus]
    }

    pub fn type_char(&mut self, c: char) {
        self.fields[self.focus].text.push(c);
        self.candidates.clear();
    }

    pub fn erase(&mut self) {
        self.fields[self.focus].text.pop();
        self.candidates.clear();
    }

    /// Moves to the next field (`by` 1) or the previous one (`by` -1),
    /// round the ends.
    pub fn move_focus(&mut self, by: isize) {
        let n = self.fields.len() as isize;
        self.focus = (self.focus as isize + by).rem_euclid(n) as usize;
        self.candidates.clear();
    }

    /// Tab: the typed path to ask the disk about, for a path field. A
    /// filter word completes at once, and other fields move on.
    pub fn complete(&mut self) -> Option<String> {
        if self.focused().path {
            return Some(self.focused().text.clone());
        }
        if self.purpose == Purpose::Filter {
            let typed = self.focused().text.clone();
            let names = Filter::WORDS
                .iter()
                .filter(|w| w.starts_with(typed.trim()))
                .map(|w| w.to_string())
                .collect();
            self.complete_with(&typed, names);
        } else {
            self.move_focus(1);
        }
        None
    }

    /// Completes the focused field, if it still holds `typed`, from
    /// `names` (each a whole value starting with `typed`): one name is
    /// taken, several extend the text to what they share and are listed.
    pub fn complete_with(&mut self, typed: &str, mut names: Vec<String>) {
        if self.focused().text != typed {
            return;
        }
        names.sort();
        let field = &mut self.fields[self.focus];
        match names.as_slice() {
            [] => self.candidates.clear(),
            [one] => {
                field.text = one.clone();
                self.candidates.clear();
            }
            many => {
                field.text = common_prefix(many);
                self.candidates = many.iter().take(MAX_CANDIDATES).cloned().collect();
                if many.len() > MAX_CANDIDATES {
                    let more = many.len() - MAX_CANDIDATES;
                    self.candidates.push(format!("… and {more} more"));
                }
            }
        }
    }

    /// Enter: what the form asks for, or why it cannot be sent (kept in
    /// `error`, and the form stays open to be fixed).
    pub fn submit(&mut self) -> Option<Submitted> {
        let result = match self.purpose {
            Purpose::Import => self.import_request(),
            Purpose::Export { id } => match self.fields[0].text.trim() {
                "" => Err("name a file to write".to_string()),
                path => Ok(Submitted::Export {
                    id,
                    path: path.to_string(),
                }),
            },
            Purpose::Filter => Filter::parse(&self.fields[0].text).map(Submitted::Filter),
        };
        match result {
            Ok(s) => Some(s),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    fn import_request(&self) -> Result<Submitted, String> {
        let text = |i: usize| self.fields[i].text.trim();
        let path = text(FILE);
        if path.is_empty() {
            return Err("name the file to import (Tab completes)".into());
        }
        let format = Format::from_path(Path::new(path))
            .ok_or_else(|| format!("{path}: name a .csv, .txt or .json file"))?;
        let max_attempts: u32 = text(ATTEMPTS)
            .parse()
            .ok()
            .filter(|n| (1..=MAX_ATTEMPTS).contains(n))
            .ok_or_else(|| format!("attempts: a whole number from 1 to {MAX_ATTEMPTS}"))?;
        let retry_delay: u64 = text(DELAY)
            .parse()
            .ok()
            .filter(|s| *s <= MAX_RETRY_DELAY_S)
            .ok_or_else(|| format!("retry after: seconds, 0 to {MAX_RETRY_DELAY_S}"))?;
        let retry_on = text(RETRY_ON)
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(|w| match w {
                "no_answer" | "no answer" => Ok(Outcome::NoAnswer),
                "failed" => Ok(Outcome::Failed),
                "machine" => Ok(Outcome::Machine),
                other => Err(format!(
                    "retry on: {other:?} is not retried; no_answer, failed, machine"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Checked here for its shape only; the server knows which codes
        // are countries.
        let country = match text(COUNTRY) {
            "" => None,
            c if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                Some(c.to_ascii_uppercase())
            }
            c => {
                return Err(format!(
                    "country: {c:?} is not a two-letter code such as US or GB \
                     (numbers without + are read in it); empty: the server's default"
                ));
            }
        };
        let answers = answer_flags(text(AMD), text(VOICEMAIL))?;
        // Checked as `numdialer add` checks its flags; empty leaves the
        // server's default (its --calling-hours).
        let optional =
            |i: usize, what: &str, parse: fn(&str) -> Result<String, String>| match text(i) {
                "" => Ok(None),
                t => parse(t)
                    .map(Some)
                    .map_err(|e| format!("{what}: {e}; empty: the server's default")),
            };
        let hours = HoursSettings {
            calling_hours: optional(
                CALLING_HOURS,
                "calling hours",
                crate::commands::add::parse_calling_hours,
            )?,
            days: optional(DAYS, "days", crate::commands::add::parse_days)?,
            ..HoursSettings::default()
        };
        let name = match text(NAME) {
            "" if format != Format::Json => Path::new(path)
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string),
            "" => None,
            n => Some(n.to_string()),
        };
        Ok(Submitted::Import {
            path: path.to_string(),
            format,
            settings: Settings {
                name,
                max_attempts: Some(max_attempts),
                retry_delay: Some(retry_delay),
                retry_on: Some(retry_on),
                start: false,
                require_registry: false,
            },
            country,
            answers,
            hours: Box::new(hours),
        })
    }
}

/// The form's answering-machine fields, checked as the server checks
/// them: `off`, `detect` or `detect_message_end`; a voicemail `say:TEXT`
/// or `play:URL` with detection on.
fn answer_flags(amd: &str, voicemail: &str) -> Result<AnswerFlags, String> {
    let amd = match amd {
        "" | "off" => None,
        a => Some(a.to_string()),
    };
    let voicemail = (!voicemail.is_empty() && voicemail != "off").then(|| voicemail.to_string());
    let input = AnswerInput {
        amd: amd.clone(),
        voicemail: voicemail.clone(),
        tuning: Vec::new(),
    };
    input.settings().map_err(|e| e.to_string())?;
    Ok(AnswerFlags {
        amd,
        voicemail,
        tuning: Vec::new(),
    })
}

/// The longest start that every name shares, cut at a character.
fn common_prefix(names: &[String]) -> String {
    let first = &names[0];
    let mut end = first.len();
    for n in &names[1..] {
        end = first
            .char_indices()
            .zip(n.chars())
            .find(|((_, a), b)| a != b)
            .map_or(end.min(n.len()), |((i, _), _)| i.min(end));
    }
    first[..end].to_string()
}

/// Which entries the calls table shows: those whose status, or whose
/// outcome, is the word (`answered` shows a call under way and a final
/// answered one alike; `no_answer` is only an outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(&'static str);

impl Filter {
    /// Every word a filter takes: the statuses, then the outcome that is
    /// no status.
    pub const WORDS: [&'static str; 9] = [
        "idle",
        "dialing",
        "ringing",
        "answered",
        "completed",
        "failed",
        "waiting",
        "canceled",
        "no_answer",
    ];

    /// The filter a typed word asks for; an empty line asks for none.
    pub fn parse(text: &str) -> Result<Option<Filter>, String> {
        let word = text.trim().to_ascii_lowercase().replace(' ', "_");
        if word.is_empty() {
            return Ok(None);
        }
        Filter::WORDS
            .iter()
            .find(|w| **w == word)
            .map(|w| Some(Filter(w)))
            .ok_or_else(|| {
                format!(
                    "{word:?}: nothing matches; one of {}",
                    Filter::WORDS.join(", ")
                )
            })
    }

    pub fn word(&self) -> &'static str {
        self.0
    }

    pub fn matches(&self, c: &LenientCall) -> bool {
        c.status.as_str() == self.0 || c.outcome.as_ref().is_some_and(|o| o.as_str() == self.0)
    }

    /// The statuses that may match, for a legend; none for `no_answer`.
    pub fn status(&self) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(form: &mut Form, text: &str) {
        for c in text.chars() {
            form.type_char(c);
        }
    }

    #[test]
    fn the_import_form_sends_its_fields_as_settings() {
        let mut f = Form::import();
        assert_eq!(
            f.submit(),
            None,
            "no file named: the form stays open and says why"
        );
        assert_eq!(
            f.error.as_deref(),
            Some("name the file to import (Tab completes)")
        );
        typed(&mut f, "lists/spring leads.csv");
        let Some(Submitted::Import {
            path,
            format,
            settings,
            country: None,
            answers,
            hours,
        }) = f.submit()
        else {
            panic!("{f:?}");
        };
        assert_eq!(
            (path.as_str(), format),
            ("lists/spring leads.csv", Format::Csv)
        );
        assert_eq!(settings.name.as_deref(), Some("spring leads"));
        assert_eq!(
            answers,
            AnswerFlags::default(),
            "detection off unless asked"
        );
        assert_eq!(*hours, HoursSettings::default(), "the server's default");
        assert_eq!(settings.max_attempts, Some(1));
        assert_eq!(settings.retry_delay, Some(300));
        assert_eq!(
            settings.retry_on,
            Some(vec![Outcome::NoAnswer, Outcome::Failed])
        );
        f.move_focus(2);
        f.erase();
        typed(&mut f, "0");
        assert_eq!(f.submit(), None);
        assert!(f.error.as_deref().unwrap().starts_with("attempts:"));
        f.erase();
        typed(&mut f, "3");
        f.move_focus(2);
        for _ in 0.."no_answer,failed".len() {
            f.erase();
        }
        typed(&mut f, "busy");
        assert_eq!(f.submit(), None);
        assert!(
            f.error
                .as_deref()
                .unwrap()
                .contains("\"busy\" is not retried")
        );
        f.move_focus(-4);
        assert_eq!(f.focus, 0, "round the ends");

        f.erase();
        f.erase();
        f.erase();
        f.erase();
        assert_eq!(f.submit(), None, "no format");
        assert!(
            f.error
                .as_deref()
                .unwrap()
                .ends_with("a .csv, .txt or .json file")
        );
    }

    #[test]
    fn the_import_form_asks_for_answering_machines_and_checks_them() {
        let mut f = Form::import();
        typed(&mut f, "l.csv");
        f.move_focus(VOICEMAIL as isize);
        typed(&mut f, "say:Call us back");
        assert_eq!(f.submit(), None, "a voicemail needs detection");
        assert!(f.error.as_deref().unwrap().contains("voicemail needs amd"));
        f.move_focus(-1);
        assert_eq!(f.focused().label, "Answering machine");
        let clear = |f: &mut Form| {
            while !f.focused().text.is_empty() {
                f.erase();
            }
        };
        clear(&mut f);
        typed(&mut f, "detect_message_end");
        f.move_focus(-(AMD as isize - RETRY_ON as isize));
        clear(&mut f);
        typed(&mut f, "no_answer,machine");
        let Some(Submitted::Import {
            settings, answers, ..
        }) = f.submit()
        else {
            panic!("{f:?}");
        };
        assert_eq!(answers.amd.as_deref(), Some("detect_message_end"));
        assert_eq!(answers.voicemail.as_deref(), Some("say:Call us back"));
        assert_eq!(
            settings.retry_on,
            Some(vec![Outcome::NoAnswer, Outcome::Machine])
        );
    }

    #[test]
    fn the_import_form_sends_calling_hours_checked_as_add_checks_them() {
        let mut f = Form::import();
        typed(&mut f, "leads.csv");
        f.move_focus(CALLING_HOURS as isize);
        assert_eq!(f.focused().label, "Calling hours");
        typed(&mut f, "25:00-21:00");
        assert_eq!(f.submit(), None);
        assert!(
            f.error.as_deref().unwrap().starts_with("calling hours: "),
            "{:?}",
            f.error
        );
        while !f.focused().text.is_empty() {
            f.erase();
        }
        typed(&mut f, "09:00-20:00");
        f.move_focus(1);
        assert_eq!(f.focused().label, "Days");
        typed(&mut f, "mon-fri");
        let Some(Submitted::Import { hours, .. }) = f.submit() else {
            panic!("{f:?}");
        };
        assert_eq!(hours.calling_hours.as_deref(), Some("09:00-20:00"));
        assert!(hours.days.is_some());
    }

    #[test]
    fn the_import_form_sends_a_country_for_numbers_without_a_plus() {
        let mut f = Form::import();
        typed(&mut f, "us.csv");
        f.move_focus(COUNTRY as isize);
        assert_eq!(f.focused().label, "Country");
        typed(&mut f, "usa");
        assert_eq!(f.submit(), None);
        assert!(f.error.as_deref().unwrap().starts_with("country: \"usa\""));
        f.erase();
        let Some(Submitted::Import { country, .. }) = f.submit() else {
            panic!("{f:?}");
        };
        assert_eq!(country.as_deref(), Some("US"));
    }

    #[test]
    fn tab_completes_a_path_through_the_run_loop_and_a_filter_at_once() {
        let mut f = Form::import();
        typed(&mut f, "li");
        assert_eq!(f.complete(), Some("li".to_string()));
        f.complete_with("li", vec!["lists/".into()]);
        assert_eq!(f.focused().text, "lists/");
        f.complete_with("li", vec!["lime.csv".into()]);
        assert_eq!(f.focused().text, "lists/", "an answer to an older Tab");
        f.complete_with(
            "lists/",
            vec!["lists/spring.csv".into(), "lists/sprint.txt".into()],
        );
        assert_eq!(f.focused().text, "lists/sprin");
        assert_eq!(f.candidates, ["lists/spring.csv", "lists/sprint.txt"]);
        f.type_char('g');
        assert!(f.candidates.is_empty());

        let mut filter = Form::filter(None);
        typed(&mut filter, "ca");
        assert_eq!(filter.complete(), None);
        assert_eq!(filter.focused().text, "canceled");
        let mut filter = Form::filter(None);
        typed(&mut filter, "c");
        filter.complete();
        assert_eq!(filter.candidates, ["canceled", "completed"]);
    }

    #[test]
    fn filters_match_a_status_or_an_outcome() {
        let mut c = crate::app::tests::snapshot(&[Status::Completed], true).calls[0].clone();
        c.outcome = Some(Outcome::NoAnswer.into());
        let f = |w| Filter::parse(w).unwrap().unwrap();
        assert!(f("completed").matches(&c));
        assert!(f("no answer").matches(&c));
        assert!(f("NO_ANSWER").matches(&c));
        assert!(!f("answered").matches(&c));
        c.outcome = Some(Outcome::Answered.into());
        assert!(f("answered").matches(&c));
        assert_eq!(Filter::parse("  "), Ok(None));
        assert!(
            Filter::parse("busy")
                .unwrap_err()
                .starts_with("\"busy\": nothing matches; one of idle,")
        );
        assert_eq!(f("failed").status(), Some(Status::Failed));
        assert_eq!(f("no_answer").status(), None);
    }

    #[test]
    fn common_prefixes_end_at_a_character() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(common_prefix(&v(&["abc", "abd"])), "ab");
        assert_eq!(common_prefix(&v(&["ab", "abd"])), "ab");
        assert_eq!(common_prefix(&v(&["é1", "é2"])), "é");
        assert_eq!(common_prefix(&v(&["x", "y"])), "");
    }
}
