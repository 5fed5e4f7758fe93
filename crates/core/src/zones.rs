//! The time zones a phone number is called in, for calling hours.
//!
//! Each entry gets a **set** of IANA zones: from an explicit name (an
//! import's `timezone` column, [`parse_zone`]) or from its number by the
//! longest matching prefix in libphonenumber's map (`data/timezones/
//! map_data.txt`, compiled in, so the build and CI read the committed file:
//! [`zones_of_number`]). A prefix with several zones keeps them all; calling
//! hours then hold in every one of them.
//!
//! Sets are interned: a million entries share a few hundred sets, so an
//! entry holds a two-byte [`ZoneSetId`] and [`ZoneSetId::set`] gives the
//! zones. Ids are handed out in the order sets are first seen, so they mean
//! something only inside one process: stored data holds the zone *names*
//! (the serde form of [`ZoneSetId`] and [`ZoneName`]), which read back into
//! an id of the running process.
//!
//! A number whose longest match is a whole country row with several zones
//! that keep different clocks (the `1` row lists 41 zones, from Guam to
//! Pago Pago) has no usable zone: [`zones_of_number`] answers `None`
//! (`tz_unknown`). A country row whose zones all keep one clock (the UK's
//! London, Guernsey, Isle of Man and Jersey) is known: every one of its
//! zones gives the same answer, so refusing it would refuse a whole country
//! for nothing.

use jiff::tz::TimeZone;
use phonenumber::metadata::DATABASE;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;
use std::sync::{LazyLock, RwLock};

/// libphonenumber's `prefix|Zone&Zone…` rows, as committed (see
/// `data/timezones/README.md` for the upstream commit and licence).
const MAP_DATA: &str = include_str!("../../../data/timezones/map_data.txt");

/// One distinct set of zones, interned for the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneSetId(NonZeroU16);

/// Zones as an entry is called in: every name (as the map or the import
/// gave it, sorted), and one [`Clock`] per distinct local time among them
/// (zones that are links to one another, like Europe/Jersey and
/// Europe/London, are checked once).
#[derive(Debug)]
pub struct ZoneSet {
    names: Box<[Box<str>]>,
    clocks: Box<[Clock]>,
}

/// The wall time in zone `name` at `at`, as a person there reads it
/// (`14:32 MST`); `None` for a name the bundled database does not know.
pub fn local_time(name: &str, at: crate::time::Timestamp) -> Option<String> {
    let tz = jiff::tz::db().get(name).ok()?;
    let ms = i64::try_from(at.millis()).ok()?;
    let t = jiff::Timestamp::from_millisecond(ms).ok()?;
    let local = tz.to_datetime(t);
    let info = tz.to_offset_info(t);
    Some(format!(
        "{:?} {:02}:{:02} {}",
        local.weekday(),
        local.hour(),
        local.minute(),
        info.abbreviation()
    ))
}

/// One zone's clock, named by the first of the set's names that keeps it.
#[derive(Debug)]
pub struct Clock {
    pub name: Box<str>,
    pub tz: TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("unknown time zone {0:?} (expected an IANA name like America/New_York)")]
    Unknown(String),
    #[error("a zone set needs at least one zone")]
    Empty,
    #[error("too many distinct zone sets (more than {})", u16::MAX - 1)]
    TooMany,
}

impl ZoneSetId {
    /// The zones of this id. Sets are never freed, so the reference lives
    /// as long as the process.
    pub fn set(self) -> &'static ZoneSet {
        let sets = INTERNER.read().unwrap_or_else(|e| e.into_inner());
        sets.sets[usize::from(self.0.get() - 1)]
    }
}

impl ZoneSet {
    /// Every zone name, sorted, as the map or the import gave it.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    /// One clock per distinct local time: what calling hours check.
    pub fn clocks(&self) -> &[Clock] {
        &self.clocks
    }
}

impl fmt::Display for ZoneSet {
    /// The names joined by `&`, as in libphonenumber's map.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                f.write_str("&")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

/// The zones a number is called in, by the longest prefix of `digits`
/// (country code first, as [`crate::Phone::digits`]) that the map lists.
/// `None` is `tz_unknown`: no row matches, or only a whole country's row
/// whose zones keep different clocks. A walk of at most 9 digits in a
/// table built once, so resolving every entry of an import is cheap and
/// needs no cache of its own.
pub fn zones_of_number(digits: &str) -> Option<ZoneSetId> {
    MAP.longest(digits).flatten()
}

/// An explicit IANA name (an import's `timezone` column) as a set of one.
/// Names are matched as the tz database does, ignoring case, and kept in
/// its spelling.
pub fn parse_zone(name: &str) -> Result<ZoneSetId, ZoneError> {
    if let Some(&id) = BY_NAME.read().unwrap_or_else(|e| e.into_inner()).get(name) {
        return Ok(id);
    }
    let id = zone_set([name])?;
    let mut by_name = BY_NAME.write().unwrap_or_else(|e| e.into_inner());
    if by_name.len() < NAMES_REMEMBERED {
        by_name.insert(name.into(), id);
    }
    Ok(id)
}

/// Names already parsed, as written, so that a million-line import with a
/// `timezone` column looks each spelling up in the database once. Bounded:
/// case variants of the names are many.
static BY_NAME: LazyLock<RwLock<HashMap<Box<str>, ZoneSetId>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));
const NAMES_REMEMBERED: usize = 4096;

/// The set of these zone names, interned.
pub fn zone_set<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<ZoneSetId, ZoneError> {
    let mut zones = Vec::new();
    for name in names {
        let name = name.trim();
        let tz = lookup(name).ok_or_else(|| ZoneError::Unknown(name.to_string()))?;
        zones.push((spelled(name, &tz), tz));
    }
    intern(zones)
}

/// The database's spelling of a name found ignoring case. A link
/// (Europe/Jersey) keeps its own name rather than its target's, so that an
/// entry shows the zone it was given.
fn spelled(name: &str, tz: &TimeZone) -> Box<str> {
    if let Some(n) = tz.iana_name().filter(|n| n == &name) {
        return n.into();
    }
    if let Some(n) = tz.iana_name().filter(|n| n.eq_ignore_ascii_case(name)) {
        return n.into();
    }
    jiff::tz::db()
        .available()
        .find(|n| n.as_str().eq_ignore_ascii_case(name))
        .map_or_else(|| name.into(), |n| n.as_str().into())
}

/// A zone from the tz database bundled into the binary (no system
/// zoneinfo is read). Offsets written as names (`UTC+3`, POSIX TZ strings)
/// are not names and are refused.
fn lookup(name: &str) -> Option<TimeZone> {
    if name.is_empty() || name.contains(|c: char| c.is_whitespace()) {
        return None;
    }
    TimeZone::get(name).ok()
}

struct Interner {
    sets: Vec<&'static ZoneSet>,
    index: HashMap<Box<[Box<str>]>, ZoneSetId>,
}

static INTERNER: LazyLock<RwLock<Interner>> = LazyLock::new(|| {
    RwLock::new(Interner {
        sets: Vec::new(),
        index: HashMap::new(),
    })
});

fn intern(mut zones: Vec<(Box<str>, TimeZone)>) -> Result<ZoneSetId, ZoneError> {
    zones.sort_by(|a, b| a.0.cmp(&b.0));
    zones.dedup_by(|a, b| a.0 == b.0);
    if zones.is_empty() {
        return Err(ZoneError::Empty);
    }
    let names: Box<[Box<str>]> = zones.iter().map(|(n, _)| n.clone()).collect();
    if let Some(&id) = INTERNER
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .index
        .get(&names)
    {
        return Ok(id);
    }
    let mut clocks: Vec<Clock> = Vec::new();
    for (name, tz) in zones {
        if !clocks.iter().any(|c| same_clock(&c.tz, &tz)) {
            clocks.push(Clock { name, tz });
        }
    }
    let mut interner = INTERNER.write().unwrap_or_else(|e| e.into_inner());
    if let Some(&id) = interner.index.get(&names) {
        return Ok(id);
    }
    let next = u16::try_from(interner.sets.len() + 1)
        .ok()
        .and_then(NonZeroU16::new)
        .filter(|n| n.get() < u16::MAX)
        .ok_or(ZoneError::TooMany)?;
    let id = ZoneSetId(next);
    let set: &'static ZoneSet = Box::leak(Box::new(ZoneSet {
        names: names.clone(),
        clocks: clocks.into_boxed_slice(),
    }));
    interner.sets.push(set);
    interner.index.insert(names, id);
    Ok(id)
}

/// Whether two zones show the same local time at every instant from 2000
/// to 2100: compared at each transition of either and just before it.
/// Links (Europe/Jersey → Europe/London) and zones that merely share rules
/// (America/Curacao, America/Kralendijk) are the same clock; calling hours
/// before 2000 are not a case this dialer meets.
fn same_clock(a: &TimeZone, b: &TimeZone) -> bool {
    let start = jiff::Timestamp::from_second(946_684_800).expect("2000-01-01 is in range");
    let end = jiff::Timestamp::from_second(4_102_444_800).expect("2100-01-01 is in range");
    let agree = |t: jiff::Timestamp| a.to_offset(t) == b.to_offset(t);
    let just_before = |t: jiff::Timestamp| t - jiff::SignedDuration::from_secs(1);
    agree(start)
        && [a, b].into_iter().all(|tz| {
            tz.following(start)
                .map(|tr| tr.timestamp())
                .take_while(|&t| t < end)
                .all(|t| agree(t) && agree(just_before(t)))
        })
}

/// libphonenumber's map as a prefix table: `Some(id)` for a row with
/// usable zones, `None` for a whole-country row that is `tz_unknown`.
static MAP: LazyLock<PrefixTrie<Option<ZoneSetId>>> = LazyLock::new(|| {
    let mut trie = PrefixTrie::new();
    for (prefix, zones) in map_rows() {
        let id = zone_set(zones.iter().copied().filter(|z| lookup(z).is_some())).ok();
        let clocks = id.map_or(0, |id| id.set().clocks.len());
        let unknown = id.is_none() || (is_country_code(prefix) && clocks > 1);
        trie.insert(prefix, if unknown { None } else { id });
    }
    trie
});

/// The rows of the map: `(prefix, zones)`. Comments and blank lines are
/// skipped.
fn map_rows() -> impl Iterator<Item = (&'static str, Vec<&'static str>)> {
    MAP_DATA
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('|'))
        .map(|(prefix, zones)| (prefix, zones.split('&').collect()))
}

/// Whether a row's prefix is a whole country calling code (codes are at
/// most 3 digits), by libphonenumber's metadata.
fn is_country_code(prefix: &str) -> bool {
    prefix.len() <= 3
        && prefix
            .parse::<u16>()
            .is_ok_and(|c| DATABASE.by_code(&c).is_some())
}

/// Digit strings to values, answering the longest stored prefix of a
/// number in one walk of at most its length. Shared by the zone map and
/// the calling-rules file.
#[derive(Debug, Clone)]
pub(crate) struct PrefixTrie<T> {
    next: Vec<[u32; 10]>,
    value: Vec<Option<T>>,
}

impl<T: Clone> PrefixTrie<T> {
    pub(crate) fn new() -> Self {
        PrefixTrie {
            next: vec![[0; 10]],
            value: vec![None],
        }
    }

    /// Stores `value` under `prefix` (ASCII digits), returning what was
    /// there.
    pub(crate) fn insert(&mut self, prefix: &str, value: T) -> Option<T> {
        let mut node = 0;
        for b in prefix.bytes() {
            let d = usize::from(b.wrapping_sub(b'0'));
            assert!(d < 10, "prefix {prefix:?} is not digits");
            if self.next[node][d] == 0 {
                self.next[node][d] = u32::try_from(self.next.len()).expect("trie fits u32");
                self.next.push([0; 10]);
                self.value.push(None);
            }
            node = self.next[node][d] as usize;
        }
        self.value[node].replace(value)
    }

    /// The value of the longest stored prefix of `digits`; the walk stops
    /// at the first byte that is not a digit.
    pub(crate) fn longest(&self, digits: &str) -> Option<T> {
        let mut node = 0;
        let mut best = self.value[0].as_ref();
        for b in digits.bytes() {
            let d = usize::from(b.wrapping_sub(b'0'));
            let Some(&child) = self.next[node].get(d) else {
                break;
            };
            if child == 0 {
                break;
            }
            node = child as usize;
            best = self.value[node].as_ref().or(best);
        }
        best.cloned()
    }
}

impl Serialize for ZoneSetId {
    /// The zone names, so stored data never depends on this process's ids.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.set().names())
    }
}

impl<'de> Deserialize<'de> for ZoneSetId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        zone_set(names.iter().map(String::as_str)).map_err(serde::de::Error::custom)
    }
}

/// One zone, named: a campaign's `fallback_timezone`. Serialised as its
/// IANA name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ZoneName(ZoneSetId);

impl ZoneName {
    /// The set of this one zone.
    pub fn set_id(self) -> ZoneSetId {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.set().names().next().unwrap_or_default()
    }
}

impl FromStr for ZoneName {
    type Err = ZoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_zone(s).map(ZoneName)
    }
}

impl fmt::Display for ZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ZoneName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ZoneName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(id: Option<ZoneSetId>) -> Vec<&'static str> {
        id.map(|id| id.set().names().collect()).unwrap_or_default()
    }

    #[test]
    fn local_time_is_the_callees_wall_clock_with_its_abbreviation() {
        // 2026-12-02 12:00 UTC; Phoenix keeps MST all year.
        let noon = crate::time::Timestamp(1_796_212_800_000);
        assert_eq!(
            local_time("America/New_York", noon).as_deref(),
            Some("Wednesday 07:00 EST")
        );
        assert_eq!(
            local_time("America/Phoenix", noon).as_deref(),
            Some("Wednesday 05:00 MST")
        );
        assert_eq!(local_time("Mars/Olympus", noon), None);
    }

    #[test]
    fn every_zone_of_the_map_is_in_the_bundled_database() {
        let mut missing: Vec<&str> = map_rows()
            .flat_map(|(_, zones)| zones)
            .filter(|z| lookup(z).is_none())
            .collect();
        missing.dedup();
        assert!(missing.is_empty(), "unknown to jiff's tzdb: {missing:?}");
    }

    #[test]
    fn longest_prefix_wins_and_keeps_every_zone() {
        assert_eq!(names(zones_of_number("12125550100")), ["America/New_York"]);
        assert_eq!(
            names(zones_of_number("12085550100")),
            ["America/Boise", "America/Los_Angeles"]
        );
        assert_eq!(names(zones_of_number("12082015555")), ["America/Denver"]);
        assert_eq!(names(zones_of_number("16025550100")), ["America/Phoenix"]);
        assert_eq!(
            zones_of_number("12085550100"),
            zones_of_number("12085550199"),
            "one set, one id"
        );
    }

    #[test]
    fn whole_multi_zone_country_is_unknown_but_one_clock_countries_are_known() {
        assert_eq!(MAP.longest("1"), Some(None), "the `1` row is a row");
        assert_eq!(zones_of_number("1"), None);
        assert_eq!(zones_of_number("7"), None, "Russia's 16 zones");
        assert_eq!(
            zones_of_number("34312345678"),
            None,
            "Madrid and the Canaries"
        );
        // 446 (no UK numbers yet) matches only the `44` row.
        let uk = zones_of_number("446001234567").expect("London's clock is one clock");
        assert_eq!(uk.set().names().len(), 4);
        assert_eq!(uk.set().clocks().len(), 1);
        assert_eq!(names(zones_of_number("33123456789")), ["Europe/Paris"]);
    }

    #[test]
    fn explicit_names_parse_into_sets_of_one() {
        let denver = parse_zone("America/Denver").unwrap();
        assert_eq!(names(Some(denver)), ["America/Denver"]);
        assert_eq!(parse_zone("america/denver"), Ok(denver));
        assert_eq!(
            zone_set(["America/Boise", "America/Los_Angeles"]).unwrap(),
            zones_of_number("12085550100").unwrap()
        );
        for bad in [
            "",
            "America/Nowhere",
            "UTC+3",
            "EST5EDT,M3.2.0,M11.1.0",
            "New York",
        ] {
            let err = parse_zone(bad).unwrap_err();
            assert_eq!(err, ZoneError::Unknown(bad.to_string()));
            assert!(err.to_string().contains("unknown time zone"), "{err}");
        }
    }

    #[test]
    fn serde_stores_names_not_ids() {
        let id = zones_of_number("12085550100").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, r#"["America/Boise","America/Los_Angeles"]"#);
        assert_eq!(serde_json::from_str::<ZoneSetId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ZoneSetId>(r#"["Mars/Olympus"]"#).is_err());
        let zone: ZoneName = "Europe/Paris".parse().unwrap();
        assert_eq!(serde_json::to_string(&zone).unwrap(), r#""Europe/Paris""#);
        assert_eq!(
            serde_json::from_str::<ZoneName>(r#""Europe/Paris""#).unwrap(),
            zone
        );
    }

    #[test]
    fn trie_answers_the_longest_prefix() {
        let mut t = PrefixTrie::new();
        assert_eq!(t.insert("12", 'a'), None);
        t.insert("1234", 'b');
        assert_eq!(t.insert("12", 'c'), Some('a'));
        assert_eq!(t.longest("1"), None);
        assert_eq!(t.longest("123"), Some('c'));
        assert_eq!(t.longest("12345"), Some('b'));
        assert_eq!(t.longest("12x45"), Some('c'));
        assert_eq!(t.longest(""), None);
    }
}
