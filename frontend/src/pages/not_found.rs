//! The page for paths the app does not have.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::components::icons::{Icon, Svg};

/// 404.
#[component]
pub fn NotFound() -> impl IntoView {
    let location = use_location();
    view! {
        <div class="page">
            <div class="card empty big-empty">
                <Svg icon=Icon::Search class="empty-icon"/>
                <h2>"Nothing here"</h2>
                <p class="muted">{move || format!("The dashboard has no page at {}.", location.pathname.get())}</p>
                <a class="btn primary" href="/">"Go to the dashboard"</a>
            </div>
        </div>
    }
}
