//! The real `numdialer` binary in a real pseudo-terminal, its screen read
//! back through a vt100 parser: what a person would see.
//!
//! - `screen`: the dial-down on screen, embedded and against a remote
//!   server that goes away and comes back.
//! - `errors`: the three mistakes a new user makes connecting to a server
//!   (a wrong token, the dialer API's port, https:// to plain http), each
//!   named in the header.
//! - `real_dialer`: a dialer API that stands for real people: the data is
//!   kept across restarts and nobody is dialed twice, quitting asks first
//!   with calls in flight (and only in embedded mode), and a second TUI on
//!   the same data directory is refused.
//! - `campaigns`: a campaign imported, started, paused, resumed, stopped
//!   and exported through the keys; a bad file refused line by line.
//! - `dnc`: `x` then `y` puts the selected number on the do-not-call list;
//!   its entry is canceled at once and its history says why.
//! - `watch`: `numdialer watch` on a terminal draws a bar, then the
//!   final counts.
//! - `first_hour`: durations that count on across long polls, and
//!   nothing lost to one key (Esc, q, an export onto a file, a refused
//!   import's form).
//! - `twilio`: `numdialer --dialer twilio` dials through the embedded
//!   Twilio simulator, its pace in the header.
//! - `header`: what only the server knows, in the header: calls from
//!   before a restart and when they time out, an unreachable dialer API.
//! - `tui`, `stand_in`, `sandbox`: the terminal, the stand-in for the
//!   numDialer API, and a temporary user account to run as.

mod campaigns;
mod dnc;
mod errors;
mod first_hour;
mod header;
mod real_dialer;
mod sandbox;
mod screen;
mod stand_in;
mod tui;
mod twilio;
mod watch;
