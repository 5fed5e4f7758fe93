//! The `numdialer` subcommands as a script runs them: the real binary,
//! its stdout, stderr and exit code, against a real numdialer-server on
//! loopback (in this process, with its simulated dialer API made fast).
//!
//! - `campaigns`: a campaign through every command, from `add` to
//!   `delete`, in plain text and `--json`; `watch` piped to a file ends
//!   with the final counts; `stop` cancels what is left.
//! - `errors`: the exit codes 1, 2 and 3 and what stderr says for each:
//!   a refused token, a closed port, bad usage, a file with a bad line, a
//!   campaign that does not exist, a server too old for campaigns.
//! - `dnc`: the do-not-call lists through `numdialer dnc`, and its
//!   refusals.
//! - `newer`: a server newer than this build: an outcome it does not
//!   know is printed as the server wrote it.
//! - `run`: the server and the binary.

mod campaigns;
mod dnc;
mod errors;
mod newer;
mod run;
mod webhooks;
