//! The server's clocks, read in one place. Core never reads the time: its
//! campaign methods take it as an argument ([`Now`]), and this module is
//! where the server reads it for them.
//!
//! Two clocks, for two jobs: the wall clock says when something happened,
//! for people and for the store; the monotonic clock measures deadlines,
//! and does not move when the system clock is stepped.

use numdialer_core::{Mono, Now, Timestamp};
use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The wall clock: what is shown and stored, never what a deadline is
/// measured on.
pub fn wall() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    Timestamp(ms)
}

/// The monotonic clock that call deadlines are measured on, in milliseconds
/// since this process first read it. `Instant` never moves when the system
/// clock is stepped, so a step can neither fail calls in flight nor hold
/// their lines. Like tokio's timers, it stands still while the machine
/// sleeps.
pub fn mono() -> Mono {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    Mono(ORIGIN.get_or_init(Instant::now).elapsed().as_millis() as u64)
}

/// Both clocks, for the campaign methods that start or check a deadline.
pub fn now() -> Now {
    Now {
        wall: wall(),
        mono: mono(),
    }
}
