//! `numdialer --dialer twilio`: the embedded server dials the list through
//! Twilio's protocol against the embedded Twilio simulator, at the 1 dial
//! a second the header shows.

use crate::tui::{Tui, count};

#[test]
fn twilio_dials_the_list_through_its_simulator() {
    let mut tui = Tui::spawn(&["--dialer", "twilio", "--sim-time-scale", "0.01"]);
    tui.wait("9 idle rows and the Call button", |s| {
        count(s, " idle ") == 9 && s.contains("[ Call ] press c")
    });
    let screen = tui.contents();
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains("embedded · Twilio sim · temporary store")
            && header.contains("1 cps · lines 0/3"),
        "{screen}"
    );
    tui.press("c");
    tui.wait("every entry final", |s| {
        s.contains("9 of 9 finished") && s.contains("[ Call ] done")
    });
    // A CallSid is 34 characters: too wide for an 80-column table beside
    // the outcomes, so the table leaves its column out rather than cut it,
    // and the history shows it whole.
    tui.press("\r");
    tui.wait("the history with the call id", |s| s.contains("call id CA"));
    let history = tui.contents();
    let sid: String = history
        .split("call id ")
        .nth(1)
        .unwrap_or_default()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    assert!(
        sid.starts_with("CA") && sid.len() == 34,
        "the call ids are Twilio's CallSids, whole: {history}"
    );
    tui.press("\x1b");
    tui.wait("the history closed", |s| !s.contains("call id CA"));
    tui.press("q");
    tui.wait("the question: the results are in a temporary store", |s| {
        s.contains("Quit?") && s.contains("temporary")
    });
    tui.press("y");
    assert!(tui.wait_exit().success());
    tui.assert_restored();
}
