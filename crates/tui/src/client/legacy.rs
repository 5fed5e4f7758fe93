//! Campaign 1 on a server older than campaigns. Such a server knows one
//! list, under `POST /calls`, `GET /statuses` and `GET /calls/{index}`,
//! and answers 404 on every `/campaigns` route. The TUI asks for every
//! campaign by its id ([`Client::statuses_of`], [`Client::operate`],
//! [`Client::entry`]); this module alone knows that campaign 1 is also
//! that list, and asks the old routes when its campaign route is missing.
//! On a server with campaigns those old routes are aliases of campaign 1,
//! so nothing else changes; with no numdialer-server there at all, the
//! answer of `GET /statuses` is what names the mistake, as it always did.

use super::error::STATUSES;
use super::{Client, ClientError, Request};
use numdialer_core::api::{CampaignSummary, LenientDetail, LenientStatuses};
use numdialer_core::campaign::Operation;
use std::time::Duration;

/// The campaign a server older than campaigns holds, its only list; on a
/// newer server, the list behind `POST /calls` and `GET /statuses`. The
/// screen opens on it (`app::OPENING`), so that a user who never imports
/// sees the list they always saw.
pub const LEGACY: u64 = numdialer_core::campaign::FIRST;

impl Client {
    /// The statuses of campaign `id` (see [`Client::campaign_statuses`]),
    /// from `GET /statuses` when `id` is the list of a server without
    /// campaigns.
    pub async fn statuses_of(
        &self,
        id: u64,
        known: Option<u64>,
        wait: Duration,
    ) -> Result<Option<LenientStatuses>, ClientError> {
        match self.campaign_statuses(id, known, wait).await {
            Err(e) if only_the_old_routes(id, &e) => self.poll(known, wait).await,
            r => r,
        }
    }

    /// Starts, pauses, resumes or stops campaign `id` (see
    /// [`Client::campaign_op`]). A server without campaigns starts its
    /// list on `POST /calls`, which answers no summary: `None`.
    pub async fn operate(
        &self,
        id: u64,
        op: Operation,
    ) -> Result<Option<CampaignSummary>, ClientError> {
        match self.campaign_op(id, op).await {
            Err(e) if op == Operation::Start && only_the_old_routes(id, &e) => {
                self.start().await.map(|()| None)
            }
            r => r.map(Some),
        }
    }

    /// One entry of campaign `id` with its history (see
    /// [`Client::campaign_call`]), from `GET /calls/{index}` when `id` is
    /// the list of a server without campaigns.
    pub async fn entry(&self, id: u64, index: usize) -> Result<LenientDetail, ClientError> {
        match self.campaign_call(id, index).await {
            Err(e) if only_the_old_routes(id, &e) => self.detail(index).await,
            r => r,
        }
    }

    /// `GET /statuses`: campaign 1's statuses, which every server has; the
    /// route that tells numdialer-server from anything else.
    pub async fn statuses(&self) -> Result<LenientStatuses, ClientError> {
        self.send(statuses(), self.request(reqwest::Method::GET, "/statuses"))
            .await
    }

    /// One poll of `GET /statuses`. Knowing version `known`, asks only for what changed after
    /// it, held by the server up to `wait` until something does; `None`
    /// means nothing changed (304).
    pub async fn poll(
        &self,
        known: Option<u64>,
        wait: Duration,
    ) -> Result<Option<LenientStatuses>, ClientError> {
        let Some(v) = known else {
            return self.statuses().await.map(Some);
        };
        let path = format!("/statuses?since={v}&wait={}", wait.as_secs_f64());
        let Some(resp) = self.long_poll(&path, v, wait).await? else {
            return Ok(None);
        };
        self.decode(statuses(), resp).await.map(Some)
    }

    /// `POST /calls`: starts campaign 1; a 409 once it has started.
    pub async fn start(&self) -> Result<(), ClientError> {
        let what = Request {
            name: "POST /calls",
            own_404: false,
        };
        self.send::<serde_json::Value>(what, self.request(reqwest::Method::POST, "/calls"))
            .await
            .map(|_| ())
    }

    /// `GET /calls/{index}`: one entry of campaign 1 with its history.
    pub async fn detail(&self, index: usize) -> Result<LenientDetail, ClientError> {
        let what = Request {
            name: "GET /calls/{index}",
            own_404: true,
        };
        let path = format!("/calls/{index}");
        self.send(what, self.request(reqwest::Method::GET, &path))
            .await
    }
}

/// Whether the answer to a campaign route on campaign `id` means that the
/// server has no such route: a numdialer-server older than campaigns
/// (`TooOld`), or something that is no numdialer-server at all
/// (`NotNumdialer`), which the old route then names.
fn only_the_old_routes(id: u64, e: &ClientError) -> bool {
    id == LEGACY
        && matches!(
            e,
            ClientError::TooOld { .. } | ClientError::NotNumdialer { .. }
        )
}

fn statuses() -> Request<'static> {
    Request {
        name: STATUSES,
        own_404: false,
    }
}
