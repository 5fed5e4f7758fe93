//! A stopped or dropped server leaves nothing running. Measured as the
//! process's own CPU time, so each measurement runs in a child process of
//! this test binary that runs that one test alone: the other tests of the
//! binary would otherwise be counted too.

use numdialer_server::ServerConfig;
use numdialer_server::provider::simulator::SimConfig;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

/// How much CPU the process may use after its server is gone: sled's
/// threads finishing and the runtime idling, nothing that loops.
const QUIET_CPU: Duration = Duration::from_millis(50);
const WINDOW: Duration = Duration::from_secs(2);

/// Set in the child: which way to end the server.
const PROBE_ENV: &str = "NUMDIALER_TEST_CPU_PROBE";

/// User plus system CPU time of this process so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The command name may hold spaces; the fields after it do not.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let hz = 100; // USER_HZ, the unit of /proc times on Linux.
    Duration::from_millis(ticks * 1000 / hz)
}

/// Ends a server `how` in a child process and checks that it then idles.
fn assert_quiet_after(how: &str) {
    let name = match module_path!().split_once("::") {
        Some((_, m)) => format!("{m}::cpu_probe"),
        None => "cpu_probe".to_string(),
    };
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            &name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PROBE_ENV, how)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "probe failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ms = text
        .lines()
        .find_map(|l| l.split_once("cpu_after_ms=").map(|(_, v)| v))
        .unwrap_or_else(|| panic!("no figure in {text}"));
    let used = Duration::from_millis(ms.trim().parse().unwrap());
    assert!(
        used <= QUIET_CPU,
        "{used:?} of CPU in {WINDOW:?} after {how}"
    );
}

#[test]
fn a_dropped_server_goes_quiet() {
    assert_quiet_after("drop");
}

#[test]
fn a_stopped_server_goes_quiet() {
    assert_quiet_after("shutdown");
}

/// Runs only as the child of the tests above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by a_dropped_server_goes_quiet and a_stopped_server_goes_quiet"]
async fn cpu_probe() {
    let Ok(how) = std::env::var(PROBE_ENV) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::default();
    config.http.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.store.data_dir = Some(dir.path().join("data"));
    config.provider.sim = SimConfig {
        time_scale: 0.01,
        seed: Some(3),
        ..SimConfig::default()
    };
    let server = numdialer_server::start(config).await.unwrap();
    let answer = reqwest::get(format!("{}/healthz", server.url()))
        .await
        .unwrap();
    assert!(answer.status().is_success());
    match how.as_str() {
        "drop" => drop(server),
        _ => server.shutdown().await,
    }
    let before = cpu_time();
    tokio::time::sleep(WINDOW).await;
    let used = cpu_time() - before;
    println!("cpu_after_ms={}", used.as_millis());
}
