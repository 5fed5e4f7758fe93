//! The embedded server against a dialer API that stands for real people
//! (`--dialer-url`, the stand-in): what a newcomer types first must never
//! dial anyone twice, and must not cut calls off without asking.

use crate::sandbox::Sandbox;
use crate::stand_in::StandIn;
use crate::tui::{DEADLINE, Tui, count};
use numdialer_core::DEFAULT_NUMBERS;
use numdialer_server::ServerConfig;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The server's answer to a second start, in its own words.
const ALREADY_STARTED: &str =
    "dialing has already started; the list is dialed once per data directory";

/// Fails unless the API saw dial k go to entry k of the list: each entry
/// at most once, in list order. (The list repeats numbers, so a list
/// dialed again from the top breaks the order at the first repeat.)
fn assert_dialed_in_order_once(api: &StandIn, at_least: usize) {
    let dials = api.dials();
    assert!(dials.len() >= at_least, "{:#?}", api.log());
    assert_eq!(
        dials,
        DEFAULT_NUMBERS[..dials.len()],
        "dialed out of order or twice: {:#?}",
        api.log()
    );
}

/// `numdialer --dialer-url <the stand-in>`, run as `user`, once its list
/// is on screen and nobody dialed.
fn start_as(user: &Sandbox, api: &StandIn) -> Tui {
    let tui = Tui::spawn_with(&["--dialer-url", api.url()], |cmd| user.apply(cmd));
    tui.wait("the list, nobody dialed yet", |s| {
        count(s, " idle ") == 9 && s.contains("[ Call ] press c")
    });
    tui
}

fn print_log(test: &str, api: &StandIn) {
    println!("{test}: what the stand-in API logged:");
    for line in api.log() {
        println!("  {line}");
    }
}

/// (a) Call, quit through the prompt, run the same command again, call
/// again: the restarted TUI shows the statuses of the first run, the
/// second Call is refused in the server's words, and the API saw each
/// entry at most once, in list order. Run as a user whose `HOME` is a
/// temporary directory: the data goes to `~/.local/share/numdialer` and
/// nothing is written anywhere else.
#[test]
fn a_restart_resumes_and_dials_nobody_twice() {
    let api = StandIn::start();
    let user = Sandbox::home_only();
    let mut tui = start_as(&user, &api);
    let screen = tui.contents();
    assert!(
        screen.contains("embedded · data in ~/.local/share/numdialer · ● live"),
        "the header says where the data lives: {screen}"
    );
    tui.press("c");
    tui.wait("three calls ringing", |s| {
        count(s, " ringing ") == 3 && s.contains("lines 3/3")
    });
    tui.press("q");
    tui.wait("the quit prompt", |s| {
        s.contains("3 calls in flight.") && s.contains("y quit · n keep dialing")
    });
    tui.press("y");
    assert!(tui.wait_exit().success());
    tui.assert_restored();
    assert_dialed_in_order_once(&api, 3);

    let args = ["--dialer-url", api.url()];
    let mut tui = Tui::spawn_with(&args, |cmd| user.apply(cmd));
    tui.wait("the first run's statuses", |s| {
        count(s, " ringing ") == 3
            && count(s, " idle ") == 6
            && s.contains("7001")
            && s.contains("[ Call ] dialing…")
    });
    let before = api.dials().len();
    tui.press("c");
    tui.wait("the second Call refused in words", |s| {
        s.contains(ALREADY_STARTED)
    });
    assert_eq!(api.dials().len(), before, "Call dialed nobody");
    tui.press("q");
    tui.wait("the quit prompt", |s| s.contains("3 calls in flight."));
    tui.press("y");
    assert!(tui.wait_exit().success());
    tui.assert_restored();

    print_log("a_restart_resumes_and_dials_nobody_twice", &api);
    assert_dialed_in_order_once(&api, 3);
    user.assert_only_the_data_dir_was_written();
}

/// (b) With calls in flight, q asks; n keeps dialing; Ctrl-C asks again,
/// and a second q or Ctrl-C out of habit does not answer; y quits. The
/// header says where the data lives and, inside SSH, that dialing stops
/// with the session. SIGHUP (the session closing) cannot ask: it ends the
/// TUI cleanly, the data kept. Run with `XDG_DATA_HOME` set: the data goes
/// there, and the home directory stays empty.
#[test]
fn quitting_with_calls_in_flight_asks_first() {
    let api = StandIn::start();
    let user = Sandbox::with_xdg_data_home();
    let args = ["--dialer-url", api.url()];
    let as_user_in_ssh = |cmd: &mut portable_pty::CommandBuilder| {
        user.apply(cmd);
        cmd.env("SSH_CONNECTION", "127.0.0.1 50022 127.0.0.1 22");
    };

    let mut tui = Tui::spawn_with(&args, as_user_in_ssh);
    tui.wait("the list, the data directory and the SSH warning", |s| {
        count(s, " idle ") == 9
            && s.contains("xdg/numdialer · ● live")
            && s.contains("⚠ Inside SSH: dialing stops when this session ends")
            && s.contains("numdialer-server; see \"The TUI over SSH\" in docs/operations.md.")
    });
    tui.press("c");
    tui.wait("three calls ringing", |s| count(s, " ringing ") == 3);
    tui.press("q");
    tui.wait("the quit prompt", |s| {
        s.contains("3 calls in flight.")
            && s.contains("Quitting stops the embedded server")
            && s.contains("y quit · n keep dialing")
    });
    // Keys are read in order: were q or Ctrl-C an answer, the TUI would be
    // gone before n closed the prompt.
    tui.press("q\x03n");
    tui.wait("the prompt gone and the calls still up", |s| {
        !s.contains("Quit?") && count(s, " ringing ") == 3 && s.contains("[ Call ] dialing…")
    });
    assert!(tui.child.try_wait().unwrap().is_none(), "n keeps running");
    tui.press("\x03");
    tui.wait("the quit prompt after Ctrl-C", |s| {
        s.contains("3 calls in flight.")
    });
    tui.press("y");
    assert!(tui.wait_exit().success());
    tui.assert_restored();

    let mut tui = Tui::spawn_with(&args, as_user_in_ssh);
    tui.wait("the calls, kept", |s| count(s, " ringing ") == 3);
    tui.signal("HUP");
    assert!(tui.wait_exit().success(), "SIGHUP ends the TUI cleanly");
    tui.assert_restored();

    print_log("quitting_with_calls_in_flight_asks_first", &api);
    assert_dialed_in_order_once(&api, 3);
    user.assert_only_the_data_dir_was_written();
}

/// (c) Against a remote server, q quits at once with calls in flight, and
/// the server goes on dialing without the TUI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_mode_quits_at_once_and_the_server_keeps_dialing() {
    let api = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::default();
    config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.http.api_token = Some("tui-test-token".into());
    config.store.data_dir = Some(dir.path().to_path_buf());
    config.provider.dialer_url = Some(api.url().to_string());
    let server = numdialer_server::start(config).await.unwrap();
    let url = server.url();

    let mut tui = tokio::task::spawn_blocking(move || {
        let mut tui = Tui::spawn(&["--server", &url, "--token", "tui-test-token"]);
        tui.wait("three calls ringing on the remote server", |s| {
            s.contains("remote ·") && s.contains("[ Call ] press c")
        });
        tui.press("c");
        tui.wait("three calls ringing", |s| {
            count(s, " ringing ") == 3 && s.contains("lines 3/3")
        });
        tui.press("q");
        tui
    })
    .await
    .unwrap();
    let status = tokio::task::spawn_blocking(move || {
        let status = tui.wait_exit();
        tui.assert_restored();
        status
    })
    .await
    .unwrap();
    assert!(status.success(), "q quit without asking: {status:?}");

    api.complete_all();
    let until = Instant::now() + DEADLINE;
    while api.dials().len() < 6 {
        assert!(
            Instant::now() < until,
            "the server stopped dialing: {:#?}",
            api.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.shutdown().await;
    print_log(
        "remote_mode_quits_at_once_and_the_server_keeps_dialing",
        &api,
    );
    assert_dialed_in_order_once(&api, 6);
}

/// (d) A second TUI on the data directory that a first one holds exits 2,
/// before it takes over the terminal, with a message that names the
/// directory and how to choose another, and the lock error once.
#[test]
fn a_second_tui_on_the_same_data_directory_exits_2() {
    let api = StandIn::start();
    let user = Sandbox::home_only();
    let mut first = start_as(&user, &api);

    let args = ["--dialer-url", api.url()];
    let mut second = Tui::spawn_with(&args, |cmd| user.apply(cmd));
    let status = second.wait_exit();
    assert_eq!(status.exit_code(), 2, "{}", second.contents());
    let dir = user.data_dir();
    let said = format!(
        "numdialer: the data directory {} is in use by another numdialer",
        dir.display()
    );
    second.wait("the message", |s| {
        s.replace('\n', "").contains(&said) && s.contains("--data-dir DIR")
    });
    let screen = second.contents();
    assert_eq!(
        screen.matches("lock").count(),
        1,
        "the lock error named once: {screen}"
    );
    second.assert_restored();

    first.press("q");
    assert!(first.wait_exit().success(), "no call in flight: no prompt");
    first.assert_restored();
    assert!(api.dials().is_empty(), "{:#?}", api.log());
    user.assert_only_the_data_dir_was_written();
}
