//! A campaign's calling-hours settings as a client sends them: JSON
//! fields of an import, or query parameters of a CSV or plain-text one.
//! Checked in one place, so that every way in gets the same messages, each
//! naming the field.

use super::window::{CallingHours, Days, Holidays, Hours, HoursError};
use crate::zones::{ZoneError, ZoneName};
use serde::Deserialize;

/// The settings as sent, not yet checked; what is absent takes the
/// server's default (`calling_hours`) or the setting's own (every day, no
/// holidays, no fallback zone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct HoursInput {
    pub calling_hours: Option<String>,
    pub days: Option<String>,
    /// A list of dates, or one comma-separated string as in a query string.
    pub holidays: Option<TextOrList>,
    pub fallback_timezone: Option<String>,
}

/// A list of strings, or one string of comma-separated values.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum TextOrList {
    List(Vec<String>),
    Text(String),
}

/// A setting that does not parse, named by its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursInputError {
    #[error("calling_hours: {0}")]
    CallingHours(HoursError),
    #[error("days: {0}")]
    Days(HoursError),
    #[error("holidays: {0}")]
    Holidays(HoursError),
    #[error("fallback_timezone: {0}")]
    Fallback(ZoneError),
}

impl HoursInput {
    pub fn is_empty(&self) -> bool {
        *self == HoursInput::default()
    }

    /// The checked settings; `calling_hours` absent is `default`, the
    /// server's `--calling-hours`.
    pub fn hours(&self, default: CallingHours) -> Result<Hours, HoursInputError> {
        let calling_hours = match &self.calling_hours {
            None => default,
            Some(t) => t.parse().map_err(HoursInputError::CallingHours)?,
        };
        let days = match &self.days {
            None => Days::default(),
            Some(t) => t.parse().map_err(HoursInputError::Days)?,
        };
        let holidays = match &self.holidays {
            None => Holidays::default(),
            Some(TextOrList::Text(t)) => t.parse().map_err(HoursInputError::Holidays)?,
            Some(TextOrList::List(l)) => {
                if let Some(blank) = l.iter().find(|d| d.trim().is_empty()) {
                    return Err(HoursInputError::Holidays(HoursError::Holiday(
                        blank.clone(),
                    )));
                }
                l.join(",").parse().map_err(HoursInputError::Holidays)?
            }
        };
        let fallback_timezone = match self.fallback_timezone.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => Some(t.parse::<ZoneName>().map_err(HoursInputError::Fallback)?),
        };
        Ok(Hours {
            calling_hours,
            days,
            holidays,
            fallback_timezone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(calling_hours: Option<&str>) -> HoursInput {
        HoursInput {
            calling_hours: calling_hours.map(String::from),
            ..HoursInput::default()
        }
    }

    #[test]
    fn absent_settings_take_the_defaults() {
        let default: CallingHours = "08:00-21:00".parse().unwrap();
        let h = HoursInput::default().hours(default).unwrap();
        assert_eq!(h.calling_hours, default);
        assert!(h.days.is_every_day() && h.holidays.is_empty());
        assert_eq!(h.fallback_timezone, None);
        assert!(input(Some("off")).hours(default).unwrap().is_off());
    }

    #[test]
    fn each_bad_setting_names_its_field() {
        let off = CallingHours::Off;
        for (bad, field) in [
            (input(Some("25:00-26:00")), "calling_hours: "),
            (input(Some("08:00-08:00")), "calling_hours: "),
            (input(Some("")), "calling_hours: "),
            (
                HoursInput {
                    days: Some("mon-funday".into()),
                    ..HoursInput::default()
                },
                "days: ",
            ),
            (
                HoursInput {
                    holidays: Some(TextOrList::Text("2026-12-25,christmas".into())),
                    ..HoursInput::default()
                },
                "holidays: ",
            ),
            (
                HoursInput {
                    holidays: Some(TextOrList::List(vec!["2026-13-01".into()])),
                    ..HoursInput::default()
                },
                "holidays: ",
            ),
            (
                HoursInput {
                    fallback_timezone: Some("Mars/Olympus".into()),
                    ..HoursInput::default()
                },
                "fallback_timezone: ",
            ),
        ] {
            let e = bad.hours(off).unwrap_err().to_string();
            assert!(e.starts_with(field), "{e}");
        }
    }

    #[test]
    fn a_window_over_midnight_and_lists_are_accepted() {
        let h = HoursInput {
            calling_hours: Some("21:00-08:00".into()),
            days: Some("mon-fri".into()),
            holidays: Some(TextOrList::List(vec![
                "2026-12-25".into(),
                "2027-01-01".into(),
            ])),
            fallback_timezone: Some("America/Chicago".into()),
        }
        .hours(CallingHours::Off)
        .unwrap();
        assert_eq!(h.calling_hours.to_string(), "21:00-08:00");
        assert_eq!(h.days.to_string(), "mon-fri");
        assert_eq!(h.holidays.to_string(), "2026-12-25,2027-01-01");
        assert_eq!(h.fallback_timezone.unwrap().name(), "America/Chicago");
    }
}
