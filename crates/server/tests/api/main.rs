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

mod helpers;

mod dialdown;
mod hostile;
mod http_errors;
mod operations;
mod polling;
mod reliability;
mod restart;
