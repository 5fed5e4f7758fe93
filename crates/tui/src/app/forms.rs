//! The forms of `App`: typing into the import, export and filter
//! prompts, and what submitting one asks for. The prompts' own state and
//! edits live in `crate::prompt`; here they meet the rest of the screen.

use super::*;

impl App {
    /// Opens the import form, unless the server is known to have no
    /// campaigns: the form would only fail once filled in.
    pub(super) fn open_import(&mut self) {
        if self.campaigns.is_none() && self.statuses.is_some() {
            self.say(
                "this server has no campaigns: upgrade numdialer-server",
                true,
            );
            return;
        }
        self.overlay = Overlay::Form(Form::import());
    }

    /// Esc and the like: closes the popup open. Closing the bad lines of a
    /// refused import goes back to its form, as it was typed.
    pub(super) fn close(&mut self) {
        let was = std::mem::replace(&mut self.overlay, Overlay::None);
        if let (Overlay::ImportErrors(e), Some(form)) = (was, &self.import_form) {
            let mut form = form.clone();
            form.error = Some(format!("the server refused {}: {}", e.path, e.message));
            self.overlay = Overlay::Form(form);
        }
    }

    /// An export came back. One that failed opens its form again, with
    /// the path typed and the reason, so that Esc after it loses nothing.
    pub(super) fn exported(&mut self, id: u64, path: String, r: Result<u64, String>) {
        match r {
            Ok(bytes) => self.say(
                &format!("exported campaign {id} to {path} ({})", megabytes(bytes)),
                false,
            ),
            Err(e) => {
                let text = format!("could not export campaign {id}: {e}");
                if self.overlay == Overlay::None {
                    let mut form = Form::export(id, path);
                    form.error = Some(text);
                    self.message = None;
                    self.overlay = Overlay::Form(form);
                } else {
                    self.say(&text, true);
                }
            }
        }
    }

    /// A refused import: its form again, as it was typed, with `why`
    /// under it; or, when another popup is open, `why` on the message
    /// line.
    pub(super) fn reopen_import(&mut self, why: String) {
        match (&self.overlay, self.import_form.clone()) {
            (Overlay::None, Some(mut form)) => {
                form.error = Some(why);
                self.message = None;
                self.overlay = Overlay::Form(form);
            }
            _ => self.say(&why, true),
        }
    }

    /// A key while a form is open: its own keys, and any other character
    /// typed into the field.
    pub(super) fn on_form_key(&mut self, k: &KeyEvent) -> Option<Command> {
        if let Some(action) = keys::prompt_action(k) {
            return self.perform(action);
        }
        let Overlay::Form(form) = &mut self.overlay else {
            return None;
        };
        if let KeyCode::Char(c) = k.code
            && !k.modifiers.contains(KeyModifiers::CONTROL)
        {
            form.type_char(c);
        }
        None
    }

    /// A form's own key: edit, move between fields, complete or submit.
    pub(super) fn form_action(&mut self, action: Action) -> Option<Command> {
        let Overlay::Form(form) = &mut self.overlay else {
            return None;
        };
        match action {
            Action::Erase => form.erase(),
            Action::NextField => form.move_focus(1),
            Action::PrevField => form.move_focus(-1),
            Action::Complete => return form.complete().map(Command::Complete),
            Action::Submit => return self.submit(),
            _ => {}
        }
        None
    }

    /// Enter: closes the form and asks for what it says, or leaves it open
    /// with the reason it cannot be sent.
    pub(super) fn submit(&mut self) -> Option<Command> {
        let Overlay::Form(form) = &mut self.overlay else {
            return None;
        };
        let submitted = form.submit()?;
        if form.purpose == crate::prompt::Purpose::Import {
            let mut sent = form.clone();
            sent.error = None;
            self.import_form = Some(sent);
        }
        self.overlay = Overlay::None;
        match submitted {
            Submitted::Import {
                path,
                format,
                settings,
                country,
                answers,
                hours,
            } => {
                self.say(&format!("importing {path}…"), false);
                self.importing = Some(path.clone());
                Some(Command::Import {
                    path,
                    format,
                    settings,
                    country,
                    answers,
                    hours,
                })
            }
            Submitted::Export { id, path } => {
                self.say(&format!("exporting campaign {id} to {path}…"), false);
                Some(Command::Export {
                    id,
                    path,
                    overwrite: false,
                })
            }
            Submitted::Filter(filter) => {
                self.say(
                    &match &filter {
                        Some(f) => format!("showing only {}", f.word()),
                        None => "showing every entry".to_string(),
                    },
                    false,
                );
                self.filter = filter;
                self.selected = 0;
                self.focus = Focus::Calls;
                self.refilter();
                None
            }
        }
    }
}
