//! libphonenumber's rules (the `phonenumber` crate's metadata), run with
//! regexes compiled once per process.
//!
//! The crate keeps its patterns in one shared cache of 100 compiled regexes
//! behind a lock, so a number checked through it recompiles patterns that
//! other countries pushed out: 10 to 15 µs a number, 10 to 15 s for a
//! million-line import. Here each pattern of a country calling code is
//! compiled the first time a number with that code is read, and kept;
//! checking a number then costs two regex matches. The rule itself is the
//! crate's `is_valid`, step for step (a test compares the two on every
//! example number of the metadata and on altered ones).

use phonenumber::Metadata;
use phonenumber::metadata::{DATABASE, Descriptor};
use regex::{Regex, RegexBuilder};
use std::borrow::Cow;
use std::sync::{LazyLock, OnceLock};

/// The longest national significant number libphonenumber takes.
const MAX_NSN: usize = 17;

/// One region (a country, or `001` for a non-geographic code) of a
/// calling code, with its patterns compiled.
pub(crate) struct Region {
    pub(crate) meta: &'static Metadata,
    leading: Option<Regex>,
    general: Desc,
    /// The type descriptors (mobile, fixed line, toll free...) that allow
    /// a number of each length, as one alternation, compiled the first
    /// time a number of that length is checked.
    types: [OnceLock<Option<Regex>>; MAX_NSN + 1],
    national_prefix: Option<Regex>,
    idd: Option<Regex>,
}

struct Desc {
    lengths: &'static [u16],
    regex: Regex,
}

impl Desc {
    fn new(d: &'static Descriptor) -> Desc {
        Desc {
            lengths: d.possible_length(),
            regex: anchored(d.national_number().as_str()),
        }
    }

    /// The crate's `Descriptor::is_match`: a length it lists (when it
    /// lists any), then the pattern from the first digit.
    fn is_match(&self, nsn: &str) -> bool {
        length_allowed(self.lengths, nsn.len()) && self.regex.is_match(nsn)
    }
}

fn length_allowed(lengths: &[u16], len: usize) -> bool {
    lengths.is_empty() || lengths.iter().any(|&l| usize::from(l) == len)
}

/// A metadata pattern matched from the start of the text, as the crate
/// matches them (a match that starts at 0, not necessarily the whole
/// text). Its patterns are written for a whitespace-ignoring engine.
fn anchored(pattern: &str) -> Regex {
    let source = format!("^(?:{pattern})");
    RegexBuilder::new(&source)
        .ignore_whitespace(true)
        .unicode(false)
        .build()
        .or_else(|_| RegexBuilder::new(&source).ignore_whitespace(true).build())
        .expect("libphonenumber's patterns compile (the crate compiles them too)")
}

impl Region {
    fn new(meta: &'static Metadata) -> Region {
        let d = meta.descriptors();
        Region {
            meta,
            leading: meta.leading_digits().map(|r| anchored(r.as_str())),
            general: Desc::new(d.general()),
            types: std::array::from_fn(|_| OnceLock::new()),
            national_prefix: meta
                .national_prefix_for_parsing()
                .map(|r| anchored(r.as_str())),
            idd: meta.international_prefix().map(|r| anchored(r.as_str())),
        }
    }

    pub(crate) fn id(&self) -> &'static str {
        self.meta.id()
    }

    /// Whether libphonenumber gives this national significant number a
    /// type in this region (its `number_type` is not `Unknown`).
    fn has_type(&self, nsn: &str) -> bool {
        let Some(types) = self.types.get(nsn.len()) else {
            return false;
        };
        types
            .get_or_init(|| self.types_of_length(nsn.len()))
            .as_ref()
            .is_some_and(|r| r.is_match(nsn))
            && self.general.is_match(nsn)
    }

    fn types_of_length(&self, len: usize) -> Option<Regex> {
        let d = self.meta.descriptors();
        let patterns: Vec<String> = [
            d.premium_rate(),
            d.toll_free(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
            d.fixed_line(),
            d.mobile(),
        ]
        .into_iter()
        .flatten()
        .filter(|d| length_allowed(d.possible_length(), len))
        .map(|d| format!("(?:{})", d.national_number().as_str()))
        .collect();
        (!patterns.is_empty()).then(|| anchored(&patterns.join("|")))
    }

    /// The digits after this region's international call prefix (`011`
    /// in the United States), when they start with it.
    pub(crate) fn strip_idd<'a>(&self, digits: &'a str) -> Option<&'a str> {
        let m = self.idd.as_ref()?.find(digits)?;
        Some(&digits[m.end()..]).filter(|rest| !rest.is_empty())
    }

    /// The number without its national prefix (`0` in most of Europe,
    /// `1` in North America), transformed where the metadata says so,
    /// as libphonenumber reads a number written the national way.
    pub(crate) fn strip_national_prefix<'a>(&self, digits: &'a str) -> Option<Cow<'a, str>> {
        let Some(re) = self.national_prefix.as_ref() else {
            // No pattern: the prefix itself, as the crate falls back to.
            let prefix = self.meta.national_prefix()?;
            return digits.strip_prefix(prefix).map(Cow::Borrowed);
        };
        let end = re.find(digits)?.end();
        let Some(rule) = self.meta.national_prefix_transform_rule() else {
            return Some(Cow::Borrowed(&digits[end..]));
        };
        // Only a transform reads the groups (the slower search).
        let caps = re.captures(digits)?;
        match caps.get(caps.len() - 1) {
            Some(_) => Some(Cow::Owned(re.replace(digits, rule).into_owned())),
            None => Some(Cow::Borrowed(&digits[end..])),
        }
    }

    /// A number written with `+44 (0)…`: the national prefix the
    /// writer kept, which libphonenumber drops as well.
    pub(crate) fn national_prefix(&self) -> Option<&'static str> {
        self.meta.national_prefix()
    }
}

/// Each calling code's regions, in libphonenumber's order (the main
/// country first), compiled on first use.
static CODES: LazyLock<Vec<OnceLock<Vec<Region>>>> =
    LazyLock::new(|| (0..1000).map(|_| OnceLock::new()).collect());

/// The regions of a calling code; empty for a code libphonenumber does
/// not know.
pub(crate) fn regions(code: u16) -> &'static [Region] {
    let Some(slot) = CODES.get(usize::from(code)) else {
        return &[];
    };
    slot.get_or_init(|| {
        let Some(ids) = DATABASE.region(&code) else {
            return Vec::new();
        };
        ids.into_iter()
            .filter_map(|id| {
                if id == "001" {
                    DATABASE.by_code(&code)?.into_iter().next()
                } else {
                    DATABASE.by_id(id)
                }
            })
            .map(Region::new)
            .collect()
    })
}

/// A region by its id (`US`), with its patterns.
pub(crate) fn region(id: &str) -> Option<&'static Region> {
    let code = DATABASE.by_id(id)?.country_code();
    regions(code).iter().find(|r| r.id() == id)
}

/// The region libphonenumber assigns a national significant number to
/// (its `source_for`): the only one, or the first whose leading digits
/// match, or the first that gives the number a type.
pub(crate) fn region_of(code: u16, nsn: &str) -> Option<&'static Region> {
    match regions(code) {
        [] => None,
        [only] => Some(only),
        all => all.iter().find(|r| match &r.leading {
            Some(leading) => leading.is_match(nsn),
            None => r.has_type(nsn),
        }),
    }
}

/// libphonenumber's `is_valid` for the number `+<code><nsn>`: the
/// region [`region_of`] picks gives it a type. Written out rather than
/// through `region_of`, so that a region picked for its type is not asked
/// twice.
pub(crate) fn is_valid(code: u16, nsn: &str) -> bool {
    match regions(code) {
        [] => false,
        [only] => only.has_type(nsn),
        all => {
            for r in all {
                match &r.leading {
                    Some(leading) if leading.is_match(nsn) => return r.has_type(nsn),
                    Some(_) => {}
                    None if r.has_type(nsn) => return true,
                    None => {}
                }
            }
            false
        }
    }
}

/// Every country calling code libphonenumber's metadata knows (they are
/// at most 3 digits), as a table read once: a lookup per number costs a
/// few nanoseconds, where `Database::by_code` allocates on every call.
/// The table is filled from `by_code`, not from iterating the regions,
/// because the non-geographic codes (800, 808, 870, 881...) share one
/// region id, `001`, and iterating by id sees only one of them.
static COUNTRY_CODES: LazyLock<[bool; 1000]> = LazyLock::new(|| {
    let mut known = [false; 1000];
    for (code, slot) in (0u16..).zip(known.iter_mut()) {
        *slot = DATABASE.by_code(&code).is_some();
    }
    known
});

/// The country calling code that `digits` (ASCII digits, no `+`) start
/// with, and the rest. Codes are prefix-free, so trying the first 1, 2
/// and 3 digits is enough: this is how libphonenumber itself splits
/// `+<digits>`. No code starts with 0.
pub(crate) fn split_code(digits: &str) -> Option<(u16, &str)> {
    let bytes = digits.as_bytes();
    if bytes.first().is_none_or(|&b| b == b'0') {
        return None;
    }
    let mut code = 0u16;
    for (i, &b) in bytes.iter().take(3).enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        code = code * 10 + u16::from(b - b'0');
        if COUNTRY_CODES[usize::from(code)] {
            return Some((code, &digits[i + 1..]));
        }
    }
    None
}

/// The usual English name of a region libphonenumber knows, from
/// crates/core/data/countries.tab.
pub(crate) fn country_name(id: &str) -> Option<&'static str> {
    static NAMES: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| {
        include_str!("../../data/countries.tab")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .collect()
    });
    NAMES
        .binary_search_by(|(code, _)| code.cmp(&id))
        .ok()
        .map(|i| NAMES[i].1)
}
