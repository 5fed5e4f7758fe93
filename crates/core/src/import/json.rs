//! `application/json`: [`CreateCampaign`], whose numbers come as
//! `numbers` (strings) or `entries` (phone and name), and whose settings
//! come in the body rather than the query string.

use super::{Collector, ImportError, Imported, Unit, zone_of};
use crate::api::{CreateCampaign, NewEntry};
use crate::campaign::RetryInput;
use crate::hours::HoursInput;
use crate::phone::Country;

/// A JSON body's settings: what CSV and plain-text bodies give as query
/// parameters. Not checked here; the retry policy is checked where the
/// query string's is, so that both get the same messages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BodySettings {
    pub name: Option<String>,
    pub retry: RetryInput,
    pub start: bool,
    /// `require_registry`: see [`crate::campaign::CampaignMeta::require_registry`].
    pub require_registry: bool,
    /// The body's own `country`, which numbers without `+` were read in.
    pub country: Option<Country>,
    /// Its calling-hours settings, not yet checked.
    pub hours: HoursInput,
    /// Its answering-machine settings, not yet checked.
    pub answers: crate::answer::AnswerInput,
}

/// Parses a JSON body. Exactly one of `numbers` and `entries` must be
/// given: with both, which list was meant is a guess. A bad item is
/// named by its position from 1 in that array. Numbers without `+` are
/// read in the body's `country`, or else in `country`.
pub fn parse_json(
    body: &[u8],
    country: Option<Country>,
) -> Result<(BodySettings, Imported), ImportError> {
    read_json(body, country, &|_| None)
}

/// [`parse_json`], each number given to `check` ([`super::parse_checked`]).
pub(super) fn read_json(
    body: &[u8],
    country: Option<Country>,
    check: super::Check<'_>,
) -> Result<(BodySettings, Imported), ImportError> {
    let text = super::utf8(body)?;
    if text.trim().is_empty() {
        return Err(ImportError::whole(
            "the body is empty: expected {\"name\", \"numbers\": [..]} or {\"name\", \"entries\": [{\"phone\", \"name\"}]}",
        ));
    }
    let body: CreateCampaign = serde_json::from_str(text)
        .map_err(|e| ImportError::whole(format!("the body is not a campaign in JSON: {e}")))?;
    let answers = body.answer_input();
    let settings = BodySettings {
        answers,
        name: body.name,
        retry: body.retry,
        start: body.start,
        require_registry: body.require_registry,
        country: body.country,
        hours: HoursInput {
            calling_hours: body.calling_hours,
            days: body.days,
            holidays: body.holidays,
            fallback_timezone: body.fallback_timezone,
        },
    };
    let country = body.country.or(country);
    let (key, entries): (&str, Vec<NewEntry>) = match (body.numbers, body.entries) {
        (Some(numbers), None) => {
            check_len(numbers.len())?;
            let entries = numbers
                .into_iter()
                .map(|phone| NewEntry {
                    phone,
                    name: None,
                    timezone: None,
                })
                .collect();
            ("numbers", entries)
        }
        (None, Some(entries)) => {
            check_len(entries.len())?;
            ("entries", entries)
        }
        (Some(_), Some(_)) => {
            return Err(ImportError::whole(
                "the body has both \"numbers\" and \"entries\": give one of them",
            ));
        }
        (None, None) => {
            return Err(ImportError::whole(
                "the body has no numbers: give \"numbers\": [..] or \"entries\": [{\"phone\", \"name\"}]",
            ));
        }
    };
    let mut out = Collector::new(Unit::Item, entries.len(), country, check);
    for (i, item) in entries.into_iter().enumerate() {
        let long = [("phone", Some(&item.phone)), ("name", item.name.as_ref())]
            .into_iter()
            .find_map(|(what, v)| {
                v.filter(|v| v.len() > super::MAX_FIELD_BYTES)
                    .map(|v| (what, v.len()))
            });
        if let Some((what, bytes)) = long {
            out.bad(i + 1, super::oversized(&format!("its {what}"), bytes));
            continue;
        }
        let zones = match zone_of(item.timezone.as_deref().unwrap_or("")) {
            Ok(z) => z,
            Err(e) => {
                out.bad(i + 1, e);
                continue;
            }
        };
        match out.read(&item.phone) {
            Ok(reading) => {
                let name = item
                    .name
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty());
                out.push_read(i + 1, reading, name, Vec::new(), zones);
            }
            Err(e) => out.bad(i + 1, e),
        }
    }
    let empty = format!("the list has no numbers: \"{key}\" is empty");
    let imported = out.finish(Vec::new(), &empty)?;
    Ok((settings, imported))
}

/// The whole array is in memory already, so its length is checked once
/// rather than item by item.
fn check_len(len: usize) -> Result<(), ImportError> {
    if len > super::MAX_ENTRIES {
        return Err(super::too_many());
    }
    Ok(())
}
