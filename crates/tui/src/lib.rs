//! `numdialer`: the terminal UI and the command line of numdialer-server.
//! Alone, it is the TUI: the campaigns, the Call button and a live,
//! colour-coded table of the entries of the campaign on screen, fed by
//! long-polling the server's HTTP API, with keys to import, start, pause,
//! stop, export and delete campaigns. With a subcommand (`numdialer
//! campaigns`, `add`, `start`, `watch`, ...) it is a command for scripts
//! and cron, speaking to the same server through the same client.
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
//! Words, shared by the screen and the commands:
//! - [`words`]: an outcome as a person says it, a campaign's outcomes in
//!   one line, an export's file name; a status or outcome this build does
//!   not know, as the server wrote it.
//!
//! Doing things:
//! - [`run()`]: the loop that wires the terminal, the server and the
//!   network to the `App`; [`poller`] long-polls the statuses of the
//!   campaign on screen and the list of campaigns;
//!   [`files`] completes paths and writes exports for the prompts;
//!   [`client`] speaks numdialer-server's HTTP API (campaign 1 of a server
//!   older than campaigns included) and names the cause of every failure
//!   (`ClientError`, shared by the screen and the commands);
//!   [`terminal`] enters the full screen and restores the terminal on
//!   every exit.
//! - [`commands`]: the subcommands for scripts, one module per command,
//!   with their exit codes.
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
