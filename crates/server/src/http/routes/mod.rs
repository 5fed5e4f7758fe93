//! The handlers, one file per resource.

pub mod calls;
pub mod campaigns;
pub mod health;
pub mod metrics;
pub mod statuses;
pub mod webhooks;
