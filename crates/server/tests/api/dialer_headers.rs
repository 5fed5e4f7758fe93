//! `--dialer-header`: a numDialer-style API behind authentication gets the
//! configured headers on every `POST /call`, and without them places no call.

use crate::helpers::{Harness, fast_sim};
use numdialer_core::Status;
use numdialer_server::provider::numdialer::DialerHeader;
use numdialer_server::provider::simulator::SimConfig;

fn required() -> Vec<DialerHeader> {
    vec![
        DialerHeader::parse("Authorization: Bearer sim-s3cr3t").unwrap(),
        DialerHeader::parse("X-Tenant: blue").unwrap(),
    ]
}

#[tokio::test]
async fn configured_headers_reach_the_dialer_api() {
    let sim = SimConfig {
        required_headers: required(),
        ..fast_sim()
    };
    let h = Harness::start(sim, |c| c.provider.dialer_headers = required()).await;
    assert_eq!(h.start_calls().await, 202);
    let done = h.wait_finished().await;
    assert_eq!(h.sim.dials().len(), done.calls.len());
    assert!(done.calls.iter().all(|c| c.status == Status::Completed));
}

/// The check is real: without the headers every dial is refused 401 and
/// fails, and no call is placed.
#[tokio::test]
async fn without_the_headers_no_call_is_placed() {
    let sim = SimConfig {
        required_headers: required(),
        ..fast_sim()
    };
    let h = Harness::start(sim, |c| {
        c.provider.dialer_headers = required()[..1].to_vec()
    })
    .await;
    assert_eq!(h.start_calls().await, 202);
    let done = h.wait_finished().await;
    assert!(h.sim.dials().iter().all(|d| d.id.is_none()));
    for call in &done.calls {
        assert_eq!(call.status, Status::Failed);
        let reason = call.reason.as_deref().unwrap_or_default();
        assert!(!reason.contains("s3cr3t"), "{reason}");
    }
}
