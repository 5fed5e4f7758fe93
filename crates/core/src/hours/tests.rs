//! Calling hours on injected instants: DST at the window's edges, zones
//! without DST, split prefixes, the fallback zone, the rules file, windows
//! over midnight, days and holidays; and a property test against a plain
//! reading of the rule, zone by zone.

use super::*;
use crate::time::Timestamp;
use crate::zones::{ZoneSetId, parse_zone, zone_set, zones_of_number};
use jiff::tz::TimeZone;
use proptest::prelude::*;

const EXAMPLE_RULES: &str = include_str!("../../../../docs/examples/calling-rules.toml");

/// An instant from RFC 3339 text with its offset.
fn at(text: &str) -> Timestamp {
    let t: jiff::Timestamp = text.parse().expect(text);
    Timestamp::from_millis(u64::try_from(t.as_millisecond()).unwrap())
}

fn hours(window: &str) -> Hours {
    Hours {
        calling_hours: window.parse().unwrap(),
        ..Hours::default()
    }
}

fn schedule(window: &str) -> Schedule {
    Schedule::new(&hours(window), None)
}

fn zone(name: &str) -> Option<ZoneSetId> {
    Some(parse_zone(name).unwrap())
}

fn wait_until(v: &Verdict) -> Timestamp {
    match v {
        Verdict::WaitUntil { at, .. } => *at,
        other => panic!("expected WaitUntil, got {other:?}"),
    }
}

#[test]
fn new_york_spring_forward_at_the_window_edges() {
    let s = schedule("08:00-21:00");
    let ny = zone("America/New_York");
    // Saturday 2026-03-07, EST: open until 21:00 EST.
    assert_eq!(
        s.verdict(ny, at("2026-03-07T20:59:59-05:00")),
        Verdict::Open
    );
    let v = s.verdict(ny, at("2026-03-07T21:00:00-05:00"));
    // Sunday's 08:00 is already EDT: 12:00Z, not 13:00Z.
    assert_eq!(wait_until(&v), at("2026-03-08T08:00:00-04:00"));
    assert_eq!(
        v.reason().unwrap(),
        "outside calling hours 08:00–21:00 America/New_York until 2026-03-08 08:00 EDT"
    );
    assert_eq!(
        s.verdict(ny, at("2026-03-08T07:59:59.999-04:00")),
        Verdict::WaitUntil {
            at: at("2026-03-08T08:00:00-04:00"),
            reason: v.reason().unwrap().to_string()
        }
    );
    assert_eq!(
        s.verdict(ny, at("2026-03-08T08:00:00-04:00")),
        Verdict::Open
    );
    assert_eq!(
        s.verdict(ny, at("2026-03-08T20:59:00-04:00")),
        Verdict::Open
    );
    // A window that starts inside the skipped hour opens when the clock
    // jumps over its start: 03:00 EDT.
    let gap = schedule("02:30-21:00");
    let v = gap.verdict(ny, at("2026-03-08T01:59:00-05:00"));
    assert_eq!(wait_until(&v), at("2026-03-08T03:00:00-04:00"));
}

#[test]
fn new_york_fall_back_at_the_window_edges() {
    let s = schedule("08:00-21:00");
    let ny = zone("America/New_York");
    let v = s.verdict(ny, at("2026-10-31T21:00:00-04:00"));
    // Sunday's 08:00 is EST again: 13:00Z.
    assert_eq!(wait_until(&v), at("2026-11-01T08:00:00-05:00"));
    assert!(
        v.reason().unwrap().ends_with("until 2026-11-01 08:00 EST"),
        "{v:?}"
    );
    assert_eq!(
        wait_until(&s.verdict(ny, at("2026-11-01T07:59:00-05:00"))),
        at("2026-11-01T08:00:00-05:00")
    );
    assert_eq!(
        s.verdict(ny, at("2026-11-01T08:00:00-05:00")),
        Verdict::Open
    );
    assert_eq!(
        s.verdict(ny, at("2026-11-01T20:59:59-05:00")),
        Verdict::Open
    );
    assert_eq!(
        wait_until(&s.verdict(ny, at("2026-11-01T21:00:00-05:00"))),
        at("2026-11-02T08:00:00-05:00")
    );
    // The repeated hour: 00:00-01:30 closes at 01:30 EDT and opens again
    // when the clock goes back to 01:00 EST.
    let fold = schedule("00:00-01:30");
    assert_eq!(
        fold.verdict(ny, at("2026-11-01T01:29:00-04:00")),
        Verdict::Open
    );
    assert_eq!(
        wait_until(&fold.verdict(ny, at("2026-11-01T01:30:00-04:00"))),
        at("2026-11-01T01:00:00-05:00")
    );
}

#[test]
fn phoenix_keeps_its_hours_through_both_changes() {
    let s = schedule("08:00-21:00");
    let phx = zone("America/Phoenix");
    for day in [
        "2026-03-07",
        "2026-03-08",
        "2026-03-09",
        "2026-10-31",
        "2026-11-01",
        "2026-11-02",
    ] {
        // MST all year: opens 15:00Z, closes 04:00Z the next day.
        let open = at(&format!("{day}T15:00:00Z"));
        assert_eq!(s.verdict(phx, open), Verdict::Open, "{day}");
        let v = s.verdict(phx, at(&format!("{day}T14:59:00Z")));
        assert_eq!(wait_until(&v), open, "{day}");
        assert!(v.reason().unwrap().ends_with("08:00 MST"), "{v:?}");
        assert_eq!(
            s.verdict(phx, at(&format!("{day}T20:59:00-07:00"))),
            Verdict::Open
        );
        let next = s.verdict(phx, at(&format!("{day}T21:00:00-07:00")));
        assert_eq!(wait_until(&next), open.plus_millis(24 * 3_600_000), "{day}");
    }
}

#[test]
fn a_split_prefix_is_open_only_when_both_zones_are() {
    let s = schedule("08:00-21:00");
    let idaho = zones_of_number("12085550100");
    assert_eq!(
        idaho.unwrap().set().names().collect::<Vec<_>>(),
        ["America/Boise", "America/Los_Angeles"]
    );
    // Boise (MST) opens at 15:00Z, Los Angeles (PST) at 16:00Z.
    let v = s.verdict(idaho, at("2026-12-02T15:30:00Z"));
    assert_eq!(wait_until(&v), at("2026-12-02T16:00:00Z"));
    assert_eq!(
        v.reason().unwrap(),
        "outside calling hours 08:00–21:00 America/Los_Angeles until 2026-12-02 08:00 PST"
    );
    assert_eq!(s.verdict(idaho, at("2026-12-02T16:00:00Z")), Verdict::Open);
    // Boise closes at 04:00Z; Los Angeles, still open, does not keep it open.
    assert_eq!(s.verdict(idaho, at("2026-12-03T03:59:00Z")), Verdict::Open);
    let v = s.verdict(idaho, at("2026-12-03T04:30:00Z"));
    assert_eq!(wait_until(&v), at("2026-12-03T16:00:00Z"));
    // Either zone alone would say otherwise.
    assert_eq!(
        s.verdict(zone("America/Boise"), at("2026-12-02T15:30:00Z")),
        Verdict::Open
    );
    assert_eq!(
        s.verdict(zone("America/Los_Angeles"), at("2026-12-03T04:30:00Z")),
        Verdict::Open
    );
}

#[test]
fn a_whole_country_number_uses_the_fallback_or_is_unknown() {
    let toll_free = zones_of_number("18005550100");
    assert_eq!(toll_free, None, "only the `1` row matches");
    let now = at("2026-12-02T20:00:00Z");
    let s = schedule("08:00-21:00");
    assert_eq!(s.verdict(toll_free, now), Verdict::Unknown);
    assert_eq!(Verdict::Unknown.reason(), Some("time zone unknown"));
    let with_fallback = Schedule::new(
        &Hours {
            fallback_timezone: Some("America/Denver".parse().unwrap()),
            ..hours("08:00-21:00")
        },
        None,
    );
    assert_eq!(with_fallback.verdict(toll_free, now), Verdict::Open);
    let v = with_fallback.verdict(toll_free, at("2026-12-03T05:00:00Z"));
    assert_eq!(wait_until(&v), at("2026-12-03T08:00:00-07:00"));
    assert_eq!(
        v.reason().unwrap(),
        "outside calling hours 08:00–21:00 America/Denver until 2026-12-03 08:00 MST"
    );
    // A known zone is not replaced by the fallback: at 09:00 in Denver it
    // is 06:00 in Honolulu.
    let morning = at("2026-12-02T16:00:00Z");
    assert_eq!(with_fallback.verdict(toll_free, morning), Verdict::Open);
    assert_eq!(
        wait_until(&with_fallback.verdict(zone("Pacific/Honolulu"), morning)),
        at("2026-12-02T08:00:00-10:00")
    );
    // With calling hours off nothing is checked, unknown zones included.
    assert_eq!(
        Schedule::new(&Hours::default(), None).verdict(None, now),
        Verdict::Open
    );
}

#[test]
fn florida_stops_at_eight_by_the_example_rules_file() {
    let rules = CallingRules::parse(EXAMPLE_RULES).unwrap();
    assert_eq!(
        rules
            .rules()
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        ["Florida", "Oklahoma", "Washington"]
    );
    let miami = "13055550100";
    let florida = rules.rule_for(miami).map(|id| rules.get(id));
    assert_eq!(florida.unwrap().name, "Florida");
    assert_eq!(rules.rule_for("12125550100"), None);
    let campaign = hours("08:00-21:00");
    let s = Schedule::new(&campaign, florida);
    let ny = Schedule::new(&campaign, None);
    let zones = zones_of_number(miami);
    assert_eq!(
        s.verdict(zones, at("2026-12-02T19:59:00-05:00")),
        Verdict::Open
    );
    let late = at("2026-12-02T20:00:00-05:00");
    let v = s.verdict(zones, late);
    assert_eq!(wait_until(&v), at("2026-12-03T08:00:00-05:00"));
    assert_eq!(
        v.reason().unwrap(),
        "outside calling hours 08:00–20:00 (Florida) America/New_York until 2026-12-03 08:00 EST"
    );
    assert_eq!(
        ny.verdict(zones_of_number("12125550100"), late),
        Verdict::Open
    );
    // A rule cannot widen the campaign's window: only narrow it.
    let early = Schedule::new(&hours("09:00-21:00"), florida);
    assert_eq!(
        wait_until(&early.verdict(zones, at("2026-12-02T08:30:00-05:00"))),
        at("2026-12-02T09:00:00-05:00")
    );
    for (number, name) in [("14055550100", "Oklahoma"), ("12065550100", "Washington")] {
        let rule = rules.get(rules.rule_for(number).unwrap());
        assert_eq!(
            (rule.name.as_str(), rule.window.to_string().as_str()),
            (name, "08:00-20:00")
        );
    }
}

#[test]
fn a_window_over_midnight() {
    let s = schedule("21:00-08:00");
    let paris = zone("Europe/Paris");
    assert_eq!(
        s.verdict(paris, at("2026-12-02T22:00:00+01:00")),
        Verdict::Open
    );
    assert_eq!(
        s.verdict(paris, at("2026-12-03T03:00:00+01:00")),
        Verdict::Open
    );
    assert_eq!(
        s.verdict(paris, at("2026-12-03T07:59:59+01:00")),
        Verdict::Open
    );
    let v = s.verdict(paris, at("2026-12-03T08:00:00+01:00"));
    assert_eq!(wait_until(&v), at("2026-12-03T21:00:00+01:00"));
    assert!(
        v.reason()
            .unwrap()
            .starts_with("outside calling hours 21:00–08:00 Europe/Paris")
    );
}

#[test]
fn days_and_holidays_in_the_callees_local_date() {
    let weekdays = Hours {
        days: "mon-fri".parse().unwrap(),
        holidays: "2026-12-25,2027-01-01".parse().unwrap(),
        ..hours("08:00-21:00")
    };
    let s = Schedule::new(&weekdays, None);
    let ny = zone("America/New_York");
    // Saturday noon waits for Monday 08:00.
    let v = s.verdict(ny, at("2026-12-05T12:00:00-05:00"));
    assert_eq!(wait_until(&v), at("2026-12-07T08:00:00-05:00"));
    assert!(
        v.reason()
            .unwrap()
            .contains("08:00–21:00 mon-fri America/New_York"),
        "{v:?}"
    );
    assert_eq!(
        s.verdict(ny, at("2026-12-04T12:00:00-05:00")),
        Verdict::Open
    );
    // Christmas is a Friday: the next dial is Monday the 28th.
    let v = s.verdict(ny, at("2026-12-25T10:00:00-05:00"));
    assert_eq!(wait_until(&v), at("2026-12-28T08:00:00-05:00"));
    assert!(
        v.reason().unwrap().contains("(holiday 2026-12-25)"),
        "{v:?}"
    );
    // The holiday is the callee's: already Christmas in Tokyo, not yet in
    // New York.
    let christmas_eve = at("2026-12-24T23:30:00Z");
    assert_eq!(s.verdict(ny, christmas_eve), Verdict::Open);
    assert_eq!(
        wait_until(&s.verdict(zone("Asia/Tokyo"), christmas_eve)),
        at("2026-12-28T08:00:00+09:00")
    );
    // Days are read on the local date of the instant, also over midnight:
    // Saturday 01:00 is Saturday.
    let nights = Schedule::new(
        &Hours {
            days: "mon-fri".parse().unwrap(),
            ..hours("21:00-08:00")
        },
        None,
    );
    assert_eq!(
        nights.verdict(ny, at("2026-12-04T23:00:00-05:00")),
        Verdict::Open
    );
    assert_eq!(
        wait_until(&nights.verdict(ny, at("2026-12-05T01:00:00-05:00"))),
        at("2026-12-07T00:00:00-05:00")
    );
}

#[test]
fn impossible_combinations_end_in_never() {
    let rules = CallingRules::parse(
        "[[rule]]\nname = \"Nights\"\nhours = \"21:00-08:00\"\nprefixes = [\"1212\"]\n",
    )
    .unwrap();
    let s = Schedule::new(
        &hours("08:00-20:00"),
        Some(rules.get(rules.rule_for("1212").unwrap())),
    );
    let v = s.verdict(zones_of_number("12125550100"), at("2026-12-02T12:00:00Z"));
    assert!(matches!(v, Verdict::Never { .. }), "{v:?}");
    // Every day of more than a year a holiday: the search gives up.
    let start = jiff::civil::date(2026, 12, 1);
    let dates: Vec<String> = (0..400)
        .map(|i| {
            start
                .checked_add(jiff::Span::new().days(i))
                .unwrap()
                .to_string()
        })
        .collect();
    let all_holidays = Hours {
        holidays: dates.join(",").parse().unwrap(),
        ..hours("08:00-21:00")
    };
    let v = Schedule::new(&all_holidays, None)
        .verdict(zone("Europe/Paris"), at("2026-12-02T12:00:00Z"));
    assert!(matches!(v, Verdict::Never { .. }), "{v:?}");
    // London and Auckland, 11 to 13 hours apart, never share an hour of
    // a 09:00-17:00 window.
    let far = zone_set(["Europe/London", "Pacific/Auckland"]).unwrap();
    let v = schedule("09:00-17:00").verdict(Some(far), at("2026-12-02T12:00:00Z"));
    assert!(matches!(v, Verdict::Never { .. }), "{v:?}");
    assert!(v.reason().unwrap().contains("never open"), "{v:?}");
}

#[test]
fn settings_parse_with_clear_errors() {
    assert_eq!("off".parse::<CallingHours>(), Ok(CallingHours::Off));
    assert_eq!("OFF".parse::<CallingHours>(), Ok(CallingHours::Off));
    for good in [
        "08:00-21:00",
        "8:00-21:00",
        "08:00 - 21:00",
        "08:00–21:00",
        "21:00-08:00",
        "00:00-24:00",
    ] {
        let w: Window = good.parse().unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(w.to_string().parse::<Window>(), Ok(w));
    }
    assert_eq!(
        "8:00-21:00".parse::<Window>().unwrap().to_string(),
        "08:00-21:00"
    );
    let err = "25:00-08:00".parse::<CallingHours>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "calling hours \"25:00-08:00\": \"25:00\" is not a time of day (00:00 to 23:59, or 24:00 as an end)"
    );
    for bad in [
        "08:60-21:00",
        "24:00-08:00",
        "08-21",
        "0800-2100",
        "08:0-21:00",
        "",
        "on",
        "08:00-21:00-22:00",
    ] {
        assert!(bad.parse::<CallingHours>().is_err(), "{bad}");
    }
    assert_eq!(
        "08:00-08:00".parse::<Window>(),
        Err(HoursError::Empty("08:00-08:00".into()))
    );
    assert!(HoursError::Empty("x".into()).to_string().contains("empty"));

    let days = |s: &str| s.parse::<Days>().map(|d| d.to_string());
    assert_eq!(days("mon-fri").unwrap(), "mon-fri");
    assert_eq!(days("Mon, Wed ,fri").unwrap(), "mon,wed,fri");
    assert_eq!(days("sat-sun").unwrap(), "sat-sun");
    assert_eq!(days("fri-mon").unwrap(), "mon,fri-sun");
    assert_eq!(days("monday-sunday").unwrap(), "mon-sun");
    assert_eq!(Days::default().to_string(), "mon-sun");
    let err = "mo-fr".parse::<Days>().unwrap_err();
    assert_eq!(
        err,
        HoursError::Day {
            text: "mo-fr".into(),
            day: "mo-fr".into()
        }
    );
    assert!(err.to_string().contains("is not a day"), "{err}");
    assert!("".parse::<Days>().is_err());
    assert!("mon,,fri".parse::<Days>().is_err());

    let h: Holidays = "2027-01-01, 2026-12-25,2026-12-25".parse().unwrap();
    assert_eq!(h.to_string(), "2026-12-25,2027-01-01");
    assert_eq!("".parse::<Holidays>(), Ok(Holidays::default()));
    for bad in [
        "2026-13-01",
        "2026-02-30",
        "25/12/2026",
        "20261225",
        "2026-12-25T00:00",
        "christmas",
    ] {
        let err = bad.parse::<Holidays>().unwrap_err();
        assert_eq!(err, HoursError::Holiday(bad.into()));
        assert!(err.to_string().contains("is not a date"), "{err}");
    }
}

#[test]
fn settings_store_as_text_and_old_records_load_as_off() {
    let h = Hours {
        calling_hours: "08:00-21:00".parse().unwrap(),
        days: "mon-fri".parse().unwrap(),
        holidays: "2026-12-25".parse().unwrap(),
        fallback_timezone: Some("America/Chicago".parse().unwrap()),
    };
    let json = serde_json::to_string(&h).unwrap();
    assert_eq!(
        json,
        r#"{"calling_hours":"08:00-21:00","days":"mon-fri","holidays":["2026-12-25"],"fallback_timezone":"America/Chicago"}"#
    );
    assert_eq!(serde_json::from_str::<Hours>(&json).unwrap(), h);
    assert_eq!(
        serde_json::from_str::<Hours>("{}").unwrap(),
        Hours::default()
    );
    assert_eq!(Hours::default().calling_hours, CallingHours::Off);
    assert!(Schedule::new(&Hours::default(), None).is_off());
    for bad in [
        r#"{"calling_hours":"25:00-08:00"}"#,
        r#"{"days":"weekdays"}"#,
        r#"{"holidays":["tomorrow"]}"#,
        r#"{"fallback_timezone":"Mars/Olympus"}"#,
    ] {
        assert!(serde_json::from_str::<Hours>(bad).is_err(), "{bad}");
    }
}

#[test]
fn rules_files_refuse_bad_lines_by_number() {
    let err = |text: &str| CallingRules::parse(text).unwrap_err().to_string();
    assert!(err("[[rule]\n").contains("line 1"), "{}", err("[[rule]\n"));
    assert_eq!(
        err("[[rule]]\nname = \"A\"\nhours = \"08:00-25:00\"\nprefixes = [\"1305\"]\n"),
        "line 3: calling hours \"08:00-25:00\": \"25:00\" is not a time of day (00:00 to 23:59, or 24:00 as an end)"
    );
    assert_eq!(
        err(
            "[[rule]]\nname = \"A\"\nhours = \"08:00-20:00\"\nprefixes = [\"1305\"]\n\n[[rule]]\nname = \"B\"\nhours = \"09:00-20:00\"\nprefixes = [\n \"1212\",\n \"+1 305\"]\n"
        ),
        "line 11: prefix \"+1 305\" is already in rule \"A\""
    );
    assert_eq!(
        err("[[rule]]\nname = \"A\"\nhours = \"08:00-20:00\"\nprefixes = [\"13x5\"]\n"),
        "line 4: prefix \"13x5\" is not digits with a country code (like \"1305\")"
    );
    assert!(
        err("[[rule]]\nname = \"A\"\nhours = \"08:00-20:00\"\nprefixes = []\n")
            .contains("no prefixes")
    );
    assert!(
        err("[[rule]]\nname = \"A\"\nhours = \"08:00-20:00\"\nprefix = [\"1\"]\n")
            .contains("line 4")
    );
    assert!(CallingRules::parse("").unwrap().rules().is_empty());
    // The longest prefix wins.
    let rules = CallingRules::parse(
        "[[rule]]\nname = \"US\"\nhours = \"09:00-20:00\"\nprefixes = [\"1\"]\n[[rule]]\nname = \"Miami\"\nhours = \"10:00-19:00\"\nprefixes = [\"1305\"]\n",
    )
    .unwrap();
    assert_eq!(
        rules.get(rules.rule_for("13055550100").unwrap()).name,
        "Miami"
    );
    assert_eq!(rules.get(rules.rule_for("12125550100").unwrap()).name, "US");
    assert_eq!(rules.rule_for("442071234567"), None);
}

/// Zone sets of the property test: with and without DST, half- and
/// quarter-hour offsets, a half-hour DST (Lord Howe), midnight changes
/// (Santiago, Havana), both hemispheres, and sets of several.
const SETS: &[&[&str]] = &[
    &["America/New_York"],
    &["America/Phoenix"],
    &["Pacific/Honolulu"],
    &["Europe/London"],
    &["Australia/Lord_Howe"],
    &["Asia/Kolkata"],
    &["Asia/Kathmandu"],
    &["Pacific/Chatham"],
    &["America/Santiago"],
    &["America/Havana"],
    &["America/Boise", "America/Los_Angeles"],
    &["America/Adak", "America/Anchorage"],
    &["Europe/Guernsey", "Europe/London"],
    &["Australia/Sydney", "Australia/Perth", "Australia/Adelaide"],
    &["America/New_York", "Pacific/Honolulu"],
];

/// The rule read plainly, zone by zone, for every name of the set.
fn oracle(names: &[&str], window: Window, days: Days, holidays: &Holidays, t: Timestamp) -> bool {
    let ts = jiff::Timestamp::from_millisecond(t.millis() as i64).unwrap();
    names.iter().all(|n| {
        let local = TimeZone::get(n).unwrap().to_datetime(ts);
        let minute = local.hour() as u16 * 60 + local.minute() as u16;
        window.contains(minute)
            && days.allows(local.date().weekday())
            && !holidays.contains(local.date())
    })
}

/// Instants in `(from, to)` where a zone may open: each local minute where
/// a window starts, each local midnight, both readings of each, and every
/// clock change, in every zone of the set.
fn edges(names: &[&str], window: Window, from: Timestamp, to: Timestamp) -> Vec<Timestamp> {
    let to_j = |t: Timestamp| jiff::Timestamp::from_millisecond(t.millis() as i64).unwrap();
    let (a, b) = (to_j(from), to_j(to));
    let mut out = Vec::new();
    for n in names {
        let tz = TimeZone::get(n).unwrap();
        let mut date = tz.to_datetime(a).date().yesterday().unwrap();
        let last = tz.to_datetime(b).date().tomorrow().unwrap();
        while date <= last {
            for m in [window.start(), 0] {
                let amb = tz.to_ambiguous_timestamp(date.at((m / 60) as i8, (m % 60) as i8, 0, 0));
                out.extend([amb.earlier(), amb.later()].into_iter().flatten());
            }
            date = date.tomorrow().unwrap();
        }
        out.extend(
            tz.following(a)
                .map(|t| t.timestamp())
                .take_while(|&t| t < b),
        );
    }
    out.into_iter()
        .filter(|&t| t > a && t < b)
        .map(|t| Timestamp::from_millis(t.as_millisecond() as u64))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn verdicts_agree_with_the_rule_read_zone_by_zone(
        set in 0..SETS.len(),
        // 2026-01-01 to 2028-01-01, with milliseconds.
        now in 1_767_225_600_000u64..1_830_297_600_000,
        start in 0u16..96,
        len in 1u16..96,
        days in 1u8..128,
        holiday_offsets in proptest::collection::vec(0i64..30, 0..3),
    ) {
        let names = SETS[set];
        let window: Window = {
            let (s, e) = (start * 15, (start + len) * 15 % 1440);
            format!("{:02}:{:02}-{:02}:{:02}", s / 60, s % 60, e / 60, e % 60).parse().unwrap()
        };
        let days = {
            let all = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
            let list: Vec<&str> = (0..7).filter(|i| days & (1 << i) != 0).map(|i| all[i]).collect();
            list.join(",").parse::<Days>().unwrap()
        };
        let now = Timestamp::from_millis(now);
        let today = TimeZone::UTC.to_datetime(jiff::Timestamp::from_millisecond(now.millis() as i64).unwrap()).date();
        let holidays: Holidays = holiday_offsets
            .iter()
            .map(|&d| today.checked_add(jiff::Span::new().days(d)).unwrap().to_string())
            .collect::<Vec<_>>()
            .join(",")
            .parse()
            .unwrap();
        let hours = Hours { calling_hours: CallingHours::Window(window), days, holidays: holidays.clone(), fallback_timezone: None };
        let s = Schedule::new(&hours, None);
        let zones = Some(zone_set(names.iter().copied()).unwrap());
        let open_now = oracle(names, window, days, &holidays, now);
        match s.verdict(zones, now) {
            Verdict::Open => prop_assert!(open_now),
            Verdict::WaitUntil { at, reason } => {
                prop_assert!(!open_now);
                prop_assert!(at > now);
                prop_assert!(reason.starts_with("outside calling hours "), "{}", reason);
                prop_assert_eq!(s.verdict(zones, at), Verdict::Open);
                prop_assert!(oracle(names, window, days, &holidays, at));
                for t in edges(names, window, now, at) {
                    prop_assert!(!oracle(names, window, days, &holidays, t), "open at {} before {}", t, at);
                }
                prop_assert!(!oracle(names, window, days, &holidays, Timestamp::from_millis(at.millis() - 1)));
            }
            Verdict::Never { .. } => {
                prop_assert!(!open_now);
                let year = 366 * 24 * 3_600_000;
                for t in edges(names, window, now, now.plus_millis(year)) {
                    prop_assert!(!oracle(names, window, days, &holidays, t), "open at {}", t);
                }
            }
            Verdict::Unknown => prop_assert!(false, "a known set is never unknown"),
        }
    }
}

/// The cost of the check and of resolving zones, for a release build:
/// `cargo test -p numdialer-core --release --lib -- --ignored --nocapture cost`.
/// (`numdialer-bench --only hours` measures the same with more samples.)
#[test]
#[ignore = "a measurement; run in release"]
fn cost_of_a_verdict_and_of_resolving_zones() {
    use std::hint::black_box;
    use std::time::Instant;
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let rules = CallingRules::parse(EXAMPLE_RULES).unwrap();
    let campaign = hours("08:00-21:00");
    let prefixes = [
        "1212", "1305", "1312", "1303", "1602", "1213", "1907", "1808", "1208", "447", "3361",
    ];
    let numbers: Vec<String> = (0..1_000_000u64)
        .map(|i| {
            format!(
                "{}{:07}",
                prefixes[(i % 11) as usize],
                (i * 7_919) % 10_000_000 + 2_000_000
            )
        })
        .collect();
    let entries: Vec<(Schedule, Option<ZoneSetId>)> = numbers[..1_000]
        .iter()
        .map(|n| {
            (
                Schedule::new(&campaign, rules.rule_for(n).map(|id| rules.get(id))),
                zones_of_number(n),
            )
        })
        .collect();
    let (mut open, mut closed) = (Vec::new(), Vec::new());
    for round in 0..200u64 {
        for (i, (s, z)) in entries.iter().enumerate() {
            let now =
                Timestamp::from_millis(1_796_169_600_000 + (round * 1_000 + i as u64) * 31_536_000);
            let t = Instant::now();
            let v = black_box(s.verdict(black_box(*z), now));
            let ns = t.elapsed().as_nanos() as f64;
            if v == Verdict::Open {
                open.push(ns)
            } else {
                closed.push(ns)
            }
        }
    }
    let (no, nc) = (open.len(), closed.len());
    eprintln!(
        "verdict open: median {:.0} ns ({no}); closed: median {:.0} ns ({nc})",
        median(open),
        median(closed)
    );
    let (mut plain, mut resolved) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let t = Instant::now();
        let n = numbers
            .iter()
            .filter(|n| crate::Phone::parse(n).is_ok())
            .count();
        plain.push(t.elapsed().as_secs_f64() * 1e3);
        black_box(n);
        let t = Instant::now();
        let z: Vec<Option<ZoneSetId>> = numbers
            .iter()
            .filter_map(|n| crate::Phone::parse(n).ok())
            .map(|p| zones_of_number(p.digits()))
            .collect();
        resolved.push(t.elapsed().as_secs_f64() * 1e3);
        black_box(z);
    }
    let (p, r) = (median(plain), median(resolved));
    eprintln!(
        "1,000,000 numbers: parsed {p:.1} ms, parsed + zones {r:.1} ms ({:.2}x)",
        r / p
    );
}
