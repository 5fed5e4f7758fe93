//! The handlers, one file per resource.

pub mod calls;
pub mod health;
pub mod metrics;
pub mod statuses;
pub mod webhooks;
