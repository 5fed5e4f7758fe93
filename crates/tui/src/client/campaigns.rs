//! The campaign routes (`/campaigns...`, docs/api.md), one method each,
//! for the TUI's campaigns pane and the `numdialer` subcommands alike.
//!
//! Every failure is a [`ClientError`], classified as for the statuses, so
//! that the screen and the command line name the same cause. Two answers
//! need more than the shared classification:
//!
//! - A 404 on a route with a campaign id is either the server's own "no
//!   such campaign" or a server without campaigns at all. Both are JSON, so
//!   the answer alone cannot tell them apart; [`Client::unknown_or_older`]
//!   asks `GET /campaigns` once to find out, only on that error path.
//! - A 422 to an import carries the file's bad lines, kept in
//!   [`ClientError::Import`] so that they can be shown one per line.
//!
//! An import of a million lines is some 30 MB: [`Upload`] streams it from
//! the file in chunks instead of reading it whole, and counts the bytes
//! handed to the connection, so that a progress bar can follow it.

use super::{Client, ClientError, Request};
use bytes::Bytes;
use numdialer_core::api::{
    CallDetail, CampaignSummary, CampaignsResponse, ImportErrorBody, StatusesResponse,
};
use numdialer_core::campaign::Operation;
use numdialer_core::status::Outcome;
use reqwest::{Method, StatusCode, header};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long an import or an export may take in all. The usual limit
/// ([`super::TIMEOUT`]) is for small answers; a million entries over a slow
/// link take minutes, and cutting them short would only make the user try
/// again from the start.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The size of each piece of an upload read from its file.
const CHUNK: usize = 64 * 1024;

/// The list route, which tells a server with campaigns from an older one.
const LIST: &str = "GET /campaigns";

/// The format of an import, which the server reads from its content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A header row with a `phone` column; `name` and any other columns
    /// are kept.
    Csv,
    /// One number a line; `#` comments and blank lines are skipped.
    Text,
    /// `{"name", "numbers": [..] | "entries": [{"phone", "name"}], "retry",
    /// "start"}`.
    Json,
}

impl Format {
    /// The format a file's extension names: `.csv`, `.txt`, `.json`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "txt" => Some(Format::Text),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv",
            Format::Text => "text/plain",
            Format::Json => "application/json",
        }
    }
}

/// A new campaign's settings; what is `None` takes the server's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub name: Option<String>,
    pub max_attempts: Option<u32>,
    /// Seconds from the end of an attempt to the next one.
    pub retry_delay: Option<u64>,
    pub retry_on: Option<Vec<Outcome>>,
    /// Start dialing it at once.
    pub start: bool,
}

impl Settings {
    fn is_empty(&self) -> bool {
        *self == Settings::default()
    }

    /// The query string that carries the settings of a CSV or text import.
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(name) = &self.name {
            q.push(("name", name.clone()));
        }
        if let Some(n) = self.max_attempts {
            q.push(("max_attempts", n.to_string()));
        }
        if let Some(s) = self.retry_delay {
            q.push(("retry_delay", s.to_string()));
        }
        if let Some(on) = &self.retry_on {
            let words: Vec<&str> = on.iter().map(|o| o.as_str()).collect();
            q.push(("retry_on", words.join(",")));
        }
        if self.start {
            q.push(("start", "true".into()));
        }
        q
    }

    /// Writes the settings into a JSON import's own fields, over what the
    /// file says: a JSON body carries its settings inside, not in the query.
    fn merge_into(&self, body: &mut serde_json::Map<String, serde_json::Value>) {
        use serde_json::Value;
        if let Some(name) = &self.name {
            body.insert("name".into(), Value::from(name.as_str()));
        }
        let retry = body
            .entry("retry")
            .or_insert_with(|| Value::Object(Default::default()));
        if !retry.is_object() {
            *retry = Value::Object(Default::default());
        }
        if let Value::Object(retry) = retry {
            if let Some(n) = self.max_attempts {
                retry.insert("max_attempts".into(), n.into());
            }
            if let Some(s) = self.retry_delay {
                retry.insert("retry_delay".into(), s.into());
            }
            if let Some(on) = &self.retry_on {
                let words = on.iter().map(|o| Value::from(o.as_str())).collect();
                retry.insert("retry_on".into(), Value::Array(words));
            }
        }
        if self.start {
            body.insert("start".into(), Value::Bool(true));
        }
    }
}

/// Why an import could not be prepared: the local file, before anything
/// was sent.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a JSON object: {reason}", .path.display())]
    NotJsonObject { path: PathBuf, reason: String },
}

/// An import ready to send: the body (the file itself, or for a JSON file
/// with settings given, the file with them written in), its content type
/// and its query.
#[derive(Debug)]
pub struct Upload {
    payload: Payload,
    /// Unknown for a pipe (`/dev/stdin`): the body is then sent chunked.
    len: Option<u64>,
    format: Format,
    query: Vec<(&'static str, String)>,
    idempotency_key: Option<String>,
}

#[derive(Debug)]
enum Payload {
    File(std::fs::File),
    Bytes(Bytes),
}

impl Upload {
    /// Opens `path` (a missing or unreadable file fails here, before any
    /// request). A JSON file is read and rewritten only when `settings`
    /// has something to write into it; otherwise every format is streamed
    /// from the file as it is.
    pub fn open(path: &Path, format: Format, settings: &Settings) -> Result<Upload, UploadError> {
        let read_err = |source| UploadError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        let meta = file.metadata().map_err(read_err)?;
        if meta.is_dir() {
            return Err(read_err(std::io::Error::other("it is a directory")));
        }
        let file_len = meta.is_file().then_some(meta.len());
        let (payload, len, query) = match format {
            Format::Json if !settings.is_empty() => {
                let text = std::fs::read(path).map_err(read_err)?;
                let not_object = |reason: String| UploadError::NotJsonObject {
                    path: path.to_path_buf(),
                    reason,
                };
                let mut value: serde_json::Value =
                    serde_json::from_slice(&text).map_err(|e| not_object(e.to_string()))?;
                let serde_json::Value::Object(body) = &mut value else {
                    return Err(not_object("it is not {...}".into()));
                };
                settings.merge_into(body);
                let bytes = Bytes::from(serde_json::to_vec(&value).expect("JSON re-serialises"));
                let len = Some(bytes.len() as u64);
                (Payload::Bytes(bytes), len, Vec::new())
            }
            Format::Json => (Payload::File(file), file_len, Vec::new()),
            Format::Csv | Format::Text => (Payload::File(file), file_len, settings.query()),
        };
        Ok(Upload {
            payload,
            len,
            format,
            query,
            idempotency_key: None,
        })
    }

    /// Sends `Idempotency-Key: key`: a retried upload with the same key
    /// gets the campaign the first one created instead of a second one.
    pub fn idempotency_key(mut self, key: String) -> Upload {
        self.idempotency_key = Some(key);
        self
    }

    /// Bytes to send, when known before sending (not for a pipe).
    pub fn size(&self) -> Option<u64> {
        self.len
    }

    /// The body, streamed in chunks read on a blocking thread (file reads
    /// block), each counted into `sent` as the connection takes it.
    fn into_body(self, sent: Arc<AtomicU64>) -> reqwest::Body {
        let (tx, rx) = mpsc::channel(4);
        match self.payload {
            Payload::File(mut file) => {
                tokio::task::spawn_blocking(move || {
                    loop {
                        let mut buf = vec![0; CHUNK];
                        let piece = match file.read(&mut buf) {
                            Ok(0) => return,
                            Ok(n) => {
                                buf.truncate(n);
                                Ok(Bytes::from(buf))
                            }
                            Err(e) => Err(e),
                        };
                        let failed = piece.is_err();
                        if tx.blocking_send(piece).is_err() || failed {
                            return;
                        }
                    }
                });
            }
            Payload::Bytes(mut bytes) => {
                tokio::spawn(async move {
                    while !bytes.is_empty() {
                        let piece = bytes.split_to(CHUNK.min(bytes.len()));
                        if tx.send(Ok(piece)).await.is_err() {
                            return;
                        }
                    }
                });
            }
        }
        reqwest::Body::wrap(Counted {
            rx,
            sent,
            left: self.len,
        })
    }
}

/// An upload's body as hyper pulls it: pieces from the reader, counted.
struct Counted {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    sent: Arc<AtomicU64>,
    /// Bytes still to come, when known, so that the request has a
    /// Content-Length.
    left: Option<u64>,
}

impl http_body::Body for Counted {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(Ok(piece))) => {
                let n = piece.len() as u64;
                self.left = self.left.map(|l| l.saturating_sub(n));
                self.sent.fetch_add(n, Ordering::Relaxed);
                Poll::Ready(Some(Ok(http_body::Frame::data(piece))))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self.left {
            Some(n) => http_body::SizeHint::with_exact(n),
            None => http_body::SizeHint::default(),
        }
    }
}

/// `POST /campaigns`'s answer: the campaign, and whether it was made now
/// (201) or by an earlier upload with the same idempotency key (200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub campaign: CampaignSummary,
    pub existed: bool,
}

/// `GET /campaigns/{id}/export.csv` as it arrives, piece by piece: a big
/// campaign's CSV need not fit in memory.
#[derive(Debug)]
pub struct Export {
    client: Client,
    response: reqwest::Response,
}

impl Export {
    /// The body's length when the server said it.
    pub fn size(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next piece of the CSV; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, ClientError> {
        self.response
            .chunk()
            .await
            .map_err(|e| self.client.network(&e))
    }
}

impl Client {
    /// `GET /campaigns`: every campaign's summary.
    pub async fn campaigns(&self) -> Result<CampaignsResponse, ClientError> {
        self.send(list(), self.request(Method::GET, "/campaigns"))
            .await
    }

    /// One long poll of `GET /campaigns`: knowing version `known`, held by
    /// the server up to `wait` until a campaign changes; `None` means
    /// nothing did (304).
    pub async fn poll_campaigns(
        &self,
        known: Option<u64>,
        wait: Duration,
    ) -> Result<Option<CampaignsResponse>, ClientError> {
        let Some(v) = known else {
            return self.campaigns().await.map(Some);
        };
        let path = format!("/campaigns?wait={}", wait.as_secs_f64());
        let Some(resp) = self.long_poll(&path, v, wait).await? else {
            return Ok(None);
        };
        self.decode(list(), resp).await.map(Some)
    }

    /// `GET /campaigns/{id}`.
    pub async fn campaign(&self, id: u64) -> Result<CampaignSummary, ClientError> {
        let path = format!("/campaigns/{id}");
        self.by_id("GET /campaigns/{id}", self.request(Method::GET, &path))
            .await
    }

    /// `GET /campaigns/{id}/statuses`: like the statuses of campaign 1,
    /// plus the campaign's summary. Knowing version `known`, asks only for
    /// what changed after it, held up to `wait`; `None` means nothing did.
    pub async fn campaign_statuses(
        &self,
        id: u64,
        known: Option<u64>,
        wait: Duration,
    ) -> Result<Option<StatusesResponse>, ClientError> {
        let name = "GET /campaigns/{id}/statuses";
        let Some(v) = known else {
            let path = format!("/campaigns/{id}/statuses");
            return self
                .by_id(name, self.request(Method::GET, &path))
                .await
                .map(Some);
        };
        let path = format!(
            "/campaigns/{id}/statuses?since={v}&wait={}",
            wait.as_secs_f64()
        );
        let Some(resp) = self.long_poll(&path, v, wait).await? else {
            return Ok(None);
        };
        match self.decode(by_id(name), resp).await {
            Err(ClientError::Http {
                status: 404,
                message,
            }) => Err(self.unknown_or_older(name, message).await),
            r => r.map(Some),
        }
    }

    /// `GET /campaigns/{id}/calls/{index}`: one entry with the history of
    /// every attempt.
    pub async fn campaign_call(&self, id: u64, index: usize) -> Result<CallDetail, ClientError> {
        let path = format!("/campaigns/{id}/calls/{index}");
        self.by_id(
            "GET /campaigns/{id}/calls/{index}",
            self.request(Method::GET, &path),
        )
        .await
    }

    /// `POST /campaigns`: imports `upload`, counting the bytes sent into
    /// `sent` as they go.
    pub async fn add_campaign(
        &self,
        upload: Upload,
        sent: Arc<AtomicU64>,
    ) -> Result<Created, ClientError> {
        let mut url = url::Url::parse(&format!("{}/campaigns", self.base))
            .map_err(|e| ClientError::Unreachable(e.to_string()))?;
        if !upload.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&upload.query);
        }
        let mut req = self
            .http
            .post(url)
            .header(header::CONTENT_TYPE, upload.format.content_type())
            .timeout(TRANSFER_TIMEOUT);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t.expose());
        }
        if let Some(key) = &upload.idempotency_key {
            req = req.header("idempotency-key", key);
        }
        let req = req.body(upload.into_body(sent));
        let resp = self.transmit(req).await?;
        let status = resp.status();
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            let bytes = resp.bytes().await.map_err(|e| self.network(&e))?;
            if let Ok(body) = serde_json::from_slice::<ImportErrorBody>(&bytes) {
                return Err(ClientError::Import {
                    message: body.error,
                    errors: body.errors,
                    error_count: body.error_count,
                });
            }
            return Err(ClientError::from_answer(
                "POST /campaigns",
                false,
                status.as_u16(),
                &bytes,
                self.token.is_some(),
            ));
        }
        let what = Request {
            name: "POST /campaigns",
            own_404: false,
        };
        let campaign = self.decode(what, resp).await?;
        Ok(Created {
            campaign,
            existed: status == StatusCode::OK,
        })
    }

    /// `POST /campaigns/{id}/start|pause|resume|stop`. Repeating what a
    /// campaign is already doing succeeds and changes nothing; a change
    /// its state does not allow is a 409 in the server's words.
    pub async fn campaign_op(
        &self,
        id: u64,
        op: Operation,
    ) -> Result<CampaignSummary, ClientError> {
        let name = match op {
            Operation::Start => "POST /campaigns/{id}/start",
            Operation::Pause => "POST /campaigns/{id}/pause",
            Operation::Resume => "POST /campaigns/{id}/resume",
            Operation::Stop => "POST /campaigns/{id}/stop",
        };
        let path = format!("/campaigns/{id}/{op}");
        self.by_id(name, self.request(Method::POST, &path)).await
    }

    /// `DELETE /campaigns/{id}`: only a draft, done or stopped campaign.
    pub async fn delete_campaign(&self, id: u64) -> Result<(), ClientError> {
        let name = "DELETE /campaigns/{id}";
        let path = format!("/campaigns/{id}");
        let resp = self.transmit(self.request(Method::DELETE, &path)).await?;
        if resp.status().is_success() {
            return Ok(());
        }
        Err(self.refused_by_id(name, resp).await)
    }

    /// `GET /campaigns/{id}/export.csv`, to be read with [`Export::chunk`];
    /// cells a spreadsheet would run as formulas come quoted with `'`.
    pub async fn export_campaign(&self, id: u64) -> Result<Export, ClientError> {
        self.export_campaign_as(id, false).await
    }

    /// The export, `raw` (`?raw=true`) without the formula guard: every
    /// cell as stored, for programs rather than spreadsheets.
    pub async fn export_campaign_as(&self, id: u64, raw: bool) -> Result<Export, ClientError> {
        let name = "GET /campaigns/{id}/export.csv";
        let path = if raw {
            format!("/campaigns/{id}/export.csv?raw=true")
        } else {
            format!("/campaigns/{id}/export.csv")
        };
        let req = self.request(Method::GET, &path).timeout(TRANSFER_TIMEOUT);
        let resp = self.transmit(req).await?;
        if resp.status().is_success() {
            return Ok(Export {
                client: self.clone(),
                response: resp,
            });
        }
        Err(self.refused_by_id(name, resp).await)
    }

    /// What a request on one campaign answered with an error status, its
    /// 404 told apart (see the module doc).
    async fn refused_by_id(&self, name: &'static str, resp: reqwest::Response) -> ClientError {
        match self
            .decode::<serde::de::IgnoredAny>(by_id(name), resp)
            .await
        {
            Err(ClientError::Http {
                status: 404,
                message,
            }) => self.unknown_or_older(name, message).await,
            Err(e) => e,
            Ok(_) => ClientError::Decode("an error answer that decoded".into()),
        }
    }

    /// A request on one campaign, its 404 told apart (see the module doc).
    async fn by_id<T: serde::de::DeserializeOwned>(
        &self,
        name: &'static str,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        match self.send(by_id(name), req).await {
            Err(ClientError::Http {
                status: 404,
                message,
            }) => Err(self.unknown_or_older(name, message).await),
            r => r,
        }
    }

    /// A 404 in numdialer's JSON on `request`: no such campaign, unless
    /// the server has no campaign routes at all, which `GET /campaigns`
    /// then says with a 404 of its own.
    async fn unknown_or_older(&self, request: &str, message: String) -> ClientError {
        let probe = self
            .send::<serde::de::IgnoredAny>(list(), self.request(Method::GET, "/campaigns"))
            .await;
        match probe {
            Err(ClientError::TooOld { .. }) => ClientError::TooOld {
                request: request.into(),
                status: 404,
            },
            _ => ClientError::Http {
                status: 404,
                message,
            },
        }
    }
}

fn list() -> Request<'static> {
    Request {
        name: LIST,
        own_404: false,
    }
}

fn by_id(name: &str) -> Request<'_> {
    Request {
        name,
        own_404: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension() {
        for (p, f) in [
            ("a.csv", Some(Format::Csv)),
            ("A.CSV", Some(Format::Csv)),
            ("dir.x/list.txt", Some(Format::Text)),
            ("l.json", Some(Format::Json)),
            ("l.tsv", None),
            ("noext", None),
        ] {
            assert_eq!(Format::from_path(Path::new(p)), f, "{p}");
        }
    }

    #[test]
    fn settings_go_in_the_query_for_csv_and_text() {
        let s = Settings {
            name: Some("spring leads".into()),
            max_attempts: Some(3),
            retry_delay: Some(60),
            retry_on: Some(vec![Outcome::NoAnswer, Outcome::Failed]),
            start: true,
        };
        assert_eq!(
            s.query(),
            vec![
                ("name", "spring leads".to_string()),
                ("max_attempts", "3".into()),
                ("retry_delay", "60".into()),
                ("retry_on", "no_answer,failed".into()),
                ("start", "true".into()),
            ]
        );
        assert!(Settings::default().query().is_empty());
    }

    #[test]
    fn settings_are_written_into_a_json_import() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.json");
        std::fs::write(
            &path,
            r#"{"name":"old","numbers":["13018040009"],"retry":{"retry_delay":5}}"#,
        )
        .unwrap();
        let s = Settings {
            name: Some("new".into()),
            max_attempts: Some(2),
            ..Settings::default()
        };
        let up = Upload::open(&path, Format::Json, &s).unwrap();
        assert!(up.query.is_empty());
        let Payload::Bytes(b) = &up.payload else {
            panic!("a JSON file with settings is rewritten");
        };
        let v: serde_json::Value = serde_json::from_slice(b).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"name": "new", "numbers": ["13018040009"],
                "retry": {"retry_delay": 5, "max_attempts": 2}})
        );
        assert_eq!(up.size(), Some(b.len() as u64));
        let untouched = Upload::open(&path, Format::Json, &Settings::default()).unwrap();
        assert!(matches!(untouched.payload, Payload::File(_)));
        std::fs::write(&path, "[1, 2]").unwrap();
        let e = Upload::open(&path, Format::Json, &s).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("is not a JSON object: it is not {...}"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_file_fails_before_any_request() {
        let e = Upload::open(
            Path::new("/nonexistent/l.csv"),
            Format::Csv,
            &Settings::default(),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot read /nonexistent/l.csv: "),
            "{e}"
        );
    }
}
