//! The campaign routes (`/campaigns...`, docs/api.md), one method each,
//! for the TUI's campaigns pane and the `numdialer` subcommands alike; the
//! import (`POST /campaigns`) lives apart, in [`super::upload`].
//!
//! Every failure is a [`ClientError`], classified as for the statuses, so
//! that the screen and the command line name the same cause. A 404 on a
//! route with a campaign id is either the server's own "no such campaign"
//! or a server without campaigns at all. Both are JSON, so the answer alone
//! cannot tell them apart; `Client::unknown_or_older` asks
//! `GET /campaigns` once to find out, only on that error path.

use super::{Client, ClientError, Request};
use bytes::Bytes;
use numdialer_core::api::{CampaignSummary, CampaignsResponse, LenientDetail, LenientStatuses};
use numdialer_core::campaign::Operation;
use reqwest::Method;
use std::time::Duration;

/// How long an import or an export may take in all. The usual limit
/// ([`super::TIMEOUT`]) is for small answers; a million entries over a slow
/// link take minutes, and cutting them short would only make the user try
/// again from the start.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The list route, which tells a server with campaigns from an older one.
const LIST: &str = "GET /campaigns";

/// `GET /campaigns/{id}/export.csv` as it arrives, piece by piece: a big
/// campaign's CSV need not fit in memory.
#[derive(Debug)]
pub struct Export {
    client: Client,
    response: reqwest::Response,
}

impl Export {
    pub(super) fn new(client: Client, response: reqwest::Response) -> Export {
        Export { client, response }
    }

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
    ) -> Result<Option<LenientStatuses>, ClientError> {
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
    pub async fn campaign_call(&self, id: u64, index: usize) -> Result<LenientDetail, ClientError> {
        let path = format!("/campaigns/{id}/calls/{index}");
        self.by_id(
            "GET /campaigns/{id}/calls/{index}",
            self.request(Method::GET, &path),
        )
        .await
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
