//! What both command lines read alike: value parsers for seconds, time
//! scales, dial rates and base URLs, the provider choice ([`ProviderKind`])
//! and the dial rate it implies when `--max-cps` is not given.
//!
//! They live in core, not in either binary's CLI module, because both
//! command lines take these values (`numdialer-server` and the `numdialer`
//! TUI) and must read and refuse them alike. Were they in the server's CLI,
//! the TUI would depend on the server's command line to parse its own, an
//! upward dependency that makes the client's flags change whenever the
//! server's CLI is restructured. Pure functions, no I/O: each takes the
//! flag's text and returns the value or a sentence that says what was
//! expected, which clap prints after the flag's name.

use crate::protocol::twilio;
use std::time::Duration;

/// The longest duration any flag accepts: longer is surely a typo.
const MAX_SECONDS: f64 = 31_536_000.0;

/// The largest time scale a simulator accepts.
const MAX_SCALE: f64 = 1000.0;

/// A positive number of seconds, fractions allowed, at most a year.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(v.is_finite() && v > 0.0 && v <= MAX_SECONDS) {
        return Err(format!("{s:?} must be more than 0 and at most a year"));
    }
    Ok(Duration::from_secs_f64(v))
}

/// A factor from 0 to 1000 by which a simulator stretches its delays.
pub fn parse_scale(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if !(v.is_finite() && (0.0..=MAX_SCALE).contains(&v)) {
        return Err(format!("{s:?} must be between 0 and 1000"));
    }
    Ok(v)
}

/// The slowest cap `--max-cps` accepts: one request every 1,000 s. Below
/// it the gap between two requests grows past what a timer can hold.
pub const MIN_CPS: f64 = 0.001;

/// The fastest cap `--max-cps` accepts; past it a cap means nothing.
pub const MAX_CPS: f64 = 10_000.0;

/// A cap of dials a second (`--max-cps`): 0 is no cap, otherwise from
/// [`MIN_CPS`] to [`MAX_CPS`], fractions allowed.
pub fn parse_cps(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a number"))?;
    if !(v == 0.0 || (MIN_CPS..=MAX_CPS).contains(&v)) {
        return Err(format!(
            "{s:?} must be 0 (no cap) or from {MIN_CPS} to {MAX_CPS} dials a second"
        ));
    }
    Ok(v)
}

/// The protocol of the dialer API (`--dialer`, and `--protocol` of
/// `numdialer-server simulate`). One type for both command lines and the
/// server's configuration, so that a new provider is one more variant here.
/// Its variants carry no doc comments: clap would show them in `--help`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderKind {
    #[default]
    Numdialer,
    Twilio,
}

impl ProviderKind {
    /// The cap when `--max-cps` is not given: Twilio's own account limit,
    /// so that a new account is not turned away; none for numDialer.
    pub fn default_max_cps(self) -> Option<f64> {
        match self {
            ProviderKind::Numdialer => None,
            ProviderKind::Twilio => Some(twilio::DEFAULT_MAX_CPS),
        }
    }

    /// The cap in force: `--max-cps` if given (0 is none), else
    /// [`ProviderKind::default_max_cps`].
    pub fn max_cps(self, given: Option<f64>) -> Option<f64> {
        match given {
            Some(c) => Some(c).filter(|c| *c > 0.0),
            None => self.default_max_cps(),
        }
    }
}

/// An absolute `http://` or `https://` URL with a host, returned without
/// trailing slashes so that paths can be appended to it as `{base}/calls`.
pub fn parse_http_url(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("{s:?} must be an http:// or https:// URL"));
    }
    Ok(s.trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cps_cap_is_zero_or_more() {
        assert_eq!(parse_cps("2.5"), Ok(2.5));
        assert_eq!(parse_cps(" 0 "), Ok(0.0));
        assert_eq!(parse_cps("0.001"), Ok(MIN_CPS));
        assert_eq!(parse_cps("10000"), Ok(MAX_CPS));
        for bad in ["-1", "x", "inf", "NaN"] {
            assert!(parse_cps(bad).is_err(), "{bad}");
        }
        for bad in ["1e-20", "0.0009", "10001", "1e300", "-0.5"] {
            assert_eq!(
                parse_cps(bad),
                Err(format!(
                    "{bad:?} must be 0 (no cap) or from 0.001 to 10000 dials a second"
                ))
            );
        }
    }

    #[test]
    fn twilio_is_capped_at_its_account_limit_unless_told() {
        use ProviderKind::*;
        assert_eq!(Numdialer.max_cps(None), None);
        assert_eq!(Twilio.max_cps(None), Some(1.0));
        assert_eq!(Twilio.max_cps(Some(0.0)), None, "0 lifts the cap");
        assert_eq!(Numdialer.max_cps(Some(2.5)), Some(2.5));
        assert_eq!(Twilio.max_cps(Some(3.0)), Some(3.0));
        assert_eq!(ProviderKind::default(), Numdialer);
    }

    #[test]
    fn seconds_are_positive_and_at_most_a_year() {
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds(" 60 "), Ok(Duration::from_secs(60)));
        assert_eq!(
            parse_seconds("31536000"),
            Ok(Duration::from_secs(31_536_000))
        );
        assert_eq!(
            parse_seconds("x"),
            Err(r#""x" is not a number of seconds"#.into())
        );
        for bad in ["0", "-1", "31536001", "inf", "NaN"] {
            assert_eq!(
                parse_seconds(bad),
                Err(format!("{bad:?} must be more than 0 and at most a year"))
            );
        }
    }

    #[test]
    fn scales_run_from_0_to_1000() {
        assert_eq!(parse_scale("0"), Ok(0.0));
        assert_eq!(parse_scale("0.01"), Ok(0.01));
        assert_eq!(parse_scale("1000"), Ok(1000.0));
        assert_eq!(parse_scale("y"), Err(r#""y" is not a number"#.into()));
        for bad in ["-1", "1000.5", "NaN", "inf"] {
            assert_eq!(
                parse_scale(bad),
                Err(format!("{bad:?} must be between 0 and 1000"))
            );
        }
    }

    #[test]
    fn urls_are_http_with_a_host_and_lose_trailing_slashes() {
        assert_eq!(parse_http_url("http://h:1/").as_deref(), Ok("http://h:1"));
        assert_eq!(
            parse_http_url("https://vps.example.com/base//").as_deref(),
            Ok("https://vps.example.com/base")
        );
        assert_eq!(
            parse_http_url("x"),
            Err(r#""x" is not a URL: relative URL without a base"#.into())
        );
        assert_eq!(
            parse_http_url("http://"),
            Err(r#""http://" is not a URL: empty host"#.into())
        );
        for bad in ["ftp://h", "h:1", "localhost:4830", "mailto:a@b"] {
            assert_eq!(
                parse_http_url(bad),
                Err(format!("{bad:?} must be an http:// or https:// URL"))
            );
        }
    }
}
