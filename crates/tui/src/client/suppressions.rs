//! The do-not-call routes (`/suppressions...`, docs/api.md "Do-not-call
//! lists"), one method each, for `numdialer dnc` and the TUI's `x`.

use super::{Client, ClientError, Export, Request};
use crate::client::campaigns::TRANSFER_TIMEOUT;
use numdialer_core::api::ImportErrorBody;
use numdialer_core::suppressions::{AuditRecord, Scope, Source, Suppression};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};

/// `POST /suppressions` with one, as JSON.
#[derive(Debug, Clone, Serialize)]
pub struct NewSuppression {
    pub phone: String,
    pub scope: Scope,
    pub source: Source,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub actor: String,
}

/// A bulk upload's settings (`?scope=&source=&reason=&registry_date=`).
#[derive(Debug, Clone)]
pub struct BulkSettings {
    pub scope: Scope,
    pub source: Source,
    pub reason: String,
    pub actor: String,
    pub registry_date: Option<String>,
}

/// The answer to a bulk upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Imported {
    pub count: u64,
    pub audit: AuditRecord,
}

/// `GET /suppressions?phone=`: whether a dial of that number is stopped,
/// and by what.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checked {
    pub phone: String,
    pub suppressed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<Suppression>,
}

/// One page of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogPage {
    pub items: Vec<AuditRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

fn own_404(name: &str) -> Request<'_> {
    Request {
        name,
        own_404: true,
    }
}

fn route(name: &str) -> Request<'_> {
    Request {
        name,
        own_404: false,
    }
}

/// A scope as the query writes it.
fn scope_param(scope: Scope) -> String {
    match scope {
        Scope::Global => "global".into(),
        Scope::Campaign(id) => id.to_string(),
    }
}

/// `path?pairs`, each value encoded as a form does.
fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    let mut url = reqwest::Url::parse("http://query.invalid/").expect("a valid URL");
    url.query_pairs_mut()
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    format!("{path}?{}", url.query().unwrap_or_default())
}

/// `text` as one path segment: `+` and spaces would otherwise be read as
/// something else.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'*' | b'-' | b'.' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Client {
    /// `POST /suppressions` (JSON): durable when answered; from then on no
    /// dial of the number begins.
    pub async fn suppress(&self, new: &NewSuppression) -> Result<Suppression, ClientError> {
        let req = self.request(Method::POST, "/suppressions").json(new);
        self.send(route("POST /suppressions"), req).await
    }

    /// `POST /suppressions` (text, one number a line): all or nothing; a
    /// refusal lists its bad lines as an import's does.
    pub async fn import_suppressions(
        &self,
        body: Vec<u8>,
        settings: &BulkSettings,
    ) -> Result<Imported, ClientError> {
        let mut query = vec![
            ("scope", scope_param(settings.scope)),
            ("source", settings.source.to_string()),
        ];
        if !settings.reason.is_empty() {
            query.push(("reason", settings.reason.clone()));
        }
        if !settings.actor.is_empty() {
            query.push(("actor", settings.actor.clone()));
        }
        if let Some(d) = &settings.registry_date {
            query.push(("registry_date", d.clone()));
        }
        let req = self
            .request(Method::POST, &with_query("/suppressions", &query))
            .header(reqwest::header::CONTENT_TYPE, "text/plain")
            .timeout(TRANSFER_TIMEOUT)
            .body(body);
        let resp = self.transmit(req).await?;
        if resp.status() == StatusCode::UNPROCESSABLE_ENTITY {
            let bytes = resp.bytes().await.map_err(|e| self.network(&e))?;
            if let Ok(body) = serde_json::from_slice::<ImportErrorBody>(&bytes) {
                return Err(ClientError::Import {
                    message: body.error,
                    errors: body.errors,
                    error_count: body.error_count,
                });
            }
            return Err(ClientError::from_answer(
                "POST /suppressions",
                false,
                422,
                &bytes,
                self.token.is_some(),
            ));
        }
        self.decode(route("POST /suppressions"), resp).await
    }

    /// `DELETE /suppressions/{phone}?scope=&reason=`: the removal is kept
    /// in the audit log with its reason. A 404: it was not on that list.
    pub async fn unsuppress(
        &self,
        phone: &str,
        scope: Scope,
        reason: &str,
        actor: &str,
    ) -> Result<Suppression, ClientError> {
        let path = format!("/suppressions/{}", segment(phone));
        let mut query = vec![("scope", scope_param(scope)), ("reason", reason.into())];
        if !actor.is_empty() {
            query.push(("actor", actor.into()));
        }
        let req = self.request(Method::DELETE, &with_query(&path, &query));
        self.send(own_404("DELETE /suppressions/{phone}"), req)
            .await
    }

    /// `GET /suppressions?phone=&campaign=`.
    pub async fn check_suppressed(
        &self,
        phone: &str,
        campaign: Option<u64>,
    ) -> Result<Checked, ClientError> {
        let mut query = vec![("phone", phone.to_string())];
        if let Some(id) = campaign {
            query.push(("campaign", id.to_string()));
        }
        let req = self.request(Method::GET, &with_query("/suppressions", &query));
        self.send(route("GET /suppressions"), req).await
    }

    /// `GET /suppressions/log?after=&limit=`.
    pub async fn suppression_log(&self, after: u64, limit: usize) -> Result<LogPage, ClientError> {
        let query = [("after", after.to_string()), ("limit", limit.to_string())];
        let req = self.request(Method::GET, &with_query("/suppressions/log", &query));
        self.send(route("GET /suppressions/log"), req).await
    }

    /// `GET /suppressions/export.csv`, to be read with [`Export::chunk`].
    pub async fn export_suppressions(&self) -> Result<Export, ClientError> {
        let name = "GET /suppressions/export.csv";
        let req = self
            .request(Method::GET, "/suppressions/export.csv")
            .timeout(TRANSFER_TIMEOUT);
        let resp = self.transmit(req).await?;
        if resp.status().is_success() {
            return Ok(Export::new(self.clone(), resp));
        }
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| self.network(&e))?;
        Err(ClientError::from_answer(
            name,
            false,
            status,
            &bytes,
            self.token.is_some(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_one_path_segment() {
        assert_eq!(segment("+13018040009"), "%2B13018040009");
        assert_eq!(segment("+1 301*"), "%2B1%20301*");
    }

    #[test]
    fn query_values_are_encoded() {
        let q = with_query(
            "/s",
            &[("reason", "a+b & c".into()), ("scope", "global".into())],
        );
        assert_eq!(q, "/s?reason=a%2Bb+%26+c&scope=global");
    }
}
