//! The export's shape, which an import must know too: an import column
//! named like one of the fixed columns would be read back as that column.

/// The export's fixed columns, in order; the import's own columns follow.
pub const FIXED_COLUMNS: [&str; 12] = [
    "index",
    "phone",
    "name",
    "status",
    "outcome",
    "attempts",
    "call_id",
    "first_dialed_at",
    "ended_at",
    "reason",
    "timezones",
    "waiting_until",
];

/// What an import column named `name` is kept as: its name, or with an
/// `x_` prefix when the export already has a column of that name (design.md,
/// "Shared decisions": the data is kept, under a name of its own).
pub fn column_name(name: &str) -> String {
    let taken = |n: &str| FIXED_COLUMNS.iter().any(|f| f.eq_ignore_ascii_case(n));
    let mut kept = name.to_string();
    while taken(&kept) {
        kept.insert_str(0, "x_");
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_named_like_a_fixed_one_gets_a_prefix() {
        assert_eq!(column_name("status"), "x_status");
        assert_eq!(column_name("Reason"), "x_Reason");
        assert_eq!(column_name("company"), "company");
        assert_eq!(column_name("x_status"), "x_status");
    }
}
