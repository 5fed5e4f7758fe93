//! numdialer's domain, free of I/O: the rules of every dial, tested without
//! a network or a disk.
//!
//! # Layout
//!
//! - [`campaign`]: the state machine that decides every dial (which entry
//!   next, what a dial answer, a provider's report or a timeout does), and
//!   [`Entry`], one list position with its call and history.
//! - [`rules`]: the rules asked before every dial (today: a retry goes
//!   when it is due), pure functions of an entry and the time.
//! - [`answer`]: who answered a call ([`answer::AnsweredBy`]), and a
//!   campaign's answering-machine detection and voicemail settings.
//! - [`call`]: [`CallId`], [`CallEvent`] and [`CallReport`], a call as
//!   every provider reports it.
//! - [`phone`]: [`Phone`], a number parsed once; display via libphonenumber.
//! - [`numbers`]: the built-in list and the `--numbers-file` format.
//! - [`import`]: a `POST /campaigns` body (CSV, text, JSON) as entries, all
//!   or nothing, with every bad line counted.
//! - [`status`]: an entry's [`Status`] and its forward-only order.
//! - [`api`]: numdialer's own HTTP shapes, shared by server and clients,
//!   built from the domain's types at this edge (nothing in [`campaign`]
//!   knows them).
//! - [`protocol`]: each dialer API's wire format, turned into reports here.
//! - [`time`]: wall-clock [`Timestamp`]s and their RFC 3339 text, and the
//!   monotonic [`Mono`] that call deadlines are measured on.
//! - [`args`]: value parsers, the provider choice and its default dial rate,
//!   shared by both command lines.
//! - [`secret`]: [`Secret`], a credential whose `Debug` prints stars.
//! - [`zones`]: the time zones of a number (libphonenumber's prefix map, or
//!   an explicit IANA name), as interned sets an entry holds by id.
//! - [`suppressions`]: do-not-call lists: what a suppression covers, the
//!   keys a dial looks up, the audit log's records, the registry's lines.
//! - [`hours`]: calling hours in the callee's local time: the settings, the
//!   stricter rules file, and the verdict (open, wait until, never, unknown).
//! - [`webhooks`]: outbound events: their types and payload, Standard
//!   Webhooks signatures, the retry schedule and an endpoint's checks.

pub mod answer;
pub mod api;
pub mod args;
pub mod call;
pub mod campaign;
pub mod hours;
pub mod import;
pub mod numbers;
pub mod phone;
pub mod protocol;
pub mod rules;
pub mod secret;
pub mod status;
pub mod suppressions;
pub mod time;
pub mod webhooks;
pub mod zones;

pub use call::{CallEvent, CallId, CallReport};
pub use campaign::{
    AlreadyStarted, Campaign, CampaignMeta, CampaignState, Campaigns, Changed, DeleteError,
    DialAnswer, DialOrder, Effect, Entry, NewCampaign, NotAllowed, Operation, OperationError,
    RestoreError, Retired, RetryPolicy, Settings, VoicemailOrder, WebhookError, WebhookOutcome,
};
pub use import::{ImportError, Imported, ImportedEntry};
pub use numbers::{
    DEFAULT_NUMBERS, NumbersError, default_numbers, parse_numbers, parse_numbers_as_before,
    read_numbers,
};
pub use phone::{
    Country, CountryError, Phone, PhoneError, Reading, format_phone, unverified_warning,
};
pub use secret::Secret;
pub use status::{Outcome, Status};
pub use time::{Mono, Now, Timestamp};
