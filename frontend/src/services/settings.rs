//! User settings kept in `localStorage`: the admin token that unlocks destructive actions (sent as
//! `X-Admin-Token`; without one, destructive controls are hidden).

use leptos::prelude::*;

use super::storage;

const TOKEN_KEY: &str = "kato.admin_token";

/// Settings handle.
#[derive(Clone, Copy)]
pub struct Settings {
    /// The admin token, if the user pasted one.
    pub admin_token: RwSignal<Option<String>>,
    /// Whether the settings dialog is open.
    pub dialog_open: RwSignal<bool>,
}

impl Settings {
    /// Stores (or forgets, for an empty string) the admin token.
    pub fn set_token(&self, token: &str) {
        let token = token.trim();
        let value = (!token.is_empty()).then(|| token.to_string());
        storage::set(TOKEN_KEY, value.as_deref());
        self.admin_token.set(value);
    }

    /// Whether destructive controls are shown.
    pub fn is_admin(&self) -> bool {
        self.admin_token.with(Option::is_some)
    }
}

/// Loads the settings.
pub fn provide_settings() {
    provide_context(Settings {
        admin_token: RwSignal::new(storage::get(TOKEN_KEY).filter(|t| !t.is_empty())),
        dialog_open: RwSignal::new(false),
    });
}

/// The settings.
pub fn use_settings() -> Settings {
    expect_context::<Settings>()
}
