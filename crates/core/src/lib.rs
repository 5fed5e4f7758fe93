//! numdialer's domain, free of I/O: the statuses, the default list, the
//! campaign state machine that decides every dial, and the JSON shapes that
//! the server and its clients exchange.

pub mod args;
pub mod campaign;
pub mod numbers;
pub mod secret;
pub mod status;
pub mod time;
pub mod wire;

pub use campaign::{
    AlreadyStarted, Campaign, DialAnswer, DialOrder, Effect, Entry, RestoreError, WebhookError,
    WebhookOutcome,
};
pub use numbers::{
    DEFAULT_NUMBERS, NumbersError, default_numbers, format_phone, is_valid_phone, parse_numbers,
};
pub use secret::Secret;
pub use status::{CallStatus, Status};
pub use time::Timestamp;
