//! `POST /campaigns`: an import, from the file on disk to the server's
//! answer. An import of a million lines is some 30 MB: [`Upload`] streams
//! it from the file in chunks instead of reading it whole, and counts the
//! bytes handed to the connection, so that a progress bar can follow it.
//! A 422 carries the file's bad lines, kept in [`ClientError::Import`] so
//! that they can be shown one per line.

use super::campaigns::TRANSFER_TIMEOUT;
use super::{Client, ClientError, Request};
use bytes::Bytes;
use numdialer_core::api::{CampaignSummary, CreatedCampaign, ImportErrorBody, LineWarning};
use numdialer_core::status::Outcome;
use reqwest::{StatusCode, header};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// The size of each piece of an upload read from its file.
const CHUNK: usize = 64 * 1024;

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
    /// Dial only while the do-not-call registry copy is current.
    pub require_registry: bool,
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
        if self.require_registry {
            q.push(("require_registry", "true".into()));
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
        if self.require_registry {
            body.insert("require_registry".into(), Value::Bool(true));
        }
    }
}

/// A campaign's calling hours as `numdialer add` sends them: each in the
/// text form the server reads (`08:00-21:00` or `off`, `mon-fri`,
/// `2026-12-25,2027-01-01`, an IANA zone); `None` leaves the server's
/// default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursSettings {
    pub calling_hours: Option<String>,
    pub days: Option<String>,
    pub holidays: Option<String>,
    pub fallback_timezone: Option<String>,
}

impl HoursSettings {
    fn is_empty(&self) -> bool {
        *self == HoursSettings::default()
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("calling_hours", &self.calling_hours),
            ("days", &self.days),
            ("holidays", &self.holidays),
            ("fallback_timezone", &self.fallback_timezone),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
        .collect()
    }

    /// Writes them into a JSON import's own fields, over what the file
    /// says; holidays as a list of dates.
    fn merge_into(&self, body: &mut serde_json::Map<String, serde_json::Value>) {
        use serde_json::Value;
        for (k, v) in self.pairs() {
            let value = if k == "holidays" {
                Value::Array(
                    v.split(',')
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .map(Value::from)
                        .collect(),
                )
            } else {
                Value::from(v)
            };
            body.insert(k.into(), value);
        }
    }
}

/// A campaign's answering-machine settings as `numdialer add` sends them:
/// `amd` (`detect`, `detect_message_end`), `voicemail` (`say:TEXT`,
/// `play:URL`) and the detection's tuning by field name; what is `None`
/// or absent stays off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnswerFlags {
    pub amd: Option<String>,
    pub voicemail: Option<String>,
    pub tuning: Vec<(&'static str, u32)>,
}

impl AnswerFlags {
    fn is_empty(&self) -> bool {
        *self == AnswerFlags::default()
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        [("amd", &self.amd), ("voicemail", &self.voicemail)]
            .into_iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
            .chain(self.tuning.iter().map(|&(k, v)| (k, v.to_string())))
            .collect()
    }

    fn merge_into(&self, body: &mut serde_json::Map<String, serde_json::Value>) {
        use serde_json::Value;
        for (k, v) in [("amd", &self.amd), ("voicemail", &self.voicemail)] {
            if let Some(v) = v {
                body.insert(k.into(), Value::from(v.as_str()));
            }
        }
        for &(k, v) in &self.tuning {
            body.insert(k.into(), Value::from(v));
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
    /// The file, for what a later setting must say about it.
    path: PathBuf,
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
            path: path.to_path_buf(),
        })
    }

    /// Sends the campaign's calling hours: in the query for CSV and text,
    /// written into the body for JSON (which is then read whole, as with
    /// any setting given for a JSON file).
    pub fn hours(self, hours: &HoursSettings) -> Result<Upload, UploadError> {
        if hours.is_empty() {
            return Ok(self);
        }
        self.with_settings(hours.pairs(), |body| hours.merge_into(body))
    }

    /// Sends the campaign's answering-machine settings, as [`Upload::hours`]
    /// sends calling hours.
    pub fn answers(self, answers: &AnswerFlags) -> Result<Upload, UploadError> {
        if answers.is_empty() {
            return Ok(self);
        }
        self.with_settings(answers.pairs(), |body| answers.merge_into(body))
    }

    /// Settings in the query for CSV and text, or written into a JSON body
    /// by `merge`.
    fn with_settings(
        mut self,
        pairs: Vec<(&'static str, String)>,
        merge: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
    ) -> Result<Upload, UploadError> {
        if self.format != Format::Json {
            self.query.extend(pairs);
            return Ok(self);
        }
        let read_err = |source| UploadError::Read {
            path: self.path.clone(),
            source,
        };
        let text = match &mut self.payload {
            Payload::Bytes(b) => b.to_vec(),
            Payload::File(f) => {
                let mut text = Vec::new();
                f.read_to_end(&mut text).map_err(read_err)?;
                text
            }
        };
        let not_object = |reason: String| UploadError::NotJsonObject {
            path: self.path.clone(),
            reason,
        };
        let mut value: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| not_object(e.to_string()))?;
        let serde_json::Value::Object(body) = &mut value else {
            return Err(not_object("it is not {...}".into()));
        };
        merge(body);
        let bytes = Bytes::from(serde_json::to_vec(&value).expect("JSON re-serialises"));
        self.len = Some(bytes.len() as u64);
        self.payload = Payload::Bytes(bytes);
        Ok(self)
    }

    /// Sends `?country=`: the server reads numbers without `+` in it.
    pub fn country(mut self, country: String) -> Upload {
        self.query.push(("country", country));
        self
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
    /// Lines taken with a warning (a number the dialer API may not take,
    /// one libphonenumber does not know yet): the first 100, and how many.
    pub warnings: Vec<LineWarning>,
    pub warning_count: usize,
}

impl Client {
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
        let created: CreatedCampaign = self.decode(what, resp).await?;
        Ok(Created {
            campaign: created.summary,
            existed: status == StatusCode::OK,
            warnings: created.warnings,
            warning_count: created.warning_count,
        })
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
            require_registry: false,
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
    fn calling_hours_go_in_the_query_or_into_a_json_body() {
        let dir = tempfile::tempdir().unwrap();
        let hours = HoursSettings {
            calling_hours: Some("09:00-20:00".into()),
            holidays: Some("2026-12-25,2027-01-01".into()),
            ..HoursSettings::default()
        };
        let csv = dir.path().join("l.csv");
        std::fs::write(&csv, "phone\n13018040009\n").unwrap();
        let up = Upload::open(&csv, Format::Csv, &Settings::default())
            .unwrap()
            .hours(&hours)
            .unwrap();
        assert_eq!(
            up.query,
            [
                ("calling_hours", "09:00-20:00".to_string()),
                ("holidays", "2026-12-25,2027-01-01".to_string())
            ]
        );
        let json = dir.path().join("l.json");
        std::fs::write(&json, r#"{"numbers":["13018040009"],"days":"sat"}"#).unwrap();
        let up = Upload::open(&json, Format::Json, &Settings::default())
            .unwrap()
            .hours(&hours)
            .unwrap();
        assert!(up.query.is_empty());
        let Payload::Bytes(b) = &up.payload else {
            panic!("a JSON file with calling hours is rewritten");
        };
        let v: serde_json::Value = serde_json::from_slice(b).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"numbers": ["13018040009"], "days": "sat",
                "calling_hours": "09:00-20:00", "holidays": ["2026-12-25", "2027-01-01"]})
        );
        assert_eq!(up.size(), Some(b.len() as u64));
    }

    #[test]
    fn answer_settings_go_in_the_query_or_into_a_json_body() {
        let dir = tempfile::tempdir().unwrap();
        let answers = AnswerFlags {
            amd: Some("detect".into()),
            voicemail: Some("say:Hi".into()),
            tuning: vec![("machine_detection_timeout", 20)],
        };
        let csv = dir.path().join("l.csv");
        std::fs::write(&csv, "phone\n13018040009\n").unwrap();
        let up = Upload::open(&csv, Format::Csv, &Settings::default())
            .unwrap()
            .answers(&answers)
            .unwrap();
        assert_eq!(
            up.query,
            [
                ("amd", "detect".to_string()),
                ("voicemail", "say:Hi".to_string()),
                ("machine_detection_timeout", "20".to_string())
            ]
        );
        let json = dir.path().join("l.json");
        std::fs::write(&json, r#"{"numbers":["13018040009"]}"#).unwrap();
        let up = Upload::open(&json, Format::Json, &Settings::default())
            .unwrap()
            .answers(&answers)
            .unwrap();
        let Payload::Bytes(b) = &up.payload else {
            panic!("a JSON file with answer settings is rewritten");
        };
        let v: serde_json::Value = serde_json::from_slice(b).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"numbers": ["13018040009"], "amd": "detect",
                "voicemail": "say:Hi", "machine_detection_timeout": 20})
        );
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
