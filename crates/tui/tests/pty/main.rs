//! The real `numdialer` binary in a real pseudo-terminal, its screen read
//! back through a vt100 parser: what a person would see.
//!
//! - `screen`: the dial-down on screen, embedded and against a remote
//!   server that goes away and comes back.
//! - `tui`: the terminal.

mod screen;
mod tui;
