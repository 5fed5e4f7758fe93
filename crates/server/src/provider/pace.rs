//! `--max-cps`: at most that many call-creating requests a second, whatever
//! the provider.
//!
//! Providers cap call creation per account (Twilio: 1 a second unless
//! raised) and count requests, not dials: a dial turned away with `429` and
//! sent again is two requests. Pacing whole dials let a retry and the next
//! dial's first request reach the API milliseconds apart, and be turned
//! away again. So the clients take a turn of this gate before every request
//! that creates a call, the first and each retry, and the gap is measured
//! from when each of them was sent.
//!
//! The driver sends one dial at a time, so pacing the requests paces the
//! whole server; the gate is shared by clones and held across its wait, so
//! that it would stay a cap even for dials sent side by side.

use numdialer_core::args::{MAX_CPS, MIN_CPS};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The gate every call-creating request passes. [`Pace::default`] lets
/// every request through at once.
#[derive(Debug, Clone, Default)]
pub struct Pace {
    /// The least time between two requests; `None` is no cap.
    gap: Option<Duration>,
    /// When the next request may go.
    next: Arc<Mutex<Option<Instant>>>,
}

impl Pace {
    /// `max_cps` of `None` (or not above zero) is no cap. A cap outside
    /// what `--max-cps` accepts is held to that range, so that no caller
    /// can make the gap overflow.
    pub fn new(max_cps: Option<f64>) -> Self {
        let gap = max_cps
            .filter(|c| c.is_finite() && *c > 0.0)
            .map(|c| Duration::from_secs_f64(1.0 / c.clamp(MIN_CPS, MAX_CPS)));
        Pace {
            gap,
            next: Arc::new(Mutex::new(None)),
        }
    }

    /// Waits for this request's turn and counts it as sent now: the caller
    /// sends it right after. The next turn comes a gap later.
    pub async fn turn(&self) {
        let Some(gap) = self.gap else {
            return;
        };
        let mut next = self.next.lock().await;
        if let Some(at) = *next {
            tokio::time::sleep_until(at).await;
        }
        *next = Some(Instant::now() + gap);
    }

    /// Waits until a request could be sent at once, without taking the turn.
    pub async fn ready(&self) {
        let at = *self.next.lock().await;
        if let Some(at) = at {
            tokio::time::sleep_until(at).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On tokio's paused clock: four turns at 2 a second take 1.5 s, the
    /// first at once; without a cap they take no time.
    #[tokio::test(start_paused = true)]
    async fn turns_are_spaced_by_the_cap() {
        let pace = Pace::new(Some(2.0));
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..4 {
            pace.turn().await;
            at.push(start.elapsed());
        }
        let ms: Vec<u128> = at.iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, [0, 500, 1000, 1500]);
        // Waiting until ready takes the wait out of the turn that follows.
        pace.ready().await;
        let before = start.elapsed();
        assert_eq!(before.as_millis(), 2000);
        pace.turn().await;
        assert_eq!(start.elapsed(), before, "the request leaves at once");

        for cap in [None, Some(0.0)] {
            let free = Pace::new(cap);
            let start = Instant::now();
            for _ in 0..4 {
                free.turn().await;
            }
            assert_eq!(start.elapsed(), Duration::ZERO);
        }
    }

    /// A turn taken after a wait of its own (a `Retry-After` longer than
    /// the gap) leaves at once, and the next one still waits a whole gap
    /// from it: the gap runs from the request sent, not from the dial.
    #[tokio::test(start_paused = true)]
    async fn the_gap_runs_from_the_last_request_sent() {
        let pace = Pace::new(Some(1.0));
        let start = Instant::now();
        pace.turn().await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        pace.turn().await;
        assert_eq!(start.elapsed().as_millis(), 1500);
        pace.turn().await;
        assert_eq!(start.elapsed().as_millis(), 2500);
    }

    /// Clones share one gate.
    #[tokio::test(start_paused = true)]
    async fn clones_share_the_gate() {
        let a = Pace::new(Some(4.0));
        let b = a.clone();
        let start = Instant::now();
        a.turn().await;
        b.turn().await;
        a.turn().await;
        assert_eq!(start.elapsed().as_millis(), 500);
    }

    /// Caps beyond what the flag accepts neither panic nor lift the cap.
    #[test]
    fn extreme_caps_are_held_to_the_flags_range() {
        let slow = Pace::new(Some(1e-20));
        assert_eq!(slow.gap, Some(Duration::from_secs_f64(1.0 / MIN_CPS)));
        let fast = Pace::new(Some(1e300));
        assert_eq!(fast.gap, Some(Duration::from_secs_f64(1.0 / MAX_CPS)));
        assert_eq!(Pace::new(Some(f64::NAN)).gap, None);
    }
}
