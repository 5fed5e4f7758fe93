//! The handlers, one file per resource.

pub mod calls;
pub mod campaigns;
pub mod health;
pub mod metrics;
pub mod statuses;
pub mod suppressions;
pub mod webhook_endpoints;
pub mod webhooks;

/// The campaign that the routes from before campaigns (`POST /calls`,
/// `GET /statuses`, `GET /calls/{index}`) act on, so that the scripts and
/// TUIs of that release keep working: the only place in the HTTP API where
/// campaign 1 is special.
pub const LEGACY: u64 = numdialer_core::campaign::FIRST;
