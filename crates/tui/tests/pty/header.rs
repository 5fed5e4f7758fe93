//! What the header says that only the server knows: after a restart with
//! calls in flight, that they await a final webhook and when they time
//! out; a dialer API that does not answer, before anyone presses `c`.

use crate::sandbox::Sandbox;
use crate::stand_in::StandIn;
use crate::tui::{Tui, count};

/// Call against the stand-in (which keeps calls in flight), quit through
/// the prompt, run the same command again: the header says the three
/// calls are from before the restart, await a final webhook and time out
/// within the minute of the call timeout, and counts down.
#[test]
fn after_a_restart_the_header_says_what_the_calls_in_flight_await() {
    let api = StandIn::start();
    let user = Sandbox::home_only();
    let args = ["--dialer-url", api.url()];
    let mut tui = Tui::spawn_with(&args, |cmd| user.apply(cmd));
    tui.wait("the list, nobody dialed yet", |s| {
        count(s, " idle ") == 9 && s.contains("[ Call ] press c")
    });
    tui.press("c");
    tui.wait("three calls ringing", |s| count(s, " ringing ") == 3);
    assert!(
        !tui.contents().contains("before the restart"),
        "dialed by this run: {}",
        tui.contents()
    );
    tui.press("q");
    tui.wait("the quit prompt", |s| s.contains("3 calls in flight."));
    tui.press("y");
    assert!(tui.wait_exit().success());

    let mut tui = Tui::spawn_with(&args, |cmd| user.apply(cmd));
    tui.wait("the restart's calls named with their timeout", |s| {
        count(s, " ringing ") == 3
            && s.lines().any(|l| {
                l.starts_with(
                    " ▲ 3 calls from before the restart await a final webhook; time out in ",
                ) && l.trim_end().ends_with(" s")
            })
    });
    tui.press("q");
    tui.wait("the quit prompt", |s| s.contains("3 calls in flight."));
    tui.press("y");
    assert!(tui.wait_exit().success());
}

/// `--dialer-url` where nothing listens: the header names it in its own
/// line before `c`, and the server's reason is in it.
#[test]
fn an_unreachable_dialer_api_is_named_before_call() {
    let user = Sandbox::home_only();
    // A port that was free a moment ago: nothing listens on it now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/call");
    let mut tui = Tui::spawn_with(&["--dialer-url", &url], |cmd| user.apply(cmd));
    tui.wait("the dialer API named unreachable", |s| {
        count(s, " idle ") == 9 && s.contains(" ✕ dialer API unreachable: ")
    });
    tui.press("q");
    assert!(tui.wait_exit().success());
}
