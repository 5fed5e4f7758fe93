//! `x` on the calls screen: the question names the number and all
//! campaigns; `y` puts it on the global do-not-call list, and the entry
//! is canceled at once, its history saying which list and since when.

use crate::sandbox::Sandbox;
use crate::tui::Tui;

#[test]
fn x_then_y_never_calls_the_selected_number_and_its_history_says_why() {
    let sandbox = Sandbox::home_only();
    let mut tui = Tui::spawn_with(&[], |cmd| sandbox.apply(cmd));
    tui.wait("campaign 1's nine entries", |s| {
        s.contains("[ Call ] press c")
    });
    tui.press("x");
    tui.wait("the question", |s| {
        s.contains("Never call +1") && s.contains("again? (all campaigns)")
    });
    tui.press("n");
    tui.wait("the question gone, nothing asked", |s| {
        !s.contains("again? (all campaigns)")
    });
    tui.press("x");
    tui.wait("the question again", |s| s.contains("(all campaigns)"));
    tui.press("y");
    tui.wait("the answer", |s| s.contains("will never be called again"));
    tui.wait("the entry canceled at once", |s| {
        s.lines()
            .any(|l| l.contains("  0  +1") && l.contains("canceled"))
    });
    tui.press("\r");
    tui.wait("its history says why", |s| {
        s.contains("on the do-not-call list") && s.contains("manual")
    });
    tui.press("q");
    tui.wait_exit();
}
