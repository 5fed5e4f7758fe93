//! `--max-cps`: at most that many dials a second, whatever the provider.
//!
//! Providers cap call creation per account (Twilio: 1 a second unless
//! raised) and answer a faster client `429`. Spacing the dials here keeps
//! numdialer under the cap instead of leaning on retries. The driver sends
//! one dial at a time, so pacing the provider paces the whole server; the
//! gate is shared by clones and held across its wait, so that it would stay
//! a cap even for dials sent side by side.

use super::{Callbacks, Provider};
use numdialer_core::DialAnswer;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct Paced<P> {
    inner: P,
    /// The least time between two dials; `None` is no cap.
    gap: Option<Duration>,
    /// When the next dial may go.
    next: Arc<Mutex<Option<Instant>>>,
}

impl<P> Paced<P> {
    /// `max_cps` of `None` (or not above zero) leaves dials unpaced.
    pub fn new(inner: P, max_cps: Option<f64>) -> Self {
        let gap = max_cps
            .filter(|c| c.is_finite() && *c > 0.0)
            .map(|c| Duration::from_secs_f64(1.0 / c));
        Paced {
            inner,
            gap,
            next: Arc::new(Mutex::new(None)),
        }
    }
}

impl<P: Provider> Provider for Paced<P> {
    async fn dial(&self, phone: &str, webhook_url: &str) -> (DialAnswer, u32) {
        if let Some(gap) = self.gap {
            let mut next = self.next.lock().await;
            if let Some(at) = *next {
                tokio::time::sleep_until(at).await;
            }
            *next = Some(Instant::now() + gap);
        }
        self.inner.dial(phone, webhook_url).await
    }

    async fn ready(&self) {
        let at = *self.next.lock().await;
        if let Some(at) = at {
            tokio::time::sleep_until(at).await;
        }
        self.inner.ready().await;
    }

    async fn probe(&self) -> Result<(), String> {
        self.inner.probe().await
    }

    fn callbacks(&self) -> Arc<dyn Callbacks> {
        self.inner.callbacks()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use numdialer_core::CallId;

    #[derive(Clone)]
    struct Immediate;

    impl Provider for Immediate {
        async fn dial(&self, _: &str, _: &str) -> (DialAnswer, u32) {
            let id = CallId::Number(1);
            (DialAnswer::Placed { id }, 0)
        }
        async fn probe(&self) -> Result<(), String> {
            Ok(())
        }
        fn callbacks(&self) -> Arc<dyn Callbacks> {
            Arc::new(crate::provider::numdialer::NumDialerCallbacks)
        }
    }

    /// On tokio's paused clock: four dials at 2 a second take 1.5 s, the
    /// first at once; without a cap they take no time.
    #[tokio::test(start_paused = true)]
    async fn dials_are_spaced_by_the_cap() {
        let paced = Paced::new(Immediate, Some(2.0));
        let start = Instant::now();
        let mut at = Vec::new();
        for _ in 0..4 {
            paced.dial("1", "u").await;
            at.push(start.elapsed());
        }
        let ms: Vec<u128> = at.iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, [0, 500, 1000, 1500]);
        // Waiting until ready takes the wait out of the dial that follows.
        paced.ready().await;
        let before = start.elapsed();
        assert_eq!(before.as_millis(), 2000);
        paced.dial("1", "u").await;
        assert_eq!(start.elapsed(), before, "the dial leaves at once");

        for cap in [None, Some(0.0)] {
            let free = Paced::new(Immediate, cap);
            let start = Instant::now();
            for _ in 0..4 {
                free.dial("1", "u").await;
            }
            assert_eq!(start.elapsed(), Duration::ZERO);
        }
    }
}
