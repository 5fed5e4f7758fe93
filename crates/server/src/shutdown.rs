//! "We are stopping", read the same way by every task.
//!
//! A bare `watch::Receiver<bool>` invites four ways of reading it, and one
//! of them spins: once the sender is dropped, `changed()` fails at once on
//! every call, so a loop that waits on it wakes forever. Here a dropped
//! [`Trigger`] means "stop", exactly like a fired one.

use tokio::sync::watch;

/// Fires the shutdown; dropping it fires it too.
#[derive(Debug)]
pub struct Trigger(watch::Sender<bool>);

/// What every task holds: ask whether to stop, or wait until it is time.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    pub fn fire(&self) {
        self.0.send_replace(true);
    }
}

impl Drop for Trigger {
    fn drop(&mut self) {
        self.fire();
    }
}

impl Shutdown {
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }

    /// Returns once the trigger fires or is dropped.
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        // Err means the trigger is gone: that is a stop too.
        let _ = rx.wait_for(|&stop| stop).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn firing_and_dropping_both_stop() {
        let (trigger, shutdown) = channel();
        assert!(!shutdown.is_triggered());
        trigger.fire();
        assert!(shutdown.is_triggered());
        shutdown.wait().await;

        let (trigger, shutdown) = channel();
        let waiter = tokio::spawn({
            let s = shutdown.clone();
            async move { s.wait().await }
        });
        drop(trigger);
        waiter.await.unwrap();
        assert!(shutdown.is_triggered());
    }
}
