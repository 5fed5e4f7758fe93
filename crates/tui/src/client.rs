//! The TUI's HTTP client for numdialer-server.

use numdialer_core::Secret;
use numdialer_core::api::{CallDetail, ErrorBody, StatusesResponse};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// No answer: refused, reset, timed out.
    #[error("server unreachable: {0}")]
    Unreachable(String),
    /// The server answered with an error code.
    #[error("{message} (HTTP {status})")]
    Http { status: u16, message: String },
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<Secret>,
}

impl Client {
    pub fn new(base: &str, token: Option<Secret>) -> Self {
        // Idle connections are dropped before the server drops them (after
        // 10 s), so that a poll never goes out on one being closed.
        let http = reqwest::Client::builder()
            .pool_idle_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .expect("building the HTTP client");
        Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            token,
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
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let resp = transmit(req).await?;
        self.decode(resp).await
    }

    async fn decode<T: serde::de::DeserializeOwned>(
        &self,
        resp: reqwest::Response,
    ) -> Result<T, ClientError> {
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Unreachable(describe(&e)))?;
        if !status.is_success() {
            let message = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|b| b.error)
                .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).trim().to_string());
            return Err(ClientError::Http {
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
    }

    pub async fn statuses(&self) -> Result<StatusesResponse, ClientError> {
        self.send(self.request(reqwest::Method::GET, "/statuses"))
            .await
    }

    /// One poll. Knowing version `known`, asks only for what changed after
    /// it, held by the server up to `wait` until something does; `None`
    /// means nothing changed (304).
    pub async fn poll(
        &self,
        known: Option<u64>,
        wait: Duration,
    ) -> Result<Option<StatusesResponse>, ClientError> {
        let Some(v) = known else {
            return self.statuses().await.map(Some);
        };
        let path = format!("/statuses?since={v}&wait={}", wait.as_secs_f64());
        let req = self
            .request(reqwest::Method::GET, &path)
            .header(reqwest::header::IF_NONE_MATCH, format!("\"{v}\""))
            .timeout(wait + Duration::from_secs(10));
        let resp = transmit(req).await?;
        if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(None);
        }
        self.decode(resp).await.map(Some)
    }

    pub async fn start(&self) -> Result<(), ClientError> {
        self.send::<serde_json::Value>(self.request(reqwest::Method::POST, "/calls"))
            .await
            .map(|_| ())
    }

    pub async fn detail(&self, index: usize) -> Result<CallDetail, ClientError> {
        self.send(self.request(reqwest::Method::GET, &format!("/calls/{index}")))
            .await
    }
}

/// Sends a request; a GET that fails before any answer is sent once more.
/// A kept-alive connection that the server closes (idle too long) just as
/// it is reused fails that way, and a GET is safe to repeat; a POST is not
/// repeated.
async fn transmit(req: reqwest::RequestBuilder) -> Result<reqwest::Response, ClientError> {
    let is_get = req
        .try_clone()
        .and_then(|r| r.build().ok())
        .is_some_and(|r| r.method() == reqwest::Method::GET);
    let again = if is_get { req.try_clone() } else { None };
    let unreachable = |e: reqwest::Error| ClientError::Unreachable(describe(&e));
    match (req.send().await, again) {
        (Err(e), Some(again)) if !e.is_timeout() => again.send().await.map_err(unreachable),
        (result, _) => result.map_err(unreachable),
    }
}

/// A short cause: "connection refused" rather than reqwest's whole chain.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut inner: &dyn std::error::Error = e;
    while let Some(s) = inner.source() {
        inner = s;
    }
    inner.to_string()
}
