//! Settings: the admin token (kept in this browser's `localStorage`, sent as `X-Admin-Token`; without it
//! destructive controls are hidden) and the theme.

use leptos::prelude::*;

use super::icons::{Icon, Svg};
use crate::services::{ThemeMode, use_settings, use_theme};

/// The dialog (rendered always, shown while `Settings::dialog_open`).
#[component]
pub fn SettingsDialog() -> impl IntoView {
    let settings = use_settings();
    let theme = use_theme();
    let open = move || settings.dialog_open.get();
    let draft = RwSignal::new(String::new());
    // Opening the dialog starts from the stored token.
    Effect::new(move |_| {
        if open() {
            draft.set(settings.admin_token.get_untracked().unwrap_or_default());
        }
    });
    let close = move || settings.dialog_open.set(false);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        settings.set_token(&draft.get_untracked());
        close();
    };
    let theme_choice = move || theme.mode.get().as_str();
    view! {
        <Show when=open>
            <div class="modal-backdrop" on:click=move |_| close()></div>
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="settings-title" data-testid="settings">
                <form on:submit=save>
                    <div class="modal-head">
                        <h2 id="settings-title">"Settings"</h2>
                        <button type="button" class="icon-btn" aria-label="Close settings" on:click=move |_| close()>
                            <Svg icon=Icon::Close/>
                        </button>
                    </div>
                    <label class="field">
                        <span>"Admin token"</span>
                        <input type="password" autocomplete="off" placeholder="paste ADMIN_TOKEN to enable deletes"
                            prop:value=move || draft.get() on:input=move |e| draft.set(event_target_value(&e))
                            data-testid="admin-token"/>
                        <small class="muted">
                            "Stored in this browser only and sent as X-Admin-Token. Without it, destructive controls are hidden."
                        </small>
                    </label>
                    <label class="field">
                        <span>"Theme"</span>
                        <select on:change=move |e| theme.set(match event_target_value(&e).as_str() {
                            "dark" => ThemeMode::Dark,
                            "light" => ThemeMode::Light,
                            _ => ThemeMode::System,
                        })>
                            <option value="system" selected=move || theme_choice() == "system">"Follow the system"</option>
                            <option value="dark" selected=move || theme_choice() == "dark">"Dark"</option>
                            <option value="light" selected=move || theme_choice() == "light">"Light"</option>
                        </select>
                    </label>
                    <div class="modal-actions">
                        <button type="button" class="btn ghost" on:click=move |_| { settings.set_token(""); close(); }
                            disabled=move || settings.admin_token.with(Option::is_none)>"Forget token"</button>
                        <button type="submit" class="btn primary">"Save"</button>
                    </div>
                </form>
            </div>
        </Show>
    }
}
