//! What went wrong when numdialer spoke to a server, classified once here
//! so that the screen and the command line name the same cause and the
//! same next step. "Unreachable" alone sends a user hunting for a network
//! fault when the fix is a token, a port or a scheme; each variant below
//! is a fix the user can make, and its text says which.

use numdialer_core::api::LineError;
use std::time::Duration;

/// How long to wait before asking again when only the user can fix what
/// went wrong (a token, a URL): asking faster changes nothing, and a server
/// refusing a token would log every attempt.
pub const SLOW_RETRY: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens at that address and port.
    #[error("connection refused")]
    Refused,
    /// The host name has no address (a typo, or no DNS).
    #[error("name not resolved: {host}")]
    NotResolved { host: String },
    /// No answer in time: a firewall dropping packets, or a server stuck.
    #[error("timed out")]
    TimedOut,
    /// https:// to something that does not speak TLS, or a certificate
    /// that was refused. `plain_http` when the answer looked like plain
    /// HTTP, which is by far the usual mistake.
    #[error("{}", tls_text(*.plain_http, .cause))]
    Tls { plain_http: bool, cause: String },
    /// Any other failure before an answer: a reset, a closed connection.
    #[error("server unreachable: {0}")]
    Unreachable(String),
    /// 401: the server wants another token (`sent`: one was sent at all).
    #[error("{}", token_text(*.sent))]
    BadToken { sent: bool, message: String },
    /// Something answered, but not as numdialer-server would: a 404 on
    /// GET /statuses, or an answer that is not JSON.
    #[error("not numdialer-server: {request} answered {answered}")]
    NotNumdialer { request: String, answered: String },
    /// 5xx, with the server's own `{"error"}` text when it sent one.
    #[error("server error (HTTP {status}){}", colon(.message))]
    Server { status: u16, message: String },
    /// numdialer-server, but without a route this numdialer needs: a 404
    /// or 405 in numdialer's own JSON.
    #[error("server older than this numdialer: {request} answered {status}; upgrade it")]
    TooOld { request: String, status: u16 },
    /// Any other refusal, in the server's words (409: already started).
    #[error("{message} (HTTP {status})")]
    Http { status: u16, message: String },
    /// 422 to an import: the file has bad lines and nothing was stored.
    /// `errors` holds the first ones the server lists (it lists 100 at
    /// most); `error_count` counts them all.
    #[error("{message} (HTTP 422)")]
    Import {
        message: String,
        errors: Vec<LineError>,
        error_count: usize,
    },
    /// JSON, but not the shape this numdialer expects.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

/// What a command line makes of an error, for its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// An answer came, and it was a refusal: exit code 1.
    Refused,
    /// No answer came: exit code 3.
    Unreachable,
}

impl Class {
    pub fn exit_code(self) -> u8 {
        match self {
            Class::Refused => 1,
            Class::Unreachable => 3,
        }
    }
}

/// When to ask the server again after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Soon, then less often: the network or the server may come back.
    Backoff,
    /// Every [`SLOW_RETRY`]: the user has to change something first.
    Slowly,
}

impl ClientError {
    pub fn class(&self) -> Class {
        match self {
            ClientError::Refused
            | ClientError::NotResolved { .. }
            | ClientError::TimedOut
            | ClientError::Tls { .. }
            | ClientError::Unreachable(_) => Class::Unreachable,
            ClientError::BadToken { .. }
            | ClientError::NotNumdialer { .. }
            | ClientError::Server { .. }
            | ClientError::TooOld { .. }
            | ClientError::Http { .. }
            | ClientError::Import { .. }
            | ClientError::Decode(_) => Class::Refused,
        }
    }

    pub fn retry(&self) -> Retry {
        match self {
            ClientError::BadToken { .. }
            | ClientError::NotNumdialer { .. }
            | ClientError::TooOld { .. }
            | ClientError::Import { .. }
            | ClientError::Tls { .. } => Retry::Slowly,
            _ => Retry::Backoff,
        }
    }

    /// The next step for a failure whose text does not already say it: a
    /// person reading "connection refused" in a cron mail should learn
    /// which setting to check. The screen has no room for it; the command
    /// line prints it after the cause.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ClientError::Refused => Some(
                "is numdialer-server running at that address? Check --server / NUMDIALER_SERVER",
            ),
            ClientError::NotResolved { .. } => {
                Some("check the host name in --server / NUMDIALER_SERVER")
            }
            ClientError::TimedOut | ClientError::Unreachable(_) => Some(
                "check the address in --server and the network (a firewall, an SSH tunnel), then try again",
            ),
            ClientError::NotNumdialer { .. } => {
                Some("check --server: it should be numdialer-server's API, not the dialer API")
            }
            ClientError::Server { .. } => Some("the server's log says more; try again later"),
            _ => None,
        }
    }

    /// Classifies an answer that is not a success. `request` names it
    /// ("GET /statuses"); `own_404` when a 404 is the route's own answer
    /// (no such entry) rather than a missing route.
    pub(crate) fn from_answer(
        request: &str,
        own_404: bool,
        status: u16,
        body: &[u8],
        sent_token: bool,
    ) -> ClientError {
        let json_error = serde_json::from_slice::<numdialer_core::api::ErrorBody>(body)
            .ok()
            .map(|b| b.error);
        let text = || String::from_utf8_lossy(body).trim().to_string();
        match (status, json_error) {
            (401, message) => ClientError::BadToken {
                sent: sent_token,
                message: message.unwrap_or_else(text),
            },
            (500..=599, message) => ClientError::Server {
                status,
                message: message.unwrap_or_else(|| first_line(&text())),
            },
            // A proxy in front (nginx's client_max_body_size) answers a big
            // import with a page of its own: the size is the cause, not
            // another kind of server.
            (413, message) => ClientError::Http {
                status,
                message: message.unwrap_or_else(|| TOO_LARGE.into()),
            },
            (404, _) if request == STATUSES => not_numdialer(request, status.to_string()),
            (_, None) => not_numdialer(request, status.to_string()),
            (404, Some(_)) if !own_404 => ClientError::TooOld {
                request: request.into(),
                status,
            },
            (405, Some(_)) => ClientError::TooOld {
                request: request.into(),
                status,
            },
            (_, Some(message)) => ClientError::Http { status, message },
        }
    }

    /// A 2xx whose body did not decode: not JSON at all means another kind
    /// of server; JSON of another shape, another version of numdialer.
    pub(crate) fn from_undecodable(
        request: &str,
        status: u16,
        body: &[u8],
        e: &serde_json::Error,
    ) -> ClientError {
        if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
            return not_numdialer(request, format!("{status} without JSON"));
        }
        ClientError::Decode(e.to_string())
    }
}

/// A 413 without numdialer's JSON.
const TOO_LARGE: &str = "the request body is too large for the server or a proxy in front of it \
     (nginx: client_max_body_size)";

/// The request that tells numdialer-server from anything else.
pub(crate) const STATUSES: &str = "GET /statuses";

fn not_numdialer(request: &str, answered: String) -> ClientError {
    ClientError::NotNumdialer {
        request: request.into(),
        answered,
    }
}

fn tls_text(plain_http: bool, cause: &str) -> String {
    if plain_http {
        "TLS handshake failed: is this an http:// server?".into()
    } else {
        format!("TLS handshake failed: {cause}")
    }
}

fn token_text(sent: bool) -> &'static str {
    if sent {
        "wrong API token (HTTP 401): check --token / NUMDIALER_API_TOKEN"
    } else {
        "no API token (HTTP 401): pass --token / NUMDIALER_API_TOKEN"
    }
}

fn colon(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// A proxy's error page is HTML: its first line is enough, and a line.
fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(120)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(request: &str, status: u16, body: &str) -> ClientError {
        ClientError::from_answer(request, false, status, body.as_bytes(), true)
    }

    #[test]
    fn answers_are_told_apart_by_code_and_body() {
        let json = r#"{"error":"no such route"}"#;
        assert!(matches!(
            answer(STATUSES, 404, json),
            ClientError::NotNumdialer { .. }
        ));
        assert!(matches!(
            answer(STATUSES, 405, json),
            ClientError::TooOld { status: 405, .. }
        ));
        assert!(matches!(
            answer("POST /calls", 409, r#"{"error":"dialing already started"}"#),
            ClientError::Http { status: 409, .. }
        ));
        assert_eq!(
            answer(
                "POST /campaigns",
                413,
                "<html>413 Request Entity Too Large</html>"
            )
            .to_string(),
            "the request body is too large for the server or a proxy in front of it \
             (nginx: client_max_body_size) (HTTP 413)"
        );
        assert_eq!(
            answer(
                "POST /campaigns",
                413,
                r#"{"error":"request body is larger than 9 bytes"}"#
            )
            .to_string(),
            "request body is larger than 9 bytes (HTTP 413)"
        );
        assert_eq!(
            answer("POST /calls", 400, "Bad Request").to_string(),
            "not numdialer-server: POST /calls answered 400"
        );
    }

    #[test]
    fn a_proxys_error_page_is_cut_to_its_first_line() {
        let page = "<html><title>502 Bad Gateway</title>\n<body>nginx</body></html>";
        assert_eq!(
            answer(STATUSES, 502, page).to_string(),
            "server error (HTTP 502): <html><title>502 Bad Gateway</title>"
        );
        assert_eq!(
            answer(STATUSES, 503, "").to_string(),
            "server error (HTTP 503)"
        );
    }

    #[test]
    fn exit_codes_follow_whether_an_answer_came() {
        assert_eq!(ClientError::Refused.class().exit_code(), 3);
        let token = answer(STATUSES, 401, r#"{"error":"missing or wrong API token"}"#);
        assert_eq!(token.class().exit_code(), 1);
    }
}
