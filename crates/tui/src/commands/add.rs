//! `numdialer add FILE`: imports a list as a new campaign. The file is
//! streamed to the server (a million lines is some 30 MB), with a bar of
//! the bytes sent when stderr is a terminal. A file with bad lines creates
//! nothing: the server's line-numbered errors are printed, and it exits 1.

use super::{Target, json_line, print, show};
use crate::client::upload::{AnswerFlags, HoursSettings};
use crate::client::{Format, Settings, Upload};
use crate::failure::Usage;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use numdialer_core::answer::AnswerInput;
use numdialer_core::campaign::{MAX_ATTEMPTS, MAX_RETRY_DELAY_S};
use numdialer_core::hours::{CallingHours, Days, Holidays};
use numdialer_core::status::Outcome;
use numdialer_core::zones::ZoneName;
use numdialer_core::{Country, CountryError};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const EXAMPLES: &str = "\
A CSV file has a header row with a `phone` column (or one named `Phone
Number`, `mobile`, `tel` or `telephone`), separated by commas, semicolons or
tabs; `name` and any other columns are kept and exported. A text file has
one number a line (`#` comments and blank lines are skipped). A JSON file is
{\"name\", \"numbers\": [...] or \"entries\": [{\"phone\", \"name\"}], \"retry\", \"start\"};
the flags given here replace its own settings. A `timezone` column (an IANA
name like America/Denver) gives an entry's zone; otherwise its number's is
used, and calling hours hold in each callee's local time.

Numbers written without + or 00 are read in --country (or the server's
--default-country); without one, each must be valid as written with its
country code, so that `(984) 206-8287` is never dialed in Iran.

Examples:
  numdialer add leads.csv
  numdialer add us-leads.csv --country US
  numdialer add leads.csv --name \"spring leads\" --max-attempts 3 --retry-delay 600 --start
  numdialer add numbers.txt --retry-on no_answer --json | jq .id
  numdialer add leads.csv --calling-hours 09:00-20:00 --days mon-fri --holidays 2026-12-25
  numdialer add leads.csv --fallback-timezone America/Chicago
  numdialer add leads.csv --amd detect_message_end --voicemail \"say:Call us back.\" --retry-on machine
  some-export | numdialer add - --format csv";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The list: .csv, .txt or .json (see --format); `-` is standard
    /// input (with --format), as `export -o -` is standard output.
    #[arg(value_parser = stdin_as_dash)]
    pub file: PathBuf,
    /// The campaign's name [default: for CSV and text, the file's name
    /// without its extension; a JSON file names itself].
    #[arg(long)]
    pub name: Option<String>,
    /// Attempts per entry in all, the first one included (1: no retries)
    /// [server's default: 1].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_ATTEMPTS as i64))]
    pub max_attempts: Option<u32>,
    /// Seconds from the end of an attempt to the next one [server's
    /// default: 300].
    #[arg(long, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(0..=MAX_RETRY_DELAY_S))]
    pub retry_delay: Option<u64>,
    /// The outcomes that earn another attempt: no_answer, failed, or both
    /// [server's default: no_answer,failed].
    #[arg(long, value_name = "OUTCOMES", value_delimiter = ',', value_parser = parse_retry_on)]
    pub retry_on: Option<Vec<Outcome>>,
    /// Start dialing it at once instead of leaving a draft.
    #[arg(long)]
    pub start: bool,
    /// Dial only while the newest do-not-call registry upload is at most
    /// 31 days old (the US registry's safe harbour).
    #[arg(long, env = "NUMDIALER_REQUIRE_REGISTRY")]
    pub require_registry: bool,
    /// The country (ISO 3166 two-letter code, like US or GB) that numbers
    /// written without + or 00 are read in: `(984) 206-8287` with US is
    /// +1 984-206-8287 [server's default: its --default-country, else
    /// none: such numbers must be valid with their country code].
    #[arg(long, env = "NUMDIALER_COUNTRY", value_parser = parse_country)]
    pub country: Option<Country>,
    /// Calling hours in each callee's local time: HH:MM-HH:MM (21:00-08:00
    /// crosses midnight) or off [server's default: its --calling-hours,
    /// 08:00-21:00 through a real provider].
    #[arg(long, value_name = "HH:MM-HH:MM|off", value_parser = parse_calling_hours)]
    pub calling_hours: Option<String>,
    /// The days calls may be made, in the callee's local date: mon-fri,
    /// mon,wed,fri… [default: every day].
    #[arg(long, value_parser = parse_days)]
    pub days: Option<String>,
    /// Dates on which nothing is dialed, comma-separated YYYY-MM-DD.
    #[arg(long, value_name = "DATES", value_parser = parse_holidays)]
    pub holidays: Option<String>,
    /// The IANA zone (America/Chicago) of numbers whose own zone is
    /// unknown (toll-free +1 800, say); without it they are skipped while
    /// calling hours are on.
    #[arg(long, value_name = "ZONE", value_parser = parse_zone)]
    pub fallback_timezone: Option<String>,
    /// Answering-machine detection (Twilio only): off, detect (a person or
    /// a machine, as soon as known) or detect_message_end (also waits for
    /// a machine's greeting to end, to leave --voicemail) [default: off].
    #[arg(long, value_name = "MODE", value_parser = ["off", "detect", "detect_message_end"])]
    pub amd: Option<String>,
    /// The message left on a machine after its greeting: say:TEXT or
    /// play:URL (http or https); needs --amd.
    #[arg(long, value_name = "say:TEXT|play:URL", value_parser = parse_voicemail, requires = "amd")]
    pub voicemail: Option<String>,
    /// Seconds detection may take before it answers unknown (3 to 59)
    /// [Twilio's default: 30].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(3..=59), requires = "amd")]
    pub machine_detection_timeout: Option<u32>,
    /// Milliseconds of speech beyond which a greeting is a machine's (1000
    /// to 6000) [Twilio's default: 2400].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(1000..=6000), requires = "amd")]
    pub machine_detection_speech_threshold: Option<u32>,
    /// Milliseconds of silence that end a stretch of speech (500 to 5000)
    /// [Twilio's default: 1200].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(500..=5000), requires = "amd")]
    pub machine_detection_speech_end_threshold: Option<u32>,
    /// Milliseconds of silence at the start after which the answer is
    /// unknown (2000 to 10000) [Twilio's default: 5000].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u32).range(2000..=10000), requires = "amd")]
    pub machine_detection_silence_timeout: Option<u32>,
    /// The file's format [default: from its extension].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Sent as the Idempotency-Key header: running the same command again
    /// with the same key (after a timeout, say) gets the campaign the first
    /// run created instead of a second one.
    #[arg(long, value_name = "KEY")]
    pub idempotency_key: Option<String>,
    /// Print the server's JSON (the new campaign's summary) instead of a line.
    #[arg(long)]
    pub json: bool,
}

fn parse_country(s: &str) -> Result<Country, String> {
    s.parse().map_err(|e: CountryError| e.to_string())
}

/// Each calling-hours flag is checked here as the server checks it, so
/// that a typo is a usage error (exit 2) before anything is sent, and
/// sent in the server's own spelling.
pub(crate) fn parse_calling_hours(s: &str) -> Result<String, String> {
    s.parse::<CallingHours>()
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub(crate) fn parse_days(s: &str) -> Result<String, String> {
    s.parse::<Days>()
        .map(|d| d.to_string())
        .map_err(|e| e.to_string())
}

fn parse_holidays(s: &str) -> Result<String, String> {
    s.parse::<Holidays>()
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn parse_zone(s: &str) -> Result<String, String> {
    s.parse::<ZoneName>()
        .map(|z| z.to_string())
        .map_err(|e| e.to_string())
}

fn parse_retry_on(s: &str) -> Result<Outcome, String> {
    match s.trim() {
        "no_answer" => Ok(Outcome::NoAnswer),
        "failed" => Ok(Outcome::Failed),
        "machine" => Ok(Outcome::Machine),
        other => Err(format!(
            "{other:?} is not retried: expected no_answer, failed or machine, comma-separated"
        )),
    }
}

/// Checked as the server checks it, so that a typo is a usage error.
fn parse_voicemail(s: &str) -> Result<String, String> {
    let input = AnswerInput {
        amd: Some("detect".into()),
        voicemail: Some(s.into()),
        tuning: Vec::new(),
    };
    input
        .settings()
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

impl Args {
    /// The file's format, from --format or its extension.
    fn format(&self) -> Result<Format, Usage> {
        self.format
            .or_else(|| Format::from_path(&self.file))
            .ok_or_else(|| {
                Usage(format!(
                    "cannot tell the format of {} from its name: use .csv, .txt or .json, \
                     or pass --format csv|text|json",
                    self.file.display()
                ))
            })
    }

    fn settings(&self, format: Format) -> Settings {
        let name = self.name.clone().or_else(|| match format {
            Format::Json => None,
            Format::Csv | Format::Text => default_name(&self.file),
        });
        Settings {
            name,
            max_attempts: self.max_attempts,
            retry_delay: self.retry_delay,
            retry_on: self.retry_on.clone(),
            start: self.start,
            require_registry: self.require_registry,
        }
    }

    fn answers(&self) -> AnswerFlags {
        let tuning = [
            ("machine_detection_timeout", self.machine_detection_timeout),
            (
                "machine_detection_speech_threshold",
                self.machine_detection_speech_threshold,
            ),
            (
                "machine_detection_speech_end_threshold",
                self.machine_detection_speech_end_threshold,
            ),
            (
                "machine_detection_silence_timeout",
                self.machine_detection_silence_timeout,
            ),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        AnswerFlags {
            amd: self.amd.clone(),
            voicemail: self.voicemail.clone(),
            tuning,
        }
    }

    fn hours(&self) -> HoursSettings {
        HoursSettings {
            calling_hours: self.calling_hours.clone(),
            days: self.days.clone(),
            holidays: self.holidays.clone(),
            fallback_timezone: self.fallback_timezone.clone(),
        }
    }
}

/// `-` as standard input, read where the system shows it as a file.
fn stdin_as_dash(s: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(if s == "-" { "/dev/stdin" } else { s }))
}

/// `leads` for `exports/leads.csv`; nothing for a name that says nothing
/// (`/dev/stdin` is not a campaign's name).
fn default_name(file: &Path) -> Option<String> {
    if file.starts_with("/dev") || file.starts_with("/proc") {
        return None;
    }
    file.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub async fn run(args: Args, target: &Target) -> anyhow::Result<()> {
    let format = args.format()?;
    let mut upload = Upload::open(&args.file, format, &args.settings(format))
        .and_then(|u| u.hours(&args.hours()))
        .and_then(|u| u.answers(&args.answers()))
        .map_err(|e| Usage(e.to_string()))?;
    if let Some(key) = args.idempotency_key.clone() {
        upload = upload.idempotency_key(key);
    }
    if let Some(country) = args.country {
        upload = upload.country(country.to_string());
    }
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| upload_bar(&args.file, upload.size()));
    let sent = Arc::new(AtomicU64::new(0));
    let len = upload.size();
    let request = target.client.add_campaign(upload, sent.clone());
    tokio::pin!(request);
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    let mut storing = false;
    let result = loop {
        tokio::select! {
            r = &mut request => break r,
            _ = ticks.tick() => {
                let Some(bar) = &bar else { continue };
                bar.set_position(sent.load(Ordering::Relaxed));
                if !storing && len.is_some_and(|len| sent.load(Ordering::Relaxed) >= len) {
                    storing = true;
                    bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                        .expect("a valid template"));
                    bar.set_message("sent; the server is checking and storing the list");
                }
            }
        }
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let created = result
        .with_context(|| format!("cannot import {} into {}", args.file.display(), target.url))?;
    // Warnings go to stderr, so that stdout stays the result.
    for w in &created.warnings {
        eprintln!("warning: line {}: {}", w.line, w.warning);
    }
    if created.warning_count > created.warnings.len() {
        eprintln!(
            "warning: … and {} more lines with a warning",
            created.warning_count - created.warnings.len()
        );
    }
    if let Some(warning) = show::caution(&created.campaign) {
        eprintln!("{warning}");
    }
    print(&if args.json {
        json_line(&created.campaign)
    } else {
        show::created(&created.campaign, created.existed)
    })
}

/// The bar of bytes sent, drawn on stderr so that stdout stays the result;
/// a count without a bar when the length is unknown (a pipe).
fn upload_bar(file: &Path, len: Option<u64>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
    // The bar takes what the terminal has left: a line wider than the
    // terminal wraps, and every redraw then leaves a line behind.
    let template = match len {
        Some(_) => "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec}",
        None => "{spinner} {msg} {bytes} {bytes_per_sec}",
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let name = file.file_name().unwrap_or(file.as_os_str());
    bar.set_message(format!("sending {}", name.to_string_lossy()));
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use crate::commands::Command;
    use clap::Parser;

    fn add(args: &[&str]) -> Result<Args, clap::Error> {
        let argv = ["numdialer", "add"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Some(Command::Add(a)) => Ok(*a),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn every_setting_parses() {
        let a = add(&[
            "l.csv",
            "--name",
            "spring",
            "--max-attempts",
            "3",
            "--retry-delay",
            "600",
            "--retry-on",
            "no_answer,failed",
            "--start",
            "--idempotency-key",
            "k1",
            "--json",
        ])
        .unwrap();
        assert_eq!(
            a.settings(Format::Csv),
            Settings {
                name: Some("spring".into()),
                max_attempts: Some(3),
                retry_delay: Some(600),
                retry_on: Some(vec![Outcome::NoAnswer, Outcome::Failed]),
                start: true,
                require_registry: false,
            }
        );
        assert!(a.json);
        assert_eq!(a.idempotency_key.as_deref(), Some("k1"));
    }

    #[test]
    fn bad_settings_are_usage_errors() {
        for bad in [
            &["l.csv", "--max-attempts", "0"][..],
            &["l.csv", "--max-attempts", "11"],
            &["l.csv", "--retry-delay", "-1"],
            &["l.csv", "--retry-delay", "604801"],
            &["l.csv", "--retry-on", "answered"],
            &["l.csv", "--format", "xml"],
            &[],
        ] {
            let e = add(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad:?}: {e}");
        }
    }

    #[test]
    fn answer_flags_are_checked_here_and_sent_by_name() {
        let a = add(&[
            "l.csv",
            "--amd",
            "detect_message_end",
            "--voicemail",
            "play:https://x.example/m.mp3",
            "--machine-detection-timeout",
            "40",
            "--retry-on",
            "machine,no_answer",
        ])
        .unwrap();
        assert_eq!(
            a.answers(),
            AnswerFlags {
                amd: Some("detect_message_end".into()),
                voicemail: Some("play:https://x.example/m.mp3".into()),
                tuning: vec![("machine_detection_timeout", 40)],
            }
        );
        assert_eq!(a.retry_on, Some(vec![Outcome::Machine, Outcome::NoAnswer]));
        assert_eq!(add(&["l.csv"]).unwrap().answers(), AnswerFlags::default());
        for bad in [
            &["l.csv", "--amd", "sometimes"][..],
            &["l.csv", "--voicemail", "say:hi"],
            &[
                "l.csv",
                "--amd",
                "detect",
                "--voicemail",
                "play:ftp://x.example/m",
            ],
            &[
                "l.csv",
                "--amd",
                "detect",
                "--machine-detection-timeout",
                "60",
            ],
            &[
                "l.csv",
                "--amd",
                "detect",
                "--machine-detection-speech-threshold",
                "999",
            ],
        ] {
            let e = add(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad:?}: {e}");
        }
    }

    #[test]
    fn calling_hours_flags_parse_into_the_servers_spelling_or_are_usage_errors() {
        let a = add(&[
            "l.csv",
            "--calling-hours",
            "9:00-20:00",
            "--days",
            "monday-friday",
            "--holidays",
            "2026-12-25, 2027-01-01",
            "--fallback-timezone",
            "america/chicago",
        ])
        .unwrap();
        assert_eq!(
            a.hours(),
            HoursSettings {
                calling_hours: Some("09:00-20:00".into()),
                days: Some("mon-fri".into()),
                holidays: Some("2026-12-25,2027-01-01".into()),
                fallback_timezone: Some("America/Chicago".into()),
            }
        );
        assert_eq!(add(&["l.csv"]).unwrap().hours(), HoursSettings::default());
        for bad in [
            &["l.csv", "--calling-hours", "25:00-26:00"][..],
            &["l.csv", "--calling-hours", "08:00-08:00"],
            &["l.csv", "--days", "funday"],
            &["l.csv", "--holidays", "christmas"],
            &["l.csv", "--fallback-timezone", "Mars/Olympus"],
        ] {
            let e = add(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_format_and_name_come_from_the_file() {
        let a = add(&["exports/leads.csv"]).unwrap();
        assert_eq!(a.format().unwrap(), Format::Csv);
        assert_eq!(a.settings(Format::Csv).name.as_deref(), Some("leads"));
        assert_eq!(a.settings(Format::Json).name, None);
        let a = add(&["list.tsv"]).unwrap();
        let e = a.format().unwrap_err();
        assert!(e.0.starts_with("cannot tell the format of list.tsv"), "{e}");
        let a = add(&["list.tsv", "--format", "text"]).unwrap();
        assert_eq!(a.format().unwrap(), Format::Text);
        let a = add(&["/dev/stdin", "--format", "csv"]).unwrap();
        assert_eq!(a.settings(Format::Csv).name, None);
    }

    #[tokio::test]
    async fn a_missing_file_is_bad_input() {
        let a = add(&["/nonexistent/leads.csv"]).unwrap();
        let target = Target::new(Some("http://127.0.0.1:9".into()), None);
        let e = run(a, &target).await.unwrap_err();
        assert_eq!(crate::failure::exit_code(&e), 2);
        assert!(
            crate::failure::describe(&e).starts_with("cannot read /nonexistent/leads.csv: "),
            "{e:#}"
        );
    }
}
