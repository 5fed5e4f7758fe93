//! Campaigns through the TUI's keys, against the embedded server and
//! simulator: a file imported with `n` (its name completed by Tab),
//! started, paused and resumed, stopped after the question, exported and
//! read back; and a file with a bad line refused with its line number,
//! creating nothing.

use crate::sandbox::Sandbox;
use crate::tui::Tui;

/// Entries of the imported list: enough that the simulator (calls of up to
/// 15 s, three at a time) is still dialing when the test stops it.
const ENTRIES: usize = 40;

/// Whether a line of the screen contains every one of `words`.
fn line_with(screen: &str, words: &[&str]) -> bool {
    screen.lines().any(|l| words.iter().all(|w| l.contains(w)))
}

/// Whether the pane's row of campaign 2 says `state`.
fn leads_is(screen: &str, state: &str) -> bool {
    screen
        .lines()
        .any(|l| l.contains("  2 leads") && l.contains(state))
}

#[test]
fn import_start_pause_resume_stop_and_export_through_the_keys() {
    let sandbox = Sandbox::home_only();
    let cwd = sandbox.home().parent().unwrap().join("cwd");
    let mut csv = String::from("phone,name,segment\n");
    for i in 0..ENTRIES {
        csv.push_str(&format!(
            "+1 301-804-{:04},Person {i},s{}\n",
            1000 + i,
            i % 3
        ));
    }
    std::fs::write(cwd.join("leads.csv"), csv).unwrap();
    std::fs::write(
        cwd.join("bad.csv"),
        "phone,name\n13018040009,Ann\nnot a number,Bob\n",
    )
    .unwrap();

    let mut tui = Tui::spawn_with(&[], |cmd| sandbox.apply(cmd));
    tui.wait("campaign 1's nine entries", |s| {
        s.contains("[ Call ] press c") && !s.contains("Campaigns")
    });

    tui.press("n");
    tui.wait("the import form", |s| {
        s.contains("New campaign from a file")
    });
    tui.press("lea\t");
    tui.wait("Tab to complete the file's name", |s| {
        s.contains("File: leads.csv")
    });
    tui.press("\r");
    tui.wait("campaign 2 in the pane, watched", |s| {
        s.contains("Campaigns · 2")
            && leads_is(s, "draft")
            && s.contains(&format!("Calls · #2 leads · {ENTRIES}"))
            && s.contains("imported leads.csv as campaign 2")
    });

    tui.press("c");
    tui.wait("campaign 2 running", |s| {
        leads_is(s, "running") && s.contains("campaign 2 started")
    });
    tui.wait("a call of campaign 2 under way", |s| {
        s.contains("ringing") || s.contains("answered") || s.contains("completed")
    });

    tui.press("p");
    tui.wait("campaign 2 paused", |s| {
        leads_is(s, "paused") && s.contains("campaign 2 paused")
    });
    tui.press("p");
    tui.wait("campaign 2 resumed", |s| {
        leads_is(s, "running") && s.contains("campaign 2 resumed")
    });

    tui.press("s");
    tui.wait("the stop question", |s| {
        s.contains("Stop campaign 2?") && s.contains("will be canceled") && s.contains("y yes")
    });
    tui.press("y");
    tui.wait("campaign 2 stopped", |s| {
        leads_is(s, "stopped") && s.contains("campaign 2 stopped")
    });
    tui.wait("its undialed entries canceled", |s| s.contains("canceled"));
    // The calls in flight end by themselves; once they have, no message
    // of theirs can replace the export's.
    let all_final = format!("{ENTRIES} of {ENTRIES} finished");
    tui.wait("the last calls to end", |s| s.contains(&all_final));

    tui.press("e");
    tui.wait("the export form", |s| {
        s.contains("Export campaign 2 as CSV") && s.contains("./leads-2.csv")
    });
    tui.press("\r");
    tui.wait("the export written", |s| {
        s.contains("exported campaign 2 to ./leads-2.csv")
    });
    let exported = std::fs::read_to_string(cwd.join("leads-2.csv")).unwrap();
    let rows: Vec<&str> = exported.lines().collect();
    assert!(
        rows[0].starts_with("index,phone,name,status,outcome,attempts,call_id")
            && rows[0].ends_with(",segment"),
        "{}",
        rows[0]
    );
    assert_eq!(rows.len(), ENTRIES + 1, "{exported}");
    assert!(rows[1].contains(",13018041000,Person 0,"), "{}", rows[1]);
    assert!(
        rows.iter().any(|r| r.contains(",canceled,canceled,")),
        "stopping canceled the undialed: {exported}"
    );
    assert!(!cwd.join(".leads-2.csv.part").exists());

    tui.press("n");
    tui.wait("the import form again", |s| {
        s.contains("New campaign from a file")
    });
    tui.press("bad.csv\r");
    tui.wait("the bad line, numbered", |s| {
        s.contains("bad.csv refused")
            && line_with(s, &["│ line 3: \"not a number\" is not a phone number"])
            && s.contains("1 bad line; nothing was imported")
    });
    tui.press("\x1b");
    tui.wait("the popup closed, back to the form as typed", |s| {
        !s.contains("bad.csv refused") && s.contains("File: bad.csv")
    });
    tui.press("\x1b");
    tui.wait("the form closed, and still two campaigns", |s| {
        !s.contains("New campaign from a file")
            && s.contains("Campaigns · 2")
            && !s.contains("  3 bad")
    });

    tui.press("q");
    tui.wait("the question: a temporary store holds campaign 2", |s| {
        s.contains("Quit?") && s.contains("temporary")
    });
    tui.press("y");
    assert!(tui.wait_exit().success());
    tui.assert_restored();
}
