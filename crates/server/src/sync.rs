//! Locking that survives a panic elsewhere.
//!
//! A `std::sync::Mutex` is poisoned when a thread panics while holding it,
//! and every later `lock()` then fails. In the server that would turn one
//! bug in one request into a refusal of every request after it, and stop
//! the driver and the webhooks with it. So the server takes a poisoned lock
//! as it was left, and only the task that panicked fails.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, poisoned or not.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
