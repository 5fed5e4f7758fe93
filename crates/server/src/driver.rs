//! The background tasks: the driver, which alone sends dials, the timer,
//! which fails calls whose final webhook never came, and the prober.
//!
//! Each loop is a few lines around a step that a test can call on its own:
//! [`Driver::dial_next`] dials at most one entry, [`expire_due_calls`]
//! settles the calls that timed out. The loops only decide when to run the
//! next step, and all of them stop the same way, on [`Shutdown`].

use crate::clock;
use crate::engine::{Engine, EngineError};
use crate::metrics::DialOutcome;
use crate::provider::{DialerHealth, Provider};
use crate::shutdown::Shutdown;
use numdialer_core::DialAnswer;
use std::sync::Arc;
use std::time::Duration;

/// How long a dial under way may still take once shutdown begins, so that
/// its answer is recorded rather than left to the call timeout.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// How long to wait before trying again after the store failed.
const STORE_RETRY: Duration = Duration::from_secs(1);

/// How long the timer sleeps when no call is in flight (a new dial wakes it).
const IDLE_TIMER: Duration = Duration::from_secs(3600);

/// How often the dialer API is probed for `/readyz`.
pub const PROBE_EVERY: Duration = Duration::from_secs(15);

/// What one [`Driver::dial_next`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// One dial went out and its answer is recorded.
    Dialed { index: usize, outcome: DialOutcome },
    /// Nothing to dial now: not started, no line free, or no entry left.
    Idle,
    /// The store could not record the dial, so nothing was sent.
    StoreFailed,
    /// Shutdown came while a dial was out. Its entry stays `dialing`: after
    /// a restart its webhooks or its timeout settle it; it is never re-sent.
    Stopped,
}

/// Dials one entry at a time, in list order, whenever a line is free.
/// Sending one dial at a time is what makes the API receive them in order.
pub struct Driver<P> {
    pub engine: Arc<Engine>,
    pub provider: P,
    /// Where the dialer API reaches this server, without a trailing slash.
    pub public_url: String,
    pub health: Arc<DialerHealth>,
}

impl<P: Provider> Driver<P> {
    pub async fn dial_next(&self, shutdown: &Shutdown) -> Step {
        // Before the entry is taken: a pause or stop that lands during the
        // wait holds it back.
        tokio::select! {
            () = self.provider.ready() => {}
            () = shutdown.wait() => return Step::Stopped,
        }
        let order = match self.engine.begin_dial().await {
            Ok(Some(order)) => order,
            // Waits for the store to heal, which wakes the driver.
            Ok(None) | Err(EngineError::Degraded(_)) => return Step::Idle,
            Err(e) => {
                tracing::error!("cannot record the next dial: {e}");
                return Step::StoreFailed;
            }
        };
        let url = format!("{}/webhooks/{}", self.public_url, order.token);
        tracing::info!(campaign = order.campaign, index = order.index, phone = %order.phone, "dialing");
        let dial = self
            .provider
            .dial(order.phone.digits(), &url, &order.answers);
        tokio::pin!(dial);
        let (answer, retries) = tokio::select! {
            a = &mut dial => a,
            () = shutdown.wait() => match tokio::time::timeout(SHUTDOWN_GRACE, &mut dial).await {
                Ok(a) => a,
                Err(_) => return Step::Stopped,
            },
        };
        let outcome = log_answer(order.index, &answer);
        self.engine.metrics.dial(outcome, retries);
        self.health.record(match outcome {
            DialOutcome::Placed | DialOutcome::Refused => Ok(()),
            DialOutcome::Unreachable | DialOutcome::Unanswered => {
                Err("a dial got no answer".into())
            }
        });
        self.engine.finish_dial(&order, answer);
        Step::Dialed {
            index: order.index,
            outcome,
        }
    }
}

fn log_answer(index: usize, answer: &DialAnswer) -> DialOutcome {
    match answer {
        DialAnswer::Placed { id } => {
            tracing::info!(
                index,
                call_id = id.as_number(),
                call_sid = id.as_text(),
                "dial placed"
            );
            DialOutcome::Placed
        }
        DialAnswer::Refused { reason } => {
            tracing::warn!(index, %reason, "dial refused");
            DialOutcome::Refused
        }
        DialAnswer::Undialable { reason } => {
            tracing::warn!(index, %reason, "number not dialable; not retried");
            DialOutcome::Refused
        }
        DialAnswer::Unreachable { reason } => {
            tracing::warn!(index, %reason, "dialer API unreachable");
            DialOutcome::Unreachable
        }
        DialAnswer::Unanswered { reason } => {
            tracing::warn!(index, %reason, "dial sent but unanswered; not re-sent");
            DialOutcome::Unanswered
        }
    }
}

pub async fn run_driver<P: Provider>(driver: Driver<P>, shutdown: Shutdown) {
    while !shutdown.is_triggered() {
        match driver.dial_next(&shutdown).await {
            Step::Dialed { .. } => {}
            Step::Idle => tokio::select! {
                () = driver.engine.wake_driver.notified() => {}
                () = shutdown.wait() => {}
            },
            Step::StoreFailed => tokio::select! {
                () = tokio::time::sleep(STORE_RETRY) => {}
                () = shutdown.wait() => {}
            },
            Step::Stopped => return,
        }
    }
}

/// Fails the calls whose deadline passed; returns how long until the next
/// deadline. Both are on the monotonic clock, as tokio's sleep is, so a step
/// of the system clock changes neither.
pub async fn expire_due_calls(engine: &Engine) -> Duration {
    match engine.expire_due().await {
        Ok(Some(at)) => Duration::from_millis(at.since(clock::mono())),
        // The heal wakes the timer.
        Ok(None) | Err(EngineError::Degraded(_)) => IDLE_TIMER,
        Err(e) => {
            tracing::error!("cannot record a timeout: {e}");
            STORE_RETRY
        }
    }
}

/// Sleeps until the earliest call deadline, or until a new dial sets one.
pub async fn run_timer(engine: Arc<Engine>, shutdown: Shutdown) {
    while !shutdown.is_triggered() {
        let sleep = expire_due_calls(&engine).await;
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = engine.wake_timer.notified() => {}
            () = shutdown.wait() => {}
        }
    }
}

/// Leaves each queued voicemail, one at a time, and records how it went:
/// a refused or unanswered call update is in the entry's history, never a
/// stop of anything else.
pub async fn run_voicemail<P: Provider>(engine: Arc<Engine>, provider: P, shutdown: Shutdown) {
    while !shutdown.is_triggered() {
        for order in engine.take_voicemails() {
            let result = provider
                .leave_voicemail(&order.call_id, &order.message)
                .await;
            engine.record_voicemail(&order, result);
        }
        tokio::select! {
            () = engine.wake_voicemail.notified() => {}
            () = shutdown.wait() => {}
        }
    }
}

/// Probes the dialer API now and then, so that readiness is known before
/// and between dials.
pub async fn run_prober<P: Provider>(provider: P, health: Arc<DialerHealth>, shutdown: Shutdown) {
    while !shutdown.is_triggered() {
        let result = provider.probe().await;
        if let Err(e) = &result {
            tracing::warn!("dialer API does not answer: {e}");
        }
        health.record(result);
        tokio::select! {
            () = tokio::time::sleep(PROBE_EVERY) => {}
            () = shutdown.wait() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Meta, Store};
    use numdialer_core::{Entry, Operation, Phone, Status, Timestamp};
    use std::sync::Mutex;

    /// Places every call and remembers the phones, in order.
    #[derive(Default)]
    struct Recorder {
        dialed: Mutex<Vec<String>>,
    }

    impl Provider for Arc<Recorder> {
        async fn dial(
            &self,
            phone: &str,
            _webhook_url: &str,
            _answers: &numdialer_core::answer::AnswerSettings,
        ) -> (DialAnswer, u32) {
            let mut d = self.dialed.lock().unwrap();
            d.push(phone.to_string());
            (
                DialAnswer::Placed {
                    id: (d.len() as u64).into(),
                },
                0,
            )
        }

        async fn probe(&self) -> Result<(), String> {
            Ok(())
        }

        fn callbacks(&self) -> Arc<dyn crate::provider::Callbacks> {
            Arc::new(crate::provider::numdialer::NumDialerCallbacks)
        }
    }

    #[tokio::test]
    async fn one_step_dials_one_entry_until_the_window_is_full() {
        let phones: Vec<Phone> = (0..5)
            .map(|i| Phone::parse(&format!("1000000000{i}")).unwrap())
            .collect();
        let engine = Engine::open(
            Store::open_temporary().unwrap(),
            None,
            phones.clone(),
            true,
            2,
            Duration::from_secs(60),
        )
        .unwrap();
        let recorder = Arc::new(Recorder::default());
        let driver = Driver {
            engine: Arc::new(engine),
            provider: recorder.clone(),
            public_url: "http://127.0.0.1:9".into(),
            health: Arc::default(),
        };
        let (_trigger, shutdown) = crate::shutdown::channel();
        assert_eq!(driver.dial_next(&shutdown).await, Step::Idle, "not started");
        driver.engine.operate(1, Operation::Start).await.unwrap();
        for index in 0..2 {
            let step = driver.dial_next(&shutdown).await;
            let outcome = DialOutcome::Placed;
            assert_eq!(step, Step::Dialed { index, outcome });
        }
        assert_eq!(driver.dial_next(&shutdown).await, Step::Idle, "window full");
        let digits: Vec<&str> = phones[..2].iter().map(Phone::digits).collect();
        assert_eq!(*recorder.dialed.lock().unwrap(), digits);
    }

    const TIMEOUT: Duration = Duration::from_secs(60);

    const HOUR_MS: u64 = 3_600_000;

    /// An engine restarted on a store whose one entry an earlier process
    /// dialed at `dialed_at` by the wall clock, and which is still ringing.
    async fn restarted_with_a_call_dialed_at(dialed_at: Timestamp) -> Engine {
        let phone = Phone::parse("10000000000").unwrap();
        let mut e = Entry::new(0, phone.clone());
        e.status = Status::Ringing;
        e.details_mut().token = Some("tok".into());
        e.details_mut().dialed_at = Some(dialed_at);
        e.version = 2;
        let store = Store::open_temporary().unwrap();
        store.put_entries(1, [&e]).unwrap();
        let meta = Meta {
            started: true,
            version: 2,
        };
        let ticket = store.put_meta(meta).unwrap();
        store.durable(ticket).await.unwrap();
        let stored = store.load().unwrap();
        Engine::open(store, stored, vec![phone], true, 1, TIMEOUT).unwrap()
    }

    async fn status_of_entry_0(engine: &Engine) -> Status {
        engine.detail(1, 0).await.unwrap().unwrap().call.status
    }

    #[tokio::test]
    async fn a_restart_after_the_wall_clock_moved_back_holds_a_call_no_longer_than_its_timeout() {
        let engine = restarted_with_a_call_dialed_at(clock::wall().plus_millis(HOUR_MS)).await;
        let sleep = expire_due_calls(&engine).await;
        assert!(sleep <= TIMEOUT, "the timer sleeps {sleep:?}");
        assert_eq!(status_of_entry_0(&engine).await, Status::Ringing);
    }

    #[tokio::test]
    async fn a_restart_after_the_wall_clock_moved_on_fails_an_overdue_call_at_once() {
        let dialed_at = Timestamp(clock::wall().millis() - HOUR_MS);
        let engine = restarted_with_a_call_dialed_at(dialed_at).await;
        assert_eq!(expire_due_calls(&engine).await, IDLE_TIMER, "no call left");
        assert_eq!(status_of_entry_0(&engine).await, Status::Failed);
    }
}
