//! numdialer's terminal UI: a Call button and a live, colour-coded table of
//! every list entry, fed by polling numdialer-server's HTTP API.
//!
//! # Layout
//!
//! State and input, free of I/O:
//! - [`app`]: `App` holds the state; `App::update(event, now)` changes it
//!   and returns the side effect to run as a `Command`.
//! - [`mode`]: embedded or remote, and what that makes quitting do: the
//!   quit prompt and the header's warnings follow from it.
//! - [`keys`]: the one table of key bindings, which feeds `App::update`,
//!   the footer, the `?` help and `numdialer --help`.
//! - [`layout`]: the screen's geometry, shared by the views and by `App`
//!   (mouse clicks, page keys) so that neither imports the other.
//! - [`prompt`]: the lines a person types (the file to import and its
//!   retry settings, the file to export to, the filter), with pure edits.
//!
//! Rendering, which only reads an `App`:
//! - [`views`]: `views::draw(frame, &app)` and one module per part of the
//!   screen (campaigns pane, calls table, header and warnings, status bar,
//!   help, history, the prompts and questions).
//! - [`theme`]: the named styles, a colour and a plain theme chosen once
//!   from `NO_COLOR`.
//!
//! Doing things:
//! - [`run()`]: the loop that wires the terminal, the server and the
//!   network to the `App`; [`poller`] long-polls the statuses of the
//!   campaign on screen and the list of campaigns;
//!   [`files`] completes paths and writes exports for the prompts;
//!   [`client`] speaks numdialer-server's HTTP API and names the cause of
//!   every failure (`ClientError`, shared with the coming subcommands);
//!   [`terminal`] enters the full screen and restores the terminal on
//!   every exit.
//! - [`embedded`]: the server inside this process: where its data lives
//!   (kept by default whenever real people can be dialed), and a data
//!   directory in use said in one message.
//! - [`cli`]: the `numdialer` command line; [`failure`]: how it ends when
//!   it cannot run (one message; exit code 2 for bad usage or input, 3 for
//!   a server out of reach, 1 for the rest).

pub mod app;
pub mod cli;
pub mod client;
pub mod commands;
pub mod embedded;
pub mod failure;
pub mod files;
pub mod keys;
pub mod layout;
pub mod mode;
pub mod poller;
pub mod prompt;
mod run;
pub mod terminal;
pub mod theme;
pub mod views;
pub mod words;

pub use poller::poll;
pub use run::run;
