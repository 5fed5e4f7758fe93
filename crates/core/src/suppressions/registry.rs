//! The US National Do Not Call Registry's download formats, read one line
//! at a time so that a copy of any size streams: a 10-digit number a line
//! (`3018040009`), or area code and number apart (`301,8040009`). Its
//! lines are US national numbers and are stored with their `1`.

/// A line that is neither format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a registry line: the registry's files have one 10-digit US number a line (3018040009) or area code, comma, number (301,8040009)"
)]
pub struct RegistryLineError {
    pub text: String,
}

/// Which of the registry's two formats a line is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryForm {
    /// `3018040009`: ten digits.
    Plain,
    /// `301,8040009`: area code, comma, number.
    Comma,
}

impl std::fmt::Display for RegistryForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RegistryForm::Plain => "ten digits (3018040009)",
            RegistryForm::Comma => "area code, comma, number (301,8040009)",
        })
    }
}

/// The format of a line that [`read_registry_line`] reads; `None` for a
/// blank one. A file is one download, so all its lines share a format: a
/// file that mixes them was put together by hand, and is refused.
pub fn registry_form(line: &str) -> Option<RegistryForm> {
    let t = line.trim();
    if t.is_empty() {
        None
    } else if t.contains(',') {
        Some(RegistryForm::Comma)
    } else {
        Some(RegistryForm::Plain)
    }
}

/// The number on one line as digits with the country code (`13018040009`),
/// or `None` for a blank line.
pub fn read_registry_line(line: &str) -> Result<Option<String>, RegistryLineError> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let (area, rest) = match t.split_once(',') {
        Some((a, r)) => (a.trim(), r.trim()),
        None if t.len() == 10 => t.split_at(3),
        None => ("", t),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    // Area codes and exchanges never start with 0 or 1 (the NANP's rule).
    let nanp = |s: &str| s.as_bytes().first().is_some_and(|&b| b >= b'2');
    if digits(area, 3) && digits(rest, 7) && nanp(area) && nanp(rest) {
        Ok(Some(format!("1{area}{rest}")))
    } else {
        Err(RegistryLineError {
            text: t.chars().take(40).collect(),
        })
    }
}

/// The oldest a registry copy may be, in days, for a campaign with
/// `require_registry` to dial: the safe harbour's 31 days.
pub const REGISTRY_MAX_AGE_DAYS: i64 = 31;

/// Why a campaign with `require_registry` may not dial now, given the
/// newest registry import's `registry_date` (none yet, or more than
/// [`REGISTRY_MAX_AGE_DAYS`] before `now`'s date in UTC); `None` while it
/// is current.
pub fn registry_hold(newest: Option<&str>, now: crate::time::Timestamp) -> Option<String> {
    let Some(text) = newest else {
        return Some(
            "it requires a do-not-call registry copy, and none was imported: \
             not dialing until one is (POST /suppressions?source=registry&registry_date=)"
                .into(),
        );
    };
    let date: jiff::civil::Date = text.trim().parse().ok()?;
    let ms = i64::try_from(now.millis()).unwrap_or(i64::MAX);
    let now = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::MAX);
    let today = jiff::tz::TimeZone::UTC.to_datetime(now).date();
    let age = date.until(today).ok()?.get_days();
    (i64::from(age) > REGISTRY_MAX_AGE_DAYS).then(|| {
        format!(
            "the newest do-not-call registry copy is of {date}, {age} days old (more than \
             {REGISTRY_MAX_AGE_DAYS}): not dialing until a newer one is imported"
        )
    })
}

/// A registry copy's `registry_date` (`YYYY-MM-DD`), not after `today`'s
/// date in UTC: the safe-harbour rule counts from the day it was
/// downloaded, so a date still to come is a mistake.
pub fn read_registry_date(text: &str, today: crate::time::Timestamp) -> Result<String, String> {
    let date: jiff::civil::Date = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a date (YYYY-MM-DD)"))?;
    let ms = i64::try_from(today.millis()).unwrap_or(i64::MAX);
    let now = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::MAX);
    let today = jiff::tz::TimeZone::UTC.to_datetime(now).date();
    if date > today {
        return Err(format!(
            "{date} is in the future; give the day the registry file was downloaded"
        ));
    }
    Ok(date.to_string())
}
