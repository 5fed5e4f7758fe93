//! The campaigns half of `App`: the list behind the pane, which campaign
//! the calls table watches, the filter over its entries, and the keys
//! that act on a campaign (start, pause, stop, delete, export) with the
//! answers they get. Like the rest of `App`, no I/O: each returns the
//! `Command` to run.

use super::*;
use numdialer_core::status::Outcome;

impl App {
    /// Rows of the calls table: every entry, or those the filter lets
    /// through.
    pub fn rows(&self) -> usize {
        self.shown.as_ref().map_or(self.calls().len(), Vec::len)
    }

    /// The entry drawn on row `row` of the calls table.
    pub fn entry_at(&self, row: usize) -> Option<&LenientCall> {
        let index = match &self.shown {
            Some(shown) => *shown.get(row)?,
            None => row,
        };
        self.calls().get(index)
    }

    /// The campaigns of the pane, in the server's order.
    pub fn campaign_list(&self) -> &[CampaignSummary] {
        self.campaigns.as_ref().map_or(&[], |c| &c.campaigns)
    }

    /// The pane shows once the server holds a campaign other than the
    /// one on screen (something to choose), and whenever the screen is on
    /// another campaign than the one it opened on (the way back).
    pub fn pane_shown(&self) -> bool {
        self.watching != OPENING || self.campaign_list().iter().any(|c| c.id != self.watching)
    }

    /// Where the screen goes when the campaign watched is gone: the
    /// pane's first row, the campaign that every server keeps.
    fn first_listed(&self) -> u64 {
        self.campaign_list().first().map_or(OPENING, |c| c.id)
    }

    /// The pane's row of the campaign watched.
    pub fn campaign_row(&self) -> Option<usize> {
        self.campaign_list()
            .iter()
            .position(|c| c.id == self.watching)
    }

    /// The summary of the campaign watched, when the server has campaigns.
    pub fn campaign(&self) -> Option<&CampaignSummary> {
        self.campaign_list()
            .iter()
            .find(|c| c.id == self.watching)
            .or_else(|| self.statuses.as_ref()?.campaign.as_ref())
    }

    /// Works out which entries the filter lets through, after the entries
    /// or the filter changed, and keeps the selection on the table.
    pub(super) fn refilter(&mut self) {
        self.shown = self.filter.as_ref().map(|f| {
            self.calls()
                .iter()
                .filter(|c| f.matches(c))
                .map(|c| c.index)
                .collect()
        });
        self.selected = self.selected.min(self.rows().saturating_sub(1));
    }

    /// A new list of campaigns; a server without any hides the pane.
    pub(super) fn receive_campaigns(
        &mut self,
        r: Result<CampaignsResponse, ClientError>,
    ) -> Option<Command> {
        match r {
            Ok(list) => self.campaigns = Some(list),
            Err(ClientError::TooOld { .. }) => self.campaigns = None,
            // The statuses' poll says in the header what is wrong.
            Err(_) => return None,
        }
        // The campaign watched is gone (deleted elsewhere): back to the
        // first.
        let gone = self.campaigns.is_some() && self.campaign_row().is_none();
        let command = gone.then(|| self.watch(self.first_listed())).flatten();
        if !self.pane_shown() {
            self.focus = Focus::Calls;
        }
        command
    }

    /// Puts `c` in the list, and beside the statuses it summarises, in
    /// place of what they said before.
    pub(super) fn update_summary(&mut self, c: CampaignSummary) {
        if let Some(slot) = self
            .statuses
            .as_mut()
            .and_then(|s| s.campaign.as_mut())
            .filter(|s| s.id == c.id)
        {
            *slot = c.clone();
        }
        if let Some(list) = &mut self.campaigns {
            match list.campaigns.iter_mut().find(|x| x.id == c.id) {
                Some(slot) => *slot = c,
                None => list.campaigns.push(c),
            }
        }
    }

    /// A start, pause, resume or stop came back: the summary it answered
    /// shows at once, before the list's next poll. A server older than
    /// campaigns answers a start without one: its statuses say "started"
    /// until the next poll says more.
    pub(super) fn operated(
        &mut self,
        id: u64,
        op: Operation,
        r: Result<Option<CampaignSummary>, ClientError>,
    ) -> Option<Command> {
        let start = op == Operation::Start;
        if start {
            self.starting = false;
        }
        // The list alone is started, as it always was, not "campaign 1".
        let the_list = start && self.alone();
        match r {
            Ok(c) => {
                let done = match op {
                    _ if the_list => "dialing started".to_string(),
                    Operation::Start => format!("campaign {id} started"),
                    Operation::Pause => {
                        format!("campaign {id} paused: calls in flight finish, no new dials")
                    }
                    Operation::Resume => format!("campaign {id} resumed"),
                    // What the stop did, counted by the server as it
                    // stopped: the dialog's count was of an earlier moment.
                    Operation::Stop => match c.as_ref().map(|c| c.outcome(Outcome::Canceled)) {
                        Some(n) => format!(
                            "campaign {id} stopped: {} canceled, nobody more is dialed",
                            words::entries(n)
                        ),
                        None => format!("campaign {id} stopped: nobody more is dialed"),
                    },
                };
                self.say(&done, false);
                match c {
                    Some(c) => self.update_summary(c),
                    None => {
                        if let Some(s) = self.statuses.as_mut().filter(|_| start) {
                            s.started = true;
                        }
                    }
                }
            }
            Err(ClientError::Http {
                status: 409,
                message,
            }) => self.say(&message, true),
            Err(e) if the_list => self.say(&format!("could not start dialing: {e}"), true),
            Err(e) => self.say(&format!("could not {op} campaign {id}: {e}"), true),
        }
        None
    }

    /// A delete came back; a deleted campaign on screen gives way to the
    /// first in the pane.
    pub(super) fn deleted(&mut self, id: u64, r: Result<(), ClientError>) -> Option<Command> {
        match r {
            Ok(()) => {
                self.say(&format!("campaign {id} deleted"), false);
                if let Some(list) = &mut self.campaigns {
                    list.campaigns.retain(|c| c.id != id);
                }
                if self.watching == id {
                    let command = self.watch(self.first_listed());
                    if !self.pane_shown() {
                        self.focus = Focus::Calls;
                    }
                    return command;
                }
            }
            Err(ClientError::Http {
                status: 409,
                message,
            }) => self.say(&message, true),
            Err(e) => self.say(&format!("could not delete campaign {id}: {e}"), true),
        }
        None
    }

    /// An import came back: the new campaign is watched, or the refused
    /// lines are shown in a popup.
    pub(super) fn imported(
        &mut self,
        path: String,
        r: Result<Created, ImportFailure>,
    ) -> Option<Command> {
        self.importing = None;
        match r {
            Ok(created) => {
                let c = created.campaign;
                let again = if created.existed {
                    " (already there)"
                } else {
                    ""
                };
                // A warning is worth reading before the first dial: the
                // first one is said, and how many there are.
                let warned = match created.warnings.first() {
                    Some(w) => format!(
                        "; {}, first line {}: {}",
                        words::plural(created.warning_count, "warning", "warnings"),
                        w.line,
                        w.warning
                    ),
                    None => String::new(),
                };
                self.say(
                    &format!(
                        "imported {path} as campaign {} \"{}\", {}{again}: press {} to start{warned}",
                        c.id,
                        c.name,
                        words::entries(c.total),
                        keys::key_for(Action::Call)
                    ),
                    !created.warnings.is_empty(),
                );
                let id = c.id;
                self.import_form = None;
                self.update_summary(c);
                self.focus = Focus::Campaigns;
                return self.watch(id);
            }
            Err(ImportFailure::Server(ClientError::Import {
                message,
                errors,
                error_count,
            })) => {
                self.message = None;
                self.overlay = Overlay::ImportErrors(ImportErrors {
                    path,
                    message,
                    errors,
                    error_count,
                });
            }
            Err(ImportFailure::File(e)) => self.reopen_import(e),
            Err(ImportFailure::Server(e)) => {
                self.reopen_import(format!("could not import {path}: {e}"))
            }
        }
        None
    }

    /// Shows campaign `id` from now on: its entries load afresh.
    pub(super) fn watch(&mut self, id: u64) -> Option<Command> {
        if id == self.watching && self.statuses.is_some() {
            return None;
        }
        self.watching = id;
        self.statuses = None;
        self.shown = None;
        self.has_names = false;
        self.finished = 0;
        self.selected = 0;
        self.starting = false;
        Some(Command::Watch(id))
    }

    /// Moves the pane's selection to row `to`, and so the calls table to
    /// that campaign.
    pub(super) fn select_campaign(&mut self, to: usize) -> Option<Command> {
        let list = self.campaign_list();
        let id = list.get(to.min(list.len().checked_sub(1)?))?.id;
        self.watch(id)
    }

    /// The campaign an operation applies to, or why there is none: a
    /// server without campaigns cannot pause or export.
    pub(super) fn target(&mut self) -> Option<CampaignSummary> {
        let found = self.campaign().cloned();
        if found.is_none() {
            let why = if self.campaigns.is_none() && self.statuses.is_some() {
                "this server has no campaigns: upgrade numdialer-server"
            } else {
                "no campaign from the server yet"
            };
            self.say(why, true);
        }
        found
    }

    /// `p`: pauses a running campaign, resumes a paused one.
    pub(super) fn pause(&mut self) -> Option<Command> {
        let c = self.target()?;
        match c.state {
            CampaignState::Running => Some(Command::Operate(c.id, Operation::Pause)),
            CampaignState::Paused => Some(Command::Operate(c.id, Operation::Resume)),
            state => {
                self.say(
                    &format!("campaign {} is {state}: only a running one pauses", c.id),
                    true,
                );
                None
            }
        }
    }

    /// `s`: asks before stopping, since a stop cannot be undone.
    pub(super) fn ask_stop(&mut self) {
        let Some(c) = self.target() else { return };
        match c.state {
            CampaignState::Running | CampaignState::Paused => {
                self.overlay = Overlay::Confirm(Question::Stop {
                    id: c.id,
                    cancels: c.count(Status::Idle) + c.count(Status::Waiting),
                    name: c.name,
                });
            }
            CampaignState::Draft => self.say(
                &format!(
                    "campaign {} is a draft: nothing to stop ({} deletes it)",
                    c.id,
                    keys::key_for(Action::Delete)
                ),
                true,
            ),
            state => self.say(&format!("campaign {} is {state} already", c.id), true),
        }
    }

    /// `d`: asks before deleting a campaign that dials no more. What the
    /// server would refuse whatever the answer (see
    /// [`DeleteError::forbids`]) is said at once, in its words, instead.
    pub(super) fn ask_delete(&mut self) {
        let Some(c) = self.target() else { return };
        match DeleteError::forbids(c.id, c.state) {
            Some(e @ DeleteError::Live { .. }) => {
                self.say(&format!("{e} ({})", keys::key_for(Action::Stop)), true)
            }
            Some(e) => self.say(&e.to_string(), true),
            None => {
                self.overlay = Overlay::Confirm(Question::Delete {
                    id: c.id,
                    name: c.name,
                })
            }
        }
    }

    /// `x`: asks before putting the selected entry's number on the global
    /// do-not-call list, which no key takes back.
    pub(super) fn ask_never_call(&mut self) {
        let Some(phone) = self.entry_at(self.selected).map(|c| c.phone.clone()) else {
            self.say("no entry selected", true);
            return;
        };
        self.overlay = Overlay::Confirm(Question::NeverCall { phone });
    }

    /// The server's answer to `x`: the number is on the list (its entries
    /// not yet dialed are canceled, and the next poll shows them so), or
    /// why not.
    pub(super) fn never_called(&mut self, phone: &str, r: Result<(), ClientError>) {
        let shown = numdialer_core::format_phone(phone);
        match r {
            Ok(()) => self.say(&format!("{shown} will never be called again"), false),
            Err(e) => self.say(
                &format!("cannot put {shown} on the do-not-call list: {e}"),
                true,
            ),
        }
    }

    /// `y` to a question: what it asked about.
    pub(super) fn confirm(&mut self) -> Option<Command> {
        let Overlay::Confirm(q) = std::mem::replace(&mut self.overlay, Overlay::None) else {
            return None;
        };
        match q {
            Question::Stop { id, .. } => Some(Command::Operate(id, Operation::Stop)),
            Question::Delete { id, .. } => Some(Command::Delete(id)),
            Question::NeverCall { phone } => Some(Command::NeverCall(phone)),
            Question::Overwrite { id, path } => {
                self.say(&format!("exporting campaign {id} to {path}…"), false);
                Some(Command::Export {
                    id,
                    path,
                    overwrite: true,
                })
            }
        }
    }

    /// `e`: the export form, with the path `numdialer export` would pick.
    pub(super) fn open_export(&mut self) {
        if let Some(c) = self.target() {
            let path = format!("./{}", words::export_file_name(&c));
            self.overlay = Overlay::Form(Form::export(c.id, path));
        }
    }
}

/// "2.4 MB": sizes of imports and exports, as the message line says them.
pub(super) fn megabytes(bytes: u64) -> String {
    if bytes < 1_000_000 {
        format!("{:.1} kB", bytes as f64 / 1e3)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}
