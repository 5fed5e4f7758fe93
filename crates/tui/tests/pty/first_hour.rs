//! A new user's first hour, as issue 24 found it: clocks that count on
//! across long polls, and nothing lost to one key (Esc after an error, q
//! with work in a temporary store, an export onto a file already there,
//! a refused import's form).

use crate::sandbox::Sandbox;
use crate::tui::{Tui, count};
use std::cell::Cell;

/// Seconds in an "In status" cell: "12.3 s", "1m 05s", "1h 02m".
fn seconds(cell: &str) -> Option<f64> {
    let words: Vec<&str> = cell.split_whitespace().collect();
    match words.as_slice() {
        [.., n, "s"] => n.parse().ok(),
        [.., m, s] if m.ends_with('m') && s.ends_with('s') => {
            let m: f64 = m.trim_end_matches('m').parse().ok()?;
            let s: f64 = s.trim_end_matches('s').parse().ok()?;
            Some(m * 60.0 + s)
        }
        _ => None,
    }
}

/// The first row's "In status" (entry 0, as the table and the export
/// number it), in seconds: the text between its status and the table's
/// right border.
fn age_of_row_1(screen: &str) -> Option<f64> {
    let row = screen.lines().find(|l| {
        let inside = l.trim_start_matches(['│', '›', ' ']);
        inside.starts_with("0 ") && l.contains("completed")
    })?;
    let end = row.trim_end().trim_end_matches('│');
    let tail: String = end
        .rsplit("  ")
        .find(|part| !part.trim().is_empty())?
        .to_string();
    seconds(&tail)
}

#[test]
fn durations_grow_across_long_polls_and_never_run_back() {
    let mut tui = Tui::spawn(&["--sim-time-scale", "0.01", "--long-poll", "1"]);
    tui.wait("9 idle rows and the Call button", |s| {
        count(s, " idle ") == 9 && s.contains("[ Call ] press c")
    });
    tui.press("c");
    tui.wait("all 9 completed", |s| {
        count(s, " completed ") == 9 && s.contains("[ Call ] done")
    });
    let first = age_of_row_1(&tui.contents()).expect("row 1's age");
    let last = Cell::new(first);
    // Every long poll of 1 s ends "unchanged"; three or more of them pass
    // while row 1's age grows by 3.5 s, and no reading of it goes back.
    tui.wait("row 1's age to grow across three long polls", |s| {
        let Some(now) = age_of_row_1(s) else {
            return false;
        };
        assert!(
            now + 0.05 >= last.get(),
            "row 1's age ran back from {} to {now}:\n{s}",
            last.get()
        );
        last.set(now);
        now >= first + 3.5
    });
    tui.press("q");
    tui.wait("the question: the results are in a temporary store", |s| {
        s.contains("Quit?") && s.contains("temporary")
    });
    tui.press("y");
    assert!(tui.wait_exit().success());
    tui.assert_restored();
}

#[test]
fn no_one_key_loses_a_form_a_file_or_a_temporary_store() {
    let sandbox = Sandbox::home_only();
    let cwd = sandbox.home().parent().unwrap().join("cwd");
    std::fs::write(
        cwd.join("leads.csv"),
        "phone,name\n+1 301-804-1000,Ann\n+1 301-804-1001,Bob\n",
    )
    .unwrap();
    std::fs::write(cwd.join("bad.csv"), "phone\nnot a number\n").unwrap();
    let mut tui = Tui::spawn_with(&[], |cmd| sandbox.apply(cmd));
    tui.wait("the screen", |s| s.contains("[ Call ] press c"));

    // A file that is not there: the form comes back as typed, and Esc
    // after it closes things only.
    tui.press("n");
    tui.wait("the import form", |s| {
        s.contains("New campaign from a file")
    });
    tui.press("nope.csv\r");
    tui.wait("the form again, with why", |s| {
        s.contains("File: nope.csv") && s.contains("cannot read")
    });
    tui.press("\x1b");
    tui.wait("the form closed", |s| {
        !s.contains("New campaign from a file")
    });
    tui.press("\x1b");
    tui.press("?");
    tui.wait("the help: Esc did not quit", |s| s.contains("Help ·"));
    assert!(tui.child.try_wait().unwrap().is_none(), "still running");
    tui.press("\x1b");
    tui.wait("the help closed", |s| !s.contains("Help ·"));

    // A refused import keeps every field typed.
    tui.press("n");
    tui.wait("the import form", |s| {
        s.contains("New campaign from a file")
    });
    tui.press("bad.csv");
    tui.press("\x1b[B");
    tui.press("mine\r");
    tui.wait("the refusal", |s| s.contains("bad.csv refused"));
    tui.press("\x1b");
    tui.wait("the form as it was typed", |s| {
        s.contains("File: bad.csv") && s.contains("Name: mine") && s.contains("server refused")
    });
    tui.press("\x1b");
    tui.wait("the form closed", |s| {
        !s.contains("New campaign from a file")
    });

    // A filter that matches nothing says so.
    tui.press("/bogus\r");
    tui.wait("the filter's refusal", |s| s.contains("nothing matches"));
    tui.press("\x1b");
    tui.wait("the filter closed", |s| !s.contains("nothing matches"));

    tui.press("n");
    tui.wait("the import form", |s| {
        s.contains("New campaign from a file")
    });
    tui.press("leads.csv\r");
    tui.wait("campaign 2 imported", |s| {
        s.contains("imported leads.csv as campaign 2")
    });

    // An export onto a file already there asks; n leaves it as it was.
    let kept = b"precious,bytes\r\n\xff".to_vec();
    std::fs::write(cwd.join("leads-2.csv"), &kept).unwrap();
    tui.press("e");
    tui.wait("the export form", |s| s.contains("./leads-2.csv"));
    tui.press("\r");
    tui.wait("the question", |s| {
        s.contains("Replace the file?") && s.contains("exists already")
    });
    tui.press("n");
    tui.wait("the question gone", |s| !s.contains("Replace the file?"));
    assert_eq!(std::fs::read(cwd.join("leads-2.csv")).unwrap(), kept);

    // Quitting a temporary store that holds an imported campaign asks.
    tui.press("q");
    tui.wait("the quit question", |s| {
        s.contains("Quit?") && s.contains("temporary") && s.contains("n stay")
    });
    tui.press("n");
    tui.wait("still here", |s| !s.contains("Quit?"));
    tui.press("q");
    tui.wait("the quit question", |s| s.contains("Quit?"));
    tui.press("y");
    assert!(tui.wait_exit().success());
    tui.assert_restored();
}
