use super::*;
use crate::PhoneError;
use proptest::prelude::*;
use std::time::Instant;

fn digits(imported: &Imported) -> Vec<&str> {
    imported.entries.iter().map(|e| e.phone.digits()).collect()
}

fn names(imported: &Imported) -> Vec<Option<&str>> {
    imported.entries.iter().map(|e| e.name.as_deref()).collect()
}

fn lines(err: &ImportError) -> Vec<usize> {
    err.errors.iter().map(|e| e.line).collect()
}

/// A whole-body refusal: no line named, nothing counted.
fn whole(result: Result<Imported, ImportError>) -> String {
    let err = result.unwrap_err();
    assert!(err.errors.is_empty(), "{err:?}");
    assert_eq!(err.error_count, 0, "{err:?}");
    err.error
}

#[test]
fn media_types_pick_the_format() {
    for (content_type, format) in [
        ("text/csv", Some(Format::Csv)),
        ("text/csv; charset=utf-8", Some(Format::Csv)),
        ("Text/CSV", Some(Format::Csv)),
        ("text/plain", Some(Format::Text)),
        ("text/plain;charset=UTF-8", Some(Format::Text)),
        ("application/json", Some(Format::Json)),
        (" application/json ; charset=utf-8", Some(Format::Json)),
        ("application/x-www-form-urlencoded", None),
        ("text/csvx", None),
        ("", None),
    ] {
        assert_eq!(
            Format::from_media_type(content_type),
            format,
            "{content_type}"
        );
    }
    for f in [Format::Csv, Format::Text, Format::Json] {
        assert_eq!(Format::from_media_type(f.media_type()), Some(f));
    }
}

#[test]
fn csv_reads_phones_and_names() {
    let got = parse_csv(
        b"phone,name\n+1 301-804-0009,Ann\n447911123456,  Bob  \n6837012,\n",
        None,
    )
    .unwrap();
    assert_eq!(digits(&got), ["13018040009", "447911123456", "6837012"]);
    assert_eq!(names(&got), [Some("Ann"), Some("Bob"), None]);
    assert!(got.columns.is_empty());
    assert!(got.entries.iter().all(|e| e.fields.is_empty()));
}

#[test]
fn csv_keeps_extra_columns_in_file_order() {
    let body = b" Name ,city,PHONE,note\nAnn,Paris,+33 6 12 34 56 78,first\nBob,Oslo,4722334455,\n";
    let got = parse_csv(body, None).unwrap();
    assert_eq!(got.columns, ["city", "note"]);
    assert_eq!(digits(&got), ["33612345678", "4722334455"]);
    assert_eq!(names(&got), [Some("Ann"), Some("Bob")]);
    assert_eq!(got.entries[0].fields, ["Paris", "first"]);
    assert_eq!(got.entries[1].fields, ["Oslo", ""]);
}

#[test]
fn a_column_named_like_an_export_column_is_kept_with_an_x_prefix() {
    let body = b"phone,Status,answered_by,city\n13018040009,vip,me,Paris\n";
    let got = parse_csv(body, None).unwrap();
    assert_eq!(got.columns, ["x_Status", "x_answered_by", "city"]);
    assert_eq!(got.entries[0].fields, ["vip", "me", "Paris"]);
    assert_eq!(got.warning_count, 2);
    assert_eq!(got.warnings[0].line, 1);
    assert_eq!(
        got.warnings[1].warning,
        "column \"answered_by\" is kept as \"x_answered_by\": the export has its own answered_by column"
    );
}

#[test]
fn csv_phone_alone_is_enough() {
    let got = parse_csv(b"phone\n13018040009\n", None).unwrap();
    assert_eq!(digits(&got), ["13018040009"]);
    assert_eq!(names(&got), [None]);
}

#[test]
fn csv_takes_a_bom_and_crlf() {
    let got = parse_csv(
        b"\xEF\xBB\xBFphone,name\r\n13018040009,Ann\r\n19842068287,Bob\r\n",
        None,
    )
    .unwrap();
    assert_eq!(digits(&got), ["13018040009", "19842068287"]);
    assert_eq!(names(&got), [Some("Ann"), Some("Bob")]);
    let err = parse_csv(b"\xEF\xBB\xBFphone\r\n13018040009\r\n12ab\r\n", None).unwrap_err();
    assert_eq!(lines(&err), [3]);
}

#[test]
fn csv_quoted_fields_keep_their_commas_quotes_and_newlines() {
    let body = "phone,name,note\n\
                \"+1 (301) 804-0009\",\"Doe, Jane\",\"said \"\"hi\"\", then left\"\n\
                19842068287,Bob,\"two\nlines\"\n\
                12ab,Carl,x\n";
    let err = parse_csv(body.as_bytes(), None).unwrap_err();
    assert_eq!(lines(&err), [5], "the quoted newline counts as a line");
    let body = body.replace("12ab", "15512459377");
    let got = parse_csv(body.as_bytes(), None).unwrap();
    assert_eq!(digits(&got), ["13018040009", "19842068287", "15512459377"]);
    assert_eq!(names(&got), [Some("Doe, Jane"), Some("Bob"), Some("Carl")]);
    assert_eq!(got.entries[0].fields, ["said \"hi\", then left"]);
    assert_eq!(got.entries[1].fields, ["two\nlines"]);
}

#[test]
fn csv_skips_blank_lines_and_counts_them() {
    let err = parse_csv(b"phone\n\n13018040009\n\n\n12ab\n", None).unwrap_err();
    assert_eq!(lines(&err), [6]);
}

#[test]
fn csv_names_each_bad_line() {
    let body = "phone,name\n13018040009,Ann\n12ab,Bob\n19842068287,Carl\n+1 301,Dan\n";
    let err = parse_csv(body.as_bytes(), None).unwrap_err();
    assert_eq!(lines(&err), [3, 5]);
    assert_eq!(err.error_count, 2);
    assert_eq!(
        err.errors[0].error,
        Phone::parse("12ab").unwrap_err().to_string()
    );
    assert!(
        matches!(
            Phone::parse("+1 301"),
            Err(PhoneError::TooShort { digits: 4, .. })
        ),
        "the premise"
    );
    assert_eq!(
        err.error,
        format!(
            "2 lines could not be imported; nothing was stored (first: line 3: {})",
            err.errors[0].error
        )
    );
    let one = parse_csv(b"phone\n12ab\n", None).unwrap_err();
    assert!(
        one.error
            .starts_with("1 line could not be imported; nothing was stored (first: line 2: \"12ab\" is not a phone number"),
        "{}",
        one.error
    );
}

#[test]
fn csv_ragged_rows_are_bad_lines() {
    let body =
        "phone,name\n13018040009,Ann\n19842068287\n15512459377,Carl,extra\n19362072765,Dan\n";
    let err = parse_csv(body.as_bytes(), None).unwrap_err();
    assert_eq!(lines(&err), [3, 4]);
    assert_eq!(err.errors[0].error, "1 field where the header has 2");
    assert_eq!(err.errors[1].error, "3 fields where the header has 2");
}

#[test]
fn csv_counts_every_bad_line_and_names_the_first_100() {
    let mut body = String::from("phone,name\n");
    for i in 0..1000 {
        if i % 4 == 1 {
            body.push_str("not a number,x\n");
        } else {
            body.push_str("13018040009,x\n");
        }
    }
    let err = parse_csv(body.as_bytes(), None).unwrap_err();
    assert_eq!(err.error_count, 250);
    assert_eq!(err.errors.len(), MAX_LINE_ERRORS);
    let want: Vec<usize> = (0..100).map(|k| 3 + 4 * k).collect();
    assert_eq!(lines(&err), want);
    assert!(
        err.error
            .starts_with("250 lines could not be imported; nothing was stored (first: line 3: "),
        "{}",
        err.error
    );
}

#[test]
fn csv_refuses_whole_files() {
    for (body, start) in [
        (&b""[..], "the file is empty"),
        (b"  \r\n\n", "the file is empty"),
        (b"\xEF\xBB\xBF", "the file is empty"),
        (b"phone,name\n", "the file has a header but no numbers"),
        (b"phone\n\n\n", "the file has a header but no numbers"),
        (
            b"number,name\n13018040009,Ann\n",
            "the header (line 1) has no phone column: name one column \"phone\" (found \"number\", \"name\")",
        ),
        (
            b"phone,Phone\n1,2\n",
            "the header (line 1) has two phone columns",
        ),
        (
            b"name,phone,NAME\n1,2,3\n",
            "the header (line 1) has two name columns",
        ),
        (
            b"phone\n13018040009\n\xFFx\n",
            "the file is not UTF-8 text (the first bad byte is on line 3)",
        ),
    ] {
        let error = whole(parse_csv(body, None));
        assert!(error.starts_with(start), "{error} (wanted {start})");
    }
    let error = whole(parse_csv(b"Mobile,tel\n1,2\n", None));
    assert_eq!(
        error,
        "the header (line 1) has \"Mobile\" and \"tel\" columns that could be the phone numbers: name the one to dial \"phone\""
    );
}

/// The spreadsheet habits file: 20 rows, `;` separators, a `Phone Number`
/// header, numbers written the national way. Read in the United States,
/// every row imports (with its extension, or with a warning) or gets a
/// line error that says how to fix it.
const HABITS: &str = include_str!("../../tests/fixtures/spreadsheet_habits.csv");

#[test]
fn spreadsheet_habits_import_or_say_how_to_fix_them() {
    let us = Some("US".parse().unwrap());
    assert_eq!(HABITS.lines().count(), 21, "a header and 20 rows");
    let err = parse_csv(HABITS.as_bytes(), us).unwrap_err();
    assert_eq!(lines(&err), [8, 13, 18, 21]);
    let hints = [
        "Format the column as Text",
        "read in the United States (US), +1 5550100 is not a valid number there; write a number of another country with + and its country code",
        "bad character 'c'",
        "Format the column as Text",
    ];
    for (e, hint) in err.errors.iter().zip(hints) {
        assert!(
            e.error.contains(hint),
            "line {}: {} (wanted {hint})",
            e.line,
            e.error
        );
    }
    assert!(
        err.errors[0]
            .error
            .starts_with("\"1.30180400E+10\" is a number in scientific notation"),
        "{}",
        err.errors[0].error
    );

    let good: String = HABITS
        .lines()
        .enumerate()
        .filter(|(i, _)| ![7, 12, 17, 20].contains(i))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let got = parse_csv(good.as_bytes(), us).unwrap();
    assert_eq!(
        digits(&got),
        [
            "19842068287",
            "13018040009",
            "13018040009",
            "13018040009",
            "13018040009",
            "13018040009",
            "447911123456",
            "447911123456",
            "447911123456",
            "19842068287",
            "19995550100",
            "19842068287",
            "13018040009",
            "19842068287",
            "19842068287",
            "33612345678",
        ]
    );
    assert_eq!(got.columns, ["City", "extension"]);
    let ext: Vec<&str> = got
        .entries
        .iter()
        .map(|e| e.fields.get(1).unwrap())
        .collect();
    assert_eq!(
        ext,
        [
            "", "", "", "", "12", "12", "", "", "", "", "", "7", "", "", "", ""
        ]
    );
    assert_eq!(names(&got)[0], Some("Ann"));
    assert_eq!(got.entries[0].fields.get(0), Some("Durham"));
    assert_eq!(got.warning_count, 1);
    assert_eq!(got.warnings[0].line, 12, "Max's line in the shortened file");
    assert!(
        got.warnings[0]
            .warning
            .starts_with("+1 999-555-0100 is not a valid number")
    );

    // Without a country, the national numbers are refused with the hint.
    let err = parse_csv(good.as_bytes(), None).unwrap_err();
    assert_eq!(err.errors[0].line, 2);
    assert_eq!(
        err.errors[0].error,
        "\"(984) 206-8287\": read with its country code, +98 42068287 is not a valid number in Iran; if these are US numbers, import with --country US"
    );
}

#[test]
fn national_numbers_are_read_in_the_import_country() {
    let us = Some("US".parse().unwrap());
    for body in [
        "phone\n(984) 206-8287\n3018040009\n",
        "Phone Number\n(984) 206-8287\n3018040009\n",
        "name\tTelephone\nAnn\t(984) 206-8287\nBob\t3018040009\n",
        "mobile,x\n(984) 206-8287,1\n3018040009,2\n",
        "TEL;x\n(984) 206-8287;1\n3018040009;2\n",
    ] {
        let got = parse_csv(body.as_bytes(), us).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(digits(&got), ["19842068287", "13018040009"], "{body}");
        let err = parse_csv(body.as_bytes(), None).unwrap_err();
        assert_eq!(lines(&err), [2, 3], "{body}");
        assert!(
            err.errors[1].error.contains("+30 18040009 is not a valid number in Greece; if these are US numbers, import with --country US"),
            "{}",
            err.errors[1].error
        );
    }
    let got = parse_text(b"(984) 206-8287\n3018040009 x9\n", us).unwrap();
    assert_eq!(digits(&got), ["19842068287", "13018040009"]);
    assert_eq!(got.columns, ["extension"]);
    assert_eq!(got.entries[1].fields, ["9"]);
    assert_eq!(got.entries[0].fields, [""]);
    let (settings, got) = parse_json(
        br#"{"country": "us", "numbers": ["(984) 206-8287", "+44 7911 123456"]}"#,
        None,
    )
    .unwrap();
    assert_eq!(settings.country, us);
    assert_eq!(digits(&got), ["19842068287", "447911123456"]);
    let err = parse_json(br#"{"numbers": ["3018040009"]}"#, None).unwrap_err();
    assert!(
        err.errors[0].error.contains("in Greece"),
        "{}",
        err.errors[0].error
    );
    let err = whole(parse_json(br#"{"country": "XX", "numbers": ["1"]}"#, None).map(|(_, i)| i));
    assert!(err.contains("\"XX\" is not a country"), "{err}");
}

#[test]
fn a_file_extension_column_takes_the_written_extension() {
    let body = "phone,extension\n+1 301 804 0009 x5,\n+1 301 804 0009 x5,44\n+1 984 206 8287,\n";
    let got = parse_csv(body.as_bytes(), None).unwrap();
    assert_eq!(got.columns, ["extension"]);
    let ext: Vec<&str> = got
        .entries
        .iter()
        .map(|e| e.fields.get(0).unwrap())
        .collect();
    assert_eq!(ext, ["5", "44", ""]);
}

#[test]
fn warnings_are_counted_and_the_first_100_named() {
    let body: String = (0..150).map(|_| "+1 999 555 0100\n").collect();
    let got = parse_text(body.as_bytes(), None).unwrap();
    assert_eq!(got.warning_count, 150);
    assert_eq!(got.warnings.len(), MAX_LINE_WARNINGS);
    assert_eq!(got.warnings[99].line, 100);
}

#[test]
fn text_reads_one_number_a_line() {
    let body =
        b"\xEF\xBB\xBF# team A\r\n+1 301-804-0009\r\n\r\n  +44 7911 123456  \n# done\n+683 7012";
    let got = parse_text(body, None).unwrap();
    assert_eq!(digits(&got), ["13018040009", "447911123456", "6837012"]);
    assert_eq!(names(&got), [None, None, None]);
    assert!(got.columns.is_empty());
}

#[test]
fn text_names_every_bad_line() {
    let err = parse_text(b"# list\n13018040009\n12ab\n\n+1 301\n19842068287\n", None).unwrap_err();
    assert_eq!(lines(&err), [3, 5]);
    assert_eq!(err.error_count, 2);
    assert!(
        err.error.starts_with(
            "2 lines could not be imported; nothing was stored (first: line 3: \"12ab\""
        ),
        "{}",
        err.error
    );
}

#[test]
fn text_refuses_whole_files() {
    for body in [&b""[..], b"\n\n", b"# only a comment\n"] {
        let error = whole(parse_text(body, None));
        assert!(error.starts_with("the list has no numbers"), "{error}");
    }
    let error = whole(parse_text(b"13018040009\n\xC3\x28\n", None));
    assert!(
        error.contains("not UTF-8") && error.contains("line 2"),
        "{error}"
    );
}

#[test]
fn json_takes_numbers_or_entries_with_their_settings() {
    let body = br#"{"name": "May", "numbers": ["+1 301-804-0009", "447911123456"],
        "retry": {"max_attempts": 3, "retry_on": "no_answer"}, "start": true}"#;
    let (settings, got) = parse_json(body, None).unwrap();
    assert_eq!(settings.name.as_deref(), Some("May"));
    assert!(settings.start);
    assert_eq!(settings.retry.policy().unwrap().max_attempts, 3);
    assert_eq!(digits(&got), ["13018040009", "447911123456"]);
    assert_eq!(names(&got), [None, None]);

    let body = br#"{"entries": [{"phone": "13018040009", "name": " Ann "},
        {"phone": "+683 7012"}, {"phone": "19842068287", "name": ""}]}"#;
    let (settings, got) = parse_json(body, None).unwrap();
    assert_eq!(settings, BodySettings::default());
    assert_eq!(digits(&got), ["13018040009", "6837012", "19842068287"]);
    assert_eq!(names(&got), [Some("Ann"), None, None]);
}

#[test]
fn json_names_bad_items_by_position() {
    let body = br#"{"numbers": ["13018040009", "12ab", "19842068287", "+1 301"]}"#;
    let err = parse_json(body, None).unwrap_err();
    assert_eq!(lines(&err), [2, 4]);
    assert_eq!(err.error_count, 2);
    assert!(
        err.error.starts_with(
            "2 items could not be imported; nothing was stored (first: item 2: \"12ab\""
        ),
        "{}",
        err.error
    );
    let body = br#"{"entries": [{"phone": "x", "name": "Ann"}]}"#;
    let err = parse_json(body, None).unwrap_err();
    assert_eq!(lines(&err), [1]);
    assert!(err.error.starts_with("1 item could not"), "{}", err.error);
}

#[test]
fn json_refuses_whole_bodies() {
    for (body, start) in [
        (&b""[..], "the body is empty"),
        (
            b"{\"numbers\": [\"13018040009\"",
            "the body is not a campaign in JSON: EOF",
        ),
        (
            b"[\"13018040009\"]",
            "the body is not a campaign in JSON: invalid length",
        ),
        (
            b"{\"numbers\": [13018040009]}",
            "the body is not a campaign in JSON: invalid type",
        ),
        (
            b"{\"phones\": []}",
            "the body is not a campaign in JSON: unknown field `phones`",
        ),
        (
            b"{\"name\": \"x\"}",
            "the body has no numbers: give \"numbers\"",
        ),
        (
            b"{\"numbers\": [\"13018040009\"], \"entries\": [{\"phone\": \"13018040009\"}]}",
            "the body has both \"numbers\" and \"entries\"",
        ),
        (
            b"{\"numbers\": []}",
            "the list has no numbers: \"numbers\" is empty",
        ),
        (
            b"{\"entries\": []}",
            "the list has no numbers: \"entries\" is empty",
        ),
        (b"\xFF", "the file is not UTF-8"),
    ] {
        let error = whole(parse_json(body, None).map(|(_, i)| i));
        assert!(error.starts_with(start), "{error} (wanted {start})");
    }
    let error = whole(parse_json(b"{\n\"numbers\": [\"1\",]}", None).map(|(_, i)| i));
    assert!(error.contains("line 2 column"), "{error}");
}

#[test]
fn parse_returns_settings_only_for_json() {
    let csv = parse(Format::Csv, b"phone\n13018040009\n", None).unwrap();
    assert_eq!(csv.settings, None);
    assert_eq!(digits(&csv.imported), ["13018040009"]);
    let text = parse(Format::Text, b"13018040009\n", None).unwrap();
    assert_eq!(text.settings, None);
    assert_eq!(text.imported, csv.imported);
    let json = parse(
        Format::Json,
        br#"{"name": "n", "numbers": ["13018040009"]}"#,
        None,
    )
    .unwrap();
    assert_eq!(json.settings.unwrap().name.as_deref(), Some("n"));
    assert_eq!(json.imported, csv.imported);
    assert!(
        parse(Format::Csv, b"13018040009\n", None).is_err(),
        "no header"
    );
}

#[test]
fn the_limit_stops_reading_at_once() {
    let mut out = Collector::new(Unit::Line, 0, None, &|_| None);
    out.error_count = MAX_ENTRIES - 1;
    assert!(out.admit().is_ok());
    out.bad(7, "x");
    let err = out.admit().unwrap_err();
    assert!(
        err.error
            .starts_with("too many entries: one import takes at most 1,000,000")
    );
    assert!(err.errors.is_empty());
}

#[test]
fn errors_become_the_422_body() {
    let err = parse_text(b"12ab\n", None).unwrap_err();
    let body = crate::api::ImportErrorBody::from(err.clone());
    assert_eq!(body.error, err.error);
    assert_eq!(body.errors, err.errors);
    assert_eq!(body.error_count, 1);
    assert_eq!(err.to_string(), err.error);
}

/// A million-line CSV, the most the design allows, parsed in release:
/// `cargo test --release -p numdialer-core --lib -- --ignored million`.
/// The times are printed (about 0.4 s for the CSV on a loaded 2-core
/// machine); an upload must not hold a request for seconds.
#[test]
#[ignore = "a timing: run in release"]
fn a_million_lines_parse_quickly() {
    let mut body = String::from("phone,name,city\n");
    for i in 0..MAX_ENTRIES {
        body.push_str(&format!(
            "+1 (301) 804-{:04},Person {i},\"Springfield, IL\"\n",
            i % 10_000
        ));
    }
    let started = Instant::now();
    let got = parse_csv(body.as_bytes(), None).unwrap();
    let took = started.elapsed();
    eprintln!(
        "parse_csv: {} lines, {} MiB, in {took:?}",
        got.entries.len(),
        body.len() >> 20
    );
    assert_eq!(got.entries.len(), MAX_ENTRIES);
    assert!(took.as_secs_f64() < 5.0, "{took:?}");

    body.push_str("13018040009,One more,x\n");
    let started = Instant::now();
    let err = parse_csv(body.as_bytes(), None).unwrap_err();
    eprintln!(
        "parse_csv: refused 1,000,001 lines in {:?}",
        started.elapsed()
    );
    assert!(err.error.starts_with("too many entries"), "{}", err.error);

    let text: String = (0..MAX_ENTRIES)
        .map(|i| format!("+44 7911 {:06}\n", i))
        .collect();
    let started = Instant::now();
    let got = parse_text(text.as_bytes(), None).unwrap();
    eprintln!(
        "parse_text: {} lines in {:?}",
        got.entries.len(),
        started.elapsed()
    );

    let numbers: Vec<String> = (0..MAX_ENTRIES).map(|i| format!("4930{i:07}")).collect();
    let json = serde_json::json!({ "numbers": numbers }).to_string();
    let started = Instant::now();
    let (_, got) = parse_json(json.as_bytes(), None).unwrap();
    eprintln!(
        "parse_json: {} items in {:?}",
        got.entries.len(),
        started.elapsed()
    );

    let national: String = (0..MAX_ENTRIES)
        .map(|i| format!("(301) {:03}-{:04}\n", 200 + i % 700, i % 10_000))
        .collect();
    let started = Instant::now();
    let got = parse_text(national.as_bytes(), Some("US".parse().unwrap())).unwrap();
    let took = started.elapsed();
    eprintln!(
        "parse_text, national numbers in US: {} lines in {took:?}",
        got.entries.len()
    );
    assert!(took.as_secs_f64() < 5.0, "{took:?}");
}

/// What reading a number costs, against libphonenumber's full parser
/// (10 to 15 µs a number, which `Phone::read` avoids by running its rules
/// on compiled regexes) and the structural `Phone::parse`:
/// `cargo test --release -p numdialer-core --lib -- --ignored parse_cost --nocapture`.
#[test]
#[ignore = "a timing: run in release"]
fn libphonenumber_parse_cost() {
    let numbers: Vec<String> = (0..100_000)
        .map(|i| format!("+1301{:03}{:04}", 200 + i % 700, i % 10_000))
        .collect();
    let national: Vec<String> = (0..100_000)
        .map(|i| format!("(301) {:03}-{:04}", 200 + i % 700, i % 10_000))
        .collect();
    let us = Some("US".parse().unwrap());
    // Once, so that compiling the +1 patterns is not timed.
    assert!(Phone::read(&numbers[0], None).is_ok());
    let started = Instant::now();
    let ok = numbers
        .iter()
        .filter(|n| phonenumber::parse(None, n.as_str()).is_ok())
        .count();
    let theirs = started.elapsed();
    let started = Instant::now();
    let ours = numbers.iter().filter(|n| Phone::parse(n).is_ok()).count();
    let parse = started.elapsed();
    let started = Instant::now();
    let read = numbers
        .iter()
        .filter(|n| Phone::read(n, None).is_ok_and(|r| !r.unverified))
        .count();
    let read_intl = started.elapsed();
    let started = Instant::now();
    let read_us = national
        .iter()
        .filter(|n| Phone::read(n, us).is_ok())
        .count();
    let read_national = started.elapsed();
    assert_eq!(ok, ours);
    assert_eq!(read, numbers.len());
    assert_eq!(read_us, national.len());
    let per = |d: std::time::Duration| d.as_nanos() / 100_000;
    eprintln!(
        "per number: phonenumber::parse {} ns, Phone::parse {} ns, Phone::read +1… {} ns, Phone::read (301)… in US {} ns",
        per(theirs),
        per(parse),
        per(read_intl),
        per(read_national)
    );
}

proptest! {
    /// Bad rows are named by the line they start on, whatever the line
    /// ends, blank lines and quoted line breaks before them.
    #[test]
    fn csv_lines_are_the_files_lines(
        crlf: bool,
        rows in proptest::collection::vec((0..3usize, any::<bool>(), any::<bool>()), 1..40),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut body = format!("phone,note{eol}");
        let mut line = 2;
        let mut bad = Vec::new();
        for (blanks, is_bad, two_lines) in &rows {
            for _ in 0..*blanks {
                body.push_str(eol);
                line += 1;
            }
            if *is_bad {
                bad.push(line);
            }
            body.push_str(if *is_bad { "12ab" } else { "13018040009" });
            if *two_lines {
                body.push_str(&format!(",\"a{eol}b\"{eol}"));
                line += 2;
            } else {
                body.push_str(&format!(",x{eol}"));
                line += 1;
            }
        }
        match parse_csv(body.as_bytes(), None) {
            Ok(got) => {
                prop_assert!(bad.is_empty());
                prop_assert_eq!(got.entries.len(), rows.len());
            }
            Err(err) => prop_assert_eq!(lines(&err), bad),
        }
    }
}

#[test]
fn an_uploads_digest_changes_with_its_body_settings_and_format() {
    let settings = [("name", Some("a")), ("start", None)];
    let d = upload_digest(Format::Csv, &settings, b"phone\n13018040009\n");
    assert!(d.starts_with("sha1:") && d.len() == 45, "{d}");
    assert_eq!(
        d,
        upload_digest(Format::Csv, &settings, b"phone\n13018040009\n")
    );
    for other in [
        upload_digest(Format::Csv, &settings, b"phone\n13018040010\n"),
        upload_digest(Format::Text, &settings, b"phone\n13018040009\n"),
        upload_digest(
            Format::Csv,
            &[("name", Some("b")), ("start", None)],
            b"phone\n13018040009\n",
        ),
        upload_digest(
            Format::Csv,
            &[("name", Some("a")), ("start", Some(""))],
            b"phone\n13018040009\n",
        ),
        // The setting's value and the body never run together.
        upload_digest(
            Format::Csv,
            &[("name", Some("aphone")), ("start", None)],
            b"\n13018040009\n",
        ),
    ] {
        assert_ne!(d, other);
    }
}

#[test]
fn a_checked_import_warns_on_each_line_the_check_answers() {
    let plus_one_only = |p: &Phone| (!p.digits().starts_with('1')).then(|| "not +1".to_string());
    let csv = b"phone,name\n+13018040009,a\n\n+447911123456,b\n+447911123457,c\n";
    let up = parse_checked(Format::Csv, csv, None, &plus_one_only).unwrap();
    let lines: Vec<usize> = up.imported.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [4, 5]);
    assert_eq!(up.imported.warning_count, 2);
    assert_eq!(up.imported.entries.len(), 3, "warned, still imported");
    let json = br#"{"numbers": ["+447911123456", "+13018040009"]}"#;
    let up = parse_checked(Format::Json, json, None, &plus_one_only).unwrap();
    assert_eq!(up.imported.warnings[0].line, 1);
    let text = b"+13018040009\n+447911123456\n";
    let up = parse_checked(Format::Text, text, None, &plus_one_only).unwrap();
    assert_eq!(up.imported.warnings[0].line, 2);
    assert_eq!(up.imported.warnings[0].warning, "not +1");
}
