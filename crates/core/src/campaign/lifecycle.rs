//! A campaign's lifecycle: `draft` → `running` ⇄ `paused` → `done`, and
//! `stop` from `running` or `paused` to `stopped`.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Imported; nothing dialed.
    Draft,
    Running,
    /// No new dials; calls in flight finish.
    Paused,
    /// Every entry final.
    Done,
    /// Stopped by the operator: no more dials, undialed entries canceled.
    Stopped,
}

impl CampaignState {
    pub const ALL: [CampaignState; 5] = [
        CampaignState::Draft,
        CampaignState::Running,
        CampaignState::Paused,
        CampaignState::Done,
        CampaignState::Stopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Draft => "draft",
            CampaignState::Running => "running",
            CampaignState::Paused => "paused",
            CampaignState::Done => "done",
            CampaignState::Stopped => "stopped",
        }
    }

    pub fn is_final(self) -> bool {
        matches!(self, CampaignState::Done | CampaignState::Stopped)
    }

    /// Has been started: everything but a draft.
    pub fn is_started(self) -> bool {
        self != CampaignState::Draft
    }

    /// Position in [`CampaignState::ALL`].
    pub fn position(self) -> usize {
        self as usize
    }

    /// Where `op` takes a campaign in this state: `Ok(None)` when it is
    /// already there (a pause, resume or stop repeated changes nothing).
    /// `start` is for drafts only, as `POST /calls` is: starting a running
    /// campaign is refused, so that a script that starts twice learns so.
    pub fn apply(self, op: Operation) -> Result<Option<CampaignState>, NotAllowed> {
        use CampaignState::*;
        let to = match (op, self) {
            (Operation::Pause, Paused)
            | (Operation::Resume, Running)
            | (Operation::Stop, Stopped) => {
                return Ok(None);
            }
            (Operation::Start, Draft) => Running,
            (Operation::Pause, Running) => Paused,
            (Operation::Resume, Paused) => Running,
            (Operation::Stop, Running | Paused) => Stopped,
            (op, from) => return Err(NotAllowed { op, from }),
        };
        Ok(Some(to))
    }
}

impl fmt::Display for CampaignState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an operator asks of a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Start,
    Pause,
    Resume,
    Stop,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::Start,
        Operation::Pause,
        Operation::Resume,
        Operation::Stop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Start => "start",
            Operation::Pause => "pause",
            Operation::Resume => "resume",
            Operation::Stop => "stop",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {op} a campaign that is {from}{}", hint(*op, *from))]
pub struct NotAllowed {
    pub op: Operation,
    pub from: CampaignState,
}

fn hint(op: Operation, from: CampaignState) -> &'static str {
    match (op, from) {
        (Operation::Start, CampaignState::Running) => ": it has started already",
        (Operation::Start, CampaignState::Paused) => ": resume it instead",
        (Operation::Resume, CampaignState::Draft) => ": start it instead",
        (_, CampaignState::Done | CampaignState::Stopped) => ": it is over",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CampaignState::*;

    #[test]
    fn every_operation_from_every_state() {
        let table = [
            (
                Operation::Start,
                [Ok(Some(Running)), Err(()), Err(()), Err(()), Err(())],
            ),
            (
                Operation::Pause,
                [Err(()), Ok(Some(Paused)), Ok(None), Err(()), Err(())],
            ),
            (
                Operation::Resume,
                [Err(()), Ok(None), Ok(Some(Running)), Err(()), Err(())],
            ),
            (
                Operation::Stop,
                [
                    Err(()),
                    Ok(Some(Stopped)),
                    Ok(Some(Stopped)),
                    Err(()),
                    Ok(None),
                ],
            ),
        ];
        for (op, row) in table {
            for (from, want) in CampaignState::ALL.into_iter().zip(row) {
                assert_eq!(from.apply(op).map_err(|_| ()), want, "{op} from {from}");
            }
        }
        let e = Paused.apply(Operation::Start).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot start a campaign that is paused: resume it instead"
        );
    }
}
