//! numdialer-server's integration tests, as one test binary.
//!
//! Each file in `tests/` would be its own crate, linked on its own against
//! the whole server, with its own copy of the helpers (and a
//! `#![allow(dead_code)]` for the ones it did not use). As modules of one
//! binary they link once, share `helpers`, and the compiler reports any
//! helper that no test uses.
//!
//! Every test runs the real thing: a simulator and a server on loopback
//! ports, real sled directories, and the real `numdialer-server` binary
//! where a test is about the process (kill -9, SIGTERM, flags).
//!
//! The heavy tests in `reliability` are not serialised. libtest runs as
//! many tests at once as there are cores (two on CI), in name order, so
//! they start near the end and run beside each other and the short
//! `restart` tests. None of their assertions depends on speed, beyond
//! generous deadlines: a call that a starved server times out ends
//! `failed`, which the judge accepts. Serialising them would only add
//! their times up: `concurrent_starts_and_pollers` alone keeps one core
//! busy for about a minute, and the others fit beside it.

mod helpers;

mod campaigns;
mod connections;
mod contract;
mod dialdown;
mod dialer_headers;
mod exports;
mod header;
mod hostile;
mod hours;
mod imports;
mod integrity;
mod limits;
mod openapi;
mod operations;
mod pacing;
mod pages;
mod polling;
mod reliability;
mod restart;
mod shutdown;
mod store_faults;
mod suppressions;
mod twilio;
mod twilio_amd;
mod upgrade;
mod webhooks_out;
