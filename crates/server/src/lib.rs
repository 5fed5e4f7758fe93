//! numdialer's headless server: the HTTP API, the driver that dials, the
//! dialer API clients, the sled store and the simulated dialer API.
//!
//! [`start`] runs all of it inside the caller's tokio runtime; the
//! `numdialer-server` binary and the TUI's embedded mode both use it.
//!
//! # Layout
//!
//! - [`startup`]: the configuration by component ([`ServerConfig`]) and
//!   [`start`] in named steps; the only module that picks a provider.
//! - [`cli`]: the `numdialer-server` command line, flag by flag with its
//!   `NUMDIALER_*` variable.
//! - [`engine`]: every campaign behind one lock, every change written to
//!   the store before it is acknowledged and every dial's record durable
//!   before it is sent; by job (open and persist, reads, writes, dialing)
//!   and one `Degradation` for a failing store.
//! - [`events`]: outbound events: what each change owes the webhook
//!   endpoints, written with it, and the task that delivers it.
//! - [`driver`]: the loops that dial, time out calls and probe the API,
//!   each around a step a test can call.
//! - [`provider`]: the contract of a dialer API; the clients of the
//!   numDialer API and of Twilio; the pace that spaces call requests
//!   (`--max-cps`); and the simulators that stand in for either (with
//!   faults) when no URL is given.
//! - [`http`]: the router, its middleware and extractors, the handlers by
//!   resource, the one error type, and the accept loop.
//! - [`store`]: sled, and everything sled's limits ask of us: its records
//!   and keys, a directory read back, group commit, and the `manifest`,
//!   which sled cannot roll back.
//! - [`integrity`]: a data directory checked against its manifest before
//!   anything is dialed, and the manifest kept while the server runs.
//! - [`healer`]: waits out a failing store, and gives up after a grace.
//! - [`shutdown`]: the one handle every task stops on.
//! - [`clock`]: the wall and monotonic clocks, read in one place.
//! - [`sync`]: the one way the server takes a lock a panic may have
//!   poisoned.
//! - [`metrics`]: counters and histograms for `GET /metrics`.

pub mod cli;
pub mod clock;
pub mod driver;
pub mod engine;
pub mod events;
pub mod healer;
pub mod http;
pub mod integrity;
pub mod metrics;
pub mod provider;
pub mod shutdown;
pub mod startup;
pub mod store;
pub mod sync;

pub use startup::{RunningServer, ServerConfig, start};
