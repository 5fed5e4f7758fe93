//! The HTTP client for numdialer-server, shared by the TUI and the
//! subcommands. Every failure comes back as a [`ClientError`] that names
//! its cause (see [`error`]), so that the header and the command line say
//! the same thing and what to fix. The campaign routes live in
//! [`campaigns`], the import of a file in [`upload`], and campaign 1
//! through the routes of a server older than campaigns in [`legacy`].

pub mod campaigns;
pub mod error;
pub mod legacy;
pub mod suppressions;
pub mod upload;
pub mod webhooks;

pub use campaigns::Export;
pub use error::{Class, ClientError, Retry, SLOW_RETRY};
pub use upload::{Created, Format, Settings, Upload, UploadError};

use numdialer_core::Secret;
use std::time::Duration;

/// The longest a request may take, unless a long poll asks for more.
pub const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<Secret>,
    /// An https:// base: a failed connection may be a failed handshake.
    https: bool,
    timeout: Duration,
}

/// One request the TUI makes, as the error texts name it.
struct Request<'a> {
    name: &'a str,
    /// A 404 is this route's own answer (no such entry), not a route the
    /// server lacks.
    own_404: bool,
}

impl Client {
    pub fn new(base: &str, token: Option<Secret>) -> Self {
        Client::with_timeout(base, token, TIMEOUT)
    }

    /// A client whose requests give up after `timeout` (connecting takes
    /// at most 3 s of it).
    pub fn with_timeout(base: &str, token: Option<Secret>, timeout: Duration) -> Self {
        // Idle connections are dropped before the server drops them (after
        // 10 s), so that a poll never goes out on one being closed.
        let http = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(5))
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .build()
            .expect("building the HTTP client");
        let base = base.trim_end_matches('/').to_string();
        Client {
            http,
            https: base.starts_with("https://"),
            base,
            token,
            timeout,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => req.bearer_auth(t.expose()),
            None => req,
        }
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        what: Request<'_>,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let resp = self.transmit(req).await?;
        self.decode(what, resp).await
    }

    async fn decode<T: serde::de::DeserializeOwned>(
        &self,
        what: Request<'_>,
        resp: reqwest::Response,
    ) -> Result<T, ClientError> {
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| self.network(&e))?;
        if !status.is_success() {
            return Err(ClientError::from_answer(
                what.name,
                what.own_404,
                status.as_u16(),
                &bytes,
                self.token.is_some(),
            ));
        }
        serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::from_undecodable(what.name, status.as_u16(), &bytes, &e))
    }

    /// `GET path` for what changed after version `known`, held by the
    /// server up to `wait`: `None` when nothing did (304).
    pub(crate) async fn long_poll(
        &self,
        path: &str,
        known: u64,
        wait: Duration,
    ) -> Result<Option<reqwest::Response>, ClientError> {
        let req = self
            .request(reqwest::Method::GET, path)
            .header(reqwest::header::IF_NONE_MATCH, format!("\"{known}\""))
            .timeout(wait + self.timeout);
        let resp = self.transmit(req).await?;
        if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        Ok(Some(resp))
    }

    /// Sends a request; a GET that fails before any answer is sent once
    /// more. A kept-alive connection that the server closes (idle too
    /// long) just as it is reused fails that way, and a GET is safe to
    /// repeat; a POST is not repeated.
    async fn transmit(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let is_get = req
            .try_clone()
            .and_then(|r| r.build().ok())
            .is_some_and(|r| r.method() == reqwest::Method::GET);
        let again = if is_get { req.try_clone() } else { None };
        let result = match (req.send().await, again) {
            (Err(e), Some(again)) if !e.is_timeout() => again.send().await,
            (result, _) => result,
        };
        result.map_err(|e| self.network(&e))
    }

    /// Names the cause of a failure before any answer came.
    fn network(&self, e: &reqwest::Error) -> ClientError {
        if e.is_dns() {
            let host = e.url().and_then(|u| u.host_str()).unwrap_or_default();
            return ClientError::NotResolved { host: host.into() };
        }
        let mut innermost: &dyn std::error::Error = e;
        let mut refused = false;
        while let Some(source) = innermost.source() {
            if let Some(io) = source.downcast_ref::<std::io::Error>() {
                refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
            }
            innermost = source;
        }
        let cause = innermost.to_string();
        if refused {
            ClientError::Refused
        } else if e.is_timeout() {
            ClientError::TimedOut
        } else if self.https && e.is_connect() {
            ClientError::Tls {
                plain_http: looks_like_plain_http(&cause),
                cause,
            }
        } else {
            ClientError::Unreachable(cause)
        }
    }
}

/// Whether a TLS failure came from bytes that are no TLS record at all:
/// rustls says so as a corrupt message of an invalid content type, which
/// is what the first bytes of a plain HTTP answer ("HTTP/1.1") make.
fn looks_like_plain_http(cause: &str) -> bool {
    cause.contains("InvalidContentType")
}

#[cfg(test)]
mod tests;
