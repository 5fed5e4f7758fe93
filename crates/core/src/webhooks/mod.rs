//! Outbound events: what numdialer tells the systems beside it (a CRM, a
//! spreadsheet) as campaigns move and calls end, and how each delivery is
//! signed, retried and registered. Pure: the server's outbox and delivery
//! task build on these, and the rules are tested here without a network.
//!
//! - [`events`]: the event types and the payload `{type, timestamp, data}`;
//! - [`signing`]: Standard Webhooks signatures and `whsec_` secrets;
//! - [`schedule`]: when a failed delivery is tried again;
//! - [`endpoint`]: an endpoint's registration, checked field by field.

pub mod endpoint;
pub mod events;
pub mod schedule;
pub mod signing;

pub use endpoint::{EndpointError, EndpointRequest, ValidEndpoint, is_public};
pub use events::{CallCompleted, CampaignChanged, EventType, OutEvent, attempt_outcome};
pub use schedule::{MAX_TRIES, next_delay};
pub use signing::{SecretError, WebhookSecret};
