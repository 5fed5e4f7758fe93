//! How `numdialer` ends when it cannot run: one message in which every
//! cause is named once, and an exit code that a script can tell apart.
//!
//! anyhow's own report puts each cause on a line of its own, and a cause
//! that wraps another repeats its text: sled's lock error came out twice.
//! Bad usage or input exits 2 (clap's convention for a bad flag, which the
//! project's exit codes follow); a server that could not be reached exits
//! 3 (a [`ClientError`] of class `Unreachable`), so that a script can tell
//! "try again later" from "the server said no"; anything else 1.

use crate::client::ClientError;

/// Bad usage or input: a flag that means nothing here, a data directory
/// that another numdialer holds. The text is the whole message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// The exit code for `e`: 2 for bad usage or input, the class's code for
/// a server's answer or its absence (1 refused, 3 unreachable), else 1.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if e.chain().any(|c| c.is::<Usage>()) {
        return 2;
    }
    e.chain()
        .find_map(|c| c.downcast_ref::<ClientError>())
        .map_or(1, |c| c.class().exit_code())
}

/// All that `numdialer` prints on stderr for `e`: the causes on one line;
/// for an import the server refused, its bad lines one per line and their
/// count; and for a server out of reach or not understood, what to check.
pub fn report(e: &anyhow::Error) -> String {
    let mut out = format!("numdialer: {}\n", describe(e));
    let Some(client) = e.chain().find_map(|c| c.downcast_ref::<ClientError>()) else {
        return out;
    };
    // A refusal of the whole file (no phone column) has no lines to list:
    // its message says what is wrong.
    if let ClientError::Import {
        errors,
        error_count,
        ..
    } = client
        && *error_count > 0
    {
        for l in errors {
            out.push_str(&format!("line {}: {}\n", l.line, l.error));
        }
        if *error_count > errors.len() {
            out.push_str(&format!("… and {} more\n", error_count - errors.len()));
        }
        let s = if *error_count == 1 { "" } else { "s" };
        out.push_str(&format!(
            "{error_count} bad line{s}; nothing was imported\n"
        ));
    }
    if let Some(hint) = client.hint() {
        out.push_str(&format!("numdialer: {hint}\n"));
    }
    out
}

/// `e` and its causes on one line, a cause left out where the one before
/// already says it.
pub fn describe(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use numdialer_core::api::LineError;

    #[derive(Debug, thiserror::Error)]
    #[error("store: {0}")]
    struct Wrapper(#[from] std::io::Error);

    #[test]
    fn a_cause_that_repeats_its_source_is_named_once() {
        let io = std::io::Error::other("could not acquire lock");
        let e = anyhow::Error::new(Wrapper(io)).context("cannot open the data directory /d");
        assert_eq!(
            describe(&e),
            "cannot open the data directory /d: store: could not acquire lock"
        );
        assert_eq!(exit_code(&e), 1);
    }

    #[test]
    fn a_server_out_of_reach_exits_3_and_a_refusal_1() {
        let down = anyhow::Error::new(ClientError::Refused).context("listing campaigns");
        assert_eq!(exit_code(&down), 3);
        assert_eq!(describe(&down), "listing campaigns: connection refused");
        let no = ClientError::BadToken {
            sent: true,
            message: "missing or wrong API token".into(),
        };
        assert_eq!(exit_code(&anyhow::Error::new(no)), 1);
    }

    #[test]
    fn an_import_refused_lists_its_lines_and_counts_them() {
        let refused = ClientError::Import {
            message: "the list has bad lines; nothing was stored".into(),
            errors: vec![
                LineError {
                    line: 3,
                    error: "not a phone number: \"abc\"".into(),
                },
                LineError {
                    line: 7,
                    error: "no phone".into(),
                },
            ],
            error_count: 140,
        };
        assert_eq!(refused.class().exit_code(), 1);
        let e = anyhow::Error::new(refused).context("cannot import l.csv into http://h");
        assert_eq!(exit_code(&e), 1);
        assert_eq!(
            report(&e),
            "numdialer: cannot import l.csv into http://h: \
             the list has bad lines; nothing was stored (HTTP 422)\n\
             line 3: not a phone number: \"abc\"\n\
             line 7: no phone\n\
             … and 138 more\n\
             140 bad lines; nothing was imported\n"
        );
    }

    #[test]
    fn a_whole_file_refused_is_its_message_alone() {
        let refused = ClientError::Import {
            message: "the header (line 1) has no phone column".into(),
            errors: Vec::new(),
            error_count: 0,
        };
        assert_eq!(
            report(&anyhow::Error::new(refused)),
            "numdialer: the header (line 1) has no phone column (HTTP 422)\n"
        );
    }

    #[test]
    fn a_server_out_of_reach_says_what_to_check() {
        let e = anyhow::Error::new(ClientError::Refused)
            .context("cannot list the campaigns of http://127.0.0.1:3000");
        assert_eq!(
            report(&e),
            "numdialer: cannot list the campaigns of http://127.0.0.1:3000: connection refused\n\
             numdialer: is numdialer-server running at that address? \
             Check --server / NUMDIALER_SERVER\n"
        );
        let token = ClientError::BadToken {
            sent: true,
            message: "missing or wrong API token".into(),
        };
        assert_eq!(
            report(&anyhow::Error::new(token)),
            "numdialer: wrong API token (HTTP 401): check --token / NUMDIALER_API_TOKEN\n",
            "the text says the fix already"
        );
        let usage = anyhow::Error::new(Usage("cannot read l.csv: gone".into()));
        assert_eq!(report(&usage), "numdialer: cannot read l.csv: gone\n");
    }

    #[test]
    fn usage_exits_2_even_with_context() {
        let e = anyhow::Error::new(Usage("--data-dir means nothing here".into()));
        assert_eq!(exit_code(&e), 2);
        assert_eq!(exit_code(&e.context("starting")), 2);
    }
}
