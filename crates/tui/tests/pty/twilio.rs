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
    let finished = tui.contents();
    assert!(
        finished.contains(" CA"),
        "the call ids are Twilio's CallSids: {finished}"
    );
    tui.press("q");
    tui.wait("the question: the results are in a temporary store", |s| {
        s.contains("Quit?") && s.contains("temporary")
    });
    tui.press("y");
    assert!(tui.wait_exit().success());
    tui.assert_restored();
}
