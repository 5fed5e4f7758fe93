use super::*;
use crate::phone::Country;
use crate::time::Timestamp;
use std::collections::HashMap;

fn us() -> Option<Country> {
    Some("US".parse().unwrap())
}

fn suppression(phone: &str, scope: Scope) -> Suppression {
    Suppression {
        phone: Pattern::read(phone, None).unwrap(),
        scope,
        source: Source::Api,
        reason: "asked not to be called".into(),
        created_at: Timestamp(1_764_000_000_000),
        actor: "ops".into(),
    }
}

/// A store of suppressions as the server keeps them: by key.
fn store(list: &[Suppression]) -> HashMap<Vec<u8>, Suppression> {
    list.iter()
        .map(|s| (s.phone.key(s.scope), s.clone()))
        .collect()
}

fn stops(map: &HashMap<Vec<u8>, Suppression>, digits: &str, campaign: u64) -> Option<Suppression> {
    find(digits, campaign, |k| Ok::<_, ()>(map.get(k).cloned())).unwrap()
}

#[test]
fn numbers_are_read_as_lists_are_and_prefixes_as_digits() {
    assert_eq!(
        Pattern::read("(301) 804-0009", us()).unwrap(),
        Pattern::Exact("13018040009".into())
    );
    assert_eq!(
        Pattern::read("+1 301-804-0009", None).unwrap(),
        Pattern::Exact("13018040009".into())
    );
    assert_eq!(
        Pattern::read(" +1 (301)* ", None).unwrap(),
        Pattern::Prefix("1301".into())
    );
    assert!(matches!(
        Pattern::read("3018040009", None),
        Err(PatternError::Phone(_))
    ));
    for bad in ["*", "+*", "13a*", "1234567890123456*"] {
        assert!(
            matches!(Pattern::read(bad, None), Err(PatternError::BadPrefix(_))),
            "{bad}"
        );
    }
    for short in ["+1*", "+44*", "+0123*"] {
        assert!(
            matches!(
                Pattern::read(short, None),
                Err(PatternError::ShortPrefix(_))
            ),
            "{short}"
        );
    }
    assert!(Pattern::read("+447*", None).is_ok());
}

#[test]
fn patterns_are_written_back_as_they_are_read() {
    for text in ["+13018040009", "+1301*", "+4479*"] {
        let p = Pattern::read(text, None).unwrap();
        assert_eq!(p.to_string(), text);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Pattern>(&json).unwrap(), p);
    }
}

#[test]
fn a_number_is_stopped_exactly_or_by_prefix_globally_or_in_its_campaign() {
    let map = store(&[
        suppression("+13018040009", Scope::Global),
        suppression("+1206*", Scope::Campaign(2)),
        suppression("+447*", Scope::Global),
    ]);
    assert!(stops(&map, "13018040009", 7).is_some());
    assert!(stops(&map, "13018040010", 7).is_none(), "a neighbour");
    assert!(stops(&map, "12062000001", 2).is_some());
    assert!(stops(&map, "12062000001", 3).is_none(), "another campaign");
    assert!(stops(&map, "447911123456", 3).is_some());
    assert!(stops(&map, "1206", 3).is_none());
}

#[test]
fn the_most_specific_suppression_is_found_first() {
    let map = store(&[
        suppression("+13*", Scope::Global),
        suppression("+1301*", Scope::Campaign(2)),
        suppression("+13018040009", Scope::Campaign(2)),
    ]);
    let s = stops(&map, "13018040009", 2).unwrap();
    assert_eq!(s.phone, Pattern::Exact("13018040009".into()));
    let s = stops(&map, "13018040010", 2).unwrap();
    assert_eq!(s.phone, Pattern::Prefix("1301".into()));
}

#[test]
fn a_dial_asks_at_most_two_keys_a_digit_and_two_more() {
    let keys: Vec<_> = keys_for("447911123456", 9).collect();
    assert_eq!(keys.len(), 2 + 2 * 12);
    let unique: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len());
    assert_eq!(
        keys[0],
        Pattern::Exact("447911123456".into()).key(Scope::Global)
    );
}

#[test]
fn keys_of_scopes_and_kinds_never_meet() {
    let a = Pattern::Exact("1301".into()).key(Scope::Global);
    let b = Pattern::Prefix("1301".into()).key(Scope::Global);
    let c = Pattern::Exact("1301".into()).key(Scope::Campaign(1));
    assert!(a != b && a != c && b != c);
}

#[test]
fn scopes_read_and_write_as_the_api_says() {
    assert_eq!("global".parse::<Scope>().unwrap(), Scope::Global);
    assert_eq!(" 2 ".parse::<Scope>().unwrap(), Scope::Campaign(2));
    assert!("0".parse::<Scope>().is_err());
    assert!("all".parse::<Scope>().is_err());
    assert_eq!(serde_json::to_string(&Scope::Global).unwrap(), "\"global\"");
    assert_eq!(serde_json::to_string(&Scope::Campaign(2)).unwrap(), "2");
    assert_eq!(
        serde_json::from_str::<Scope>("\"global\"").unwrap(),
        Scope::Global
    );
    assert_eq!(
        serde_json::from_str::<Scope>("3").unwrap(),
        Scope::Campaign(3)
    );
    assert!(serde_json::from_str::<Scope>("0").is_err());
}

#[test]
fn an_entry_stopped_says_which_list_since_when_and_why() {
    let r = suppression("+13018040009", Scope::Global).reason_for_entry();
    assert!(
        r.starts_with("on the do-not-call list (global, api) since 2025-"),
        "{r}"
    );
    assert!(r.ends_with(": asked not to be called"), "{r}");
}

#[test]
fn audit_records_keep_removals_and_bulk_imports_in_one_shape() {
    let remove = AuditRecord {
        seq: 2,
        at: Timestamp(1_764_000_000_000),
        action: Action::Remove {
            phone: Pattern::Exact("13018040009".into()),
        },
        scope: Scope::Global,
        source: Source::Manual,
        reason: "added by mistake".into(),
        actor: "ops".into(),
    };
    let json = serde_json::to_value(&remove).unwrap();
    assert_eq!(json["action"], "remove");
    assert_eq!(json["phone"], "+13018040009");
    assert_eq!(json["reason"], "added by mistake");
    let import = AuditRecord {
        seq: 3,
        action: Action::Import {
            count: 2,
            digest: "ab".into(),
            registry_date: Some("2026-11-30".into()),
        },
        source: Source::Registry,
        ..remove.clone()
    };
    for r in [remove, import] {
        let back: AuditRecord = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}

#[test]
fn registry_lines_in_both_formats_are_us_numbers() {
    assert_eq!(
        read_registry_line("3018040009\r").unwrap(),
        Some("13018040009".into())
    );
    assert_eq!(
        read_registry_line(" 301 , 8040009").unwrap(),
        Some("13018040009".into())
    );
    assert_eq!(read_registry_line("  ").unwrap(), None);
    assert_eq!(registry_form("3018040009"), Some(RegistryForm::Plain));
    assert_eq!(registry_form(" 301 , 8040009"), Some(RegistryForm::Comma));
    assert_eq!(registry_form(" "), None);
    for bad in [
        "301804000",
        "30180400091",
        "1018040009",
        "301,0040009",
        "301-804-0009",
        "abc,defghij",
    ] {
        assert!(read_registry_line(bad).is_err(), "{bad}");
    }
}

#[test]
fn sources_read_in_any_case_and_say_what_they_take() {
    for s in Source::ALL {
        assert_eq!(s.as_str().to_uppercase().parse::<Source>().unwrap(), s);
    }
    let e = "crm".parse::<Source>().unwrap_err();
    assert!(e.contains("manual, api, import, registry or call"), "{e}");
}

#[test]
fn a_registry_copy_holds_for_31_days_by_the_utc_date() {
    // 2026-12-02 15:30 UTC.
    let now = Timestamp(1_796_225_400_000);
    assert!(registry_hold(Some("2026-11-01"), now).is_none(), "31 days");
    assert!(registry_hold(Some("2026-12-02"), now).is_none(), "today");
    let held = registry_hold(Some("2026-10-31"), now).unwrap();
    assert!(
        held.contains("2026-10-31, 32 days old (more than 31)"),
        "{held}"
    );
    let none = registry_hold(None, now).unwrap();
    assert!(none.contains("none was imported"), "{none}");
}
