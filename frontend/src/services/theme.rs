//! Dark and light themes: follows the OS by default, a toggle overrides it and is remembered. The theme is the
//! `data-theme` attribute of `<html>` (set before the app loads by `index.html`, so there is no flash).

use leptos::prelude::*;
use wasm_bindgen::{JsCast, closure::Closure};

use super::storage;

const KEY: &str = "kato.theme";

/// The user's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeMode {
    /// Follow the OS.
    System,
    Dark,
    Light,
}

impl ThemeMode {
    fn parse(s: &str) -> ThemeMode {
        match s {
            "dark" => ThemeMode::Dark,
            "light" => ThemeMode::Light,
            _ => ThemeMode::System,
        }
    }

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ThemeMode::System => "system",
            ThemeMode::Dark => "dark",
            ThemeMode::Light => "light",
        }
    }
}

/// Theme handle.
#[derive(Clone, Copy)]
pub struct Theme {
    /// The choice.
    pub mode: RwSignal<ThemeMode>,
    /// Whether the OS prefers dark.
    os_dark: RwSignal<bool>,
}

impl Theme {
    /// Whether dark is in effect.
    pub fn is_dark(&self) -> bool {
        match self.mode.get() {
            ThemeMode::Dark => true,
            ThemeMode::Light => false,
            ThemeMode::System => self.os_dark.get(),
        }
    }

    /// Sets and remembers the choice.
    pub fn set(&self, mode: ThemeMode) {
        storage::set(KEY, (mode != ThemeMode::System).then_some(mode.as_str()));
        self.mode.set(mode);
    }

    /// Flips between dark and light (leaving "follow the OS").
    pub fn toggle(&self) {
        self.set(if self.is_dark() {
            ThemeMode::Light
        } else {
            ThemeMode::Dark
        });
    }
}

fn dark_query() -> Option<web_sys::MediaQueryList> {
    web_sys::window()?
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
}

/// Reads the stored choice, follows OS changes and keeps `<html data-theme>` in sync.
pub fn provide_theme() {
    let mode = RwSignal::new(ThemeMode::parse(&storage::get(KEY).unwrap_or_default()));
    let query = dark_query();
    let os_dark = RwSignal::new(query.as_ref().is_none_or(|q| q.matches()));
    if let Some(q) = query {
        let on_change = Closure::<dyn Fn()>::new(move || {
            if let Some(q) = dark_query() {
                os_dark.set(q.matches());
            }
        });
        q.set_onchange(Some(on_change.as_ref().unchecked_ref()));
        // Lives as long as the tab, like the media query itself.
        on_change.forget();
    }
    let theme = Theme { mode, os_dark };
    Effect::new(move |_| {
        let name = if theme.is_dark() { "dark" } else { "light" };
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", name);
        }
    });
    provide_context(theme);
}

/// The theme.
pub fn use_theme() -> Theme {
    expect_context::<Theme>()
}
