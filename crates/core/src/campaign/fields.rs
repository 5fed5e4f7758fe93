//! An entry's extra columns, as the import read them.

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The values of an import's extra columns for one entry, aligned with the
/// campaign's `columns`, in two allocations.
///
/// A spreadsheet's export has dozens of columns; held as one `String` each,
/// a cell of a few bytes cost a hundred in memory (a 32 MiB CSV of 100
/// columns grew the server by 305 MB at its peak and kept 10 KB per entry).
/// Here the cells are one text and where each ends. Stored and answered as
/// a JSON array of strings, as before.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Fields {
    /// `None` rather than empty, so that [`Fields::EMPTY`] can be a const.
    text: Option<Box<str>>,
    /// Where each value ends in `text`.
    ends: Option<Box<[u32]>>,
}

impl Fields {
    /// No values: what a `const` needs, since `Default` is not one.
    pub const EMPTY: Fields = Fields {
        text: None,
        ends: None,
    };

    fn ends(&self) -> &[u32] {
        self.ends.as_deref().unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.ends().len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends().is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        let ends = self.ends();
        let end = *ends.get(i)? as usize;
        let start = match i {
            0 => 0,
            _ => ends[i - 1] as usize,
        };
        self.text.as_deref().unwrap_or_default().get(start..end)
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// These values and `value` after them.
    pub fn with(&self, value: &str) -> Fields {
        self.iter().chain([value]).collect()
    }
}

/// Builds [`Fields`] a value at a time.
#[derive(Default)]
struct Builder {
    text: String,
    ends: Vec<u32>,
}

impl Builder {
    fn push(&mut self, value: &str) {
        self.text.push_str(value);
        // An import's row is at most 100 values of 1 KiB; a stored record
        // that somehow held 4 GiB of them would not have loaded.
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    fn build(self) -> Fields {
        if self.ends.is_empty() {
            return Fields::EMPTY;
        }
        Fields {
            text: Some(self.text.into_boxed_str()),
            ends: Some(self.ends.into_boxed_slice()),
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for Fields {
    fn from_iter<I: IntoIterator<Item = S>>(values: I) -> Self {
        let mut b = Builder::default();
        for v in values {
            b.push(v.as_ref());
        }
        b.build()
    }
}

impl From<Vec<String>> for Fields {
    fn from(values: Vec<String>) -> Self {
        values.into_iter().collect()
    }
}

impl<const N: usize> PartialEq<[&str; N]> for Fields {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for v in self.iter() {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Values;
        impl<'de> Visitor<'de> for Values {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Fields, A::Error> {
                let mut b = Builder::default();
                while let Some(v) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    b.push(&v);
                }
                Ok(b.build())
            }
        }
        deserializer.deserialize_seq(Values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn values_come_back_in_order_empty_ones_included() {
        let f: Fields = ["a", "", "ccc", ""].into_iter().collect();
        assert_eq!(f.len(), 4);
        assert_eq!(f.iter().collect::<Vec<_>>(), ["a", "", "ccc", ""]);
        assert_eq!(f.get(2), Some("ccc"));
        assert_eq!(f.get(4), None);
        assert_eq!(f.with("x").iter().last(), Some("x"));
        assert!(Fields::default().is_empty());
        assert_eq!(format!("{f:?}"), r#"["a", "", "ccc", ""]"#);
    }

    #[test]
    fn stored_as_a_json_array_of_strings() {
        let f: Fields = ["é\"\n", "2"].into_iter().collect();
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, r#"["é\"\n","2"]"#);
        assert_eq!(serde_json::from_str::<Fields>(&json).unwrap(), f);
        assert_eq!(
            serde_json::from_str::<Fields>("[]").unwrap(),
            Fields::default()
        );
        assert!(serde_json::from_str::<Fields>("[1]").is_err());
    }

    proptest! {
        #[test]
        fn any_values_round_trip(values in proptest::collection::vec(".{0,12}", 0..20)) {
            let f = Fields::from(values.clone());
            prop_assert_eq!(f.iter().map(str::to_string).collect::<Vec<_>>(), values.clone());
            let json = serde_json::to_string(&f).unwrap();
            prop_assert_eq!(&json, &serde_json::to_string(&values).unwrap());
            prop_assert_eq!(serde_json::from_str::<Fields>(&json).unwrap(), f);
        }
    }
}
