//! The frame around every page: sidebar navigation (an off-canvas drawer on narrow screens), the top bar with
//! KATO's status, the connection indicator, theme toggle, settings and the alert bell; plus the toasts, the alert
//! drawer and the settings dialog, which live above all pages.

use kato_dashboard_core::protocol::Topic;
use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

use super::alert_history::AlertDrawer;
use super::icons::{Icon, Svg};
use super::settings_dialog::SettingsDialog;
use super::status::{ConnectionIndicator, KatoChip};
use super::toasts::ToastStack;
use crate::services::{provide_ui, use_live, use_settings, use_theme};
use crate::ws::use_topics;

const NAV: [(&str, &str, Icon); 6] = [
    ("/", "Dashboard", Icon::Grid),
    ("/analytics", "Analytics", Icon::Chart),
    ("/instances", "Instances", Icon::Server),
    ("/sessions", "Sessions", Icon::Users),
    ("/alerts", "Alerts", Icon::Bell),
    ("/databases", "Databases", Icon::Disk),
];

fn title_of(path: &str) -> &'static str {
    if path == "/" {
        "Dashboard"
    } else if path.starts_with("/analytics") {
        "Analytics"
    } else if path.starts_with("/instances") {
        "Instances"
    } else if path.starts_with("/sessions/") {
        "Session"
    } else if path.starts_with("/sessions") {
        "Sessions"
    } else if path.starts_with("/alerts") {
        "Alerts"
    } else if path.starts_with("/databases") {
        "Databases"
    } else {
        "Not found"
    }
}

/// The shell.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    // Always shown: toasts and the bell need alerts and KATO events; the top bar shows KATO's status.
    use_topics(&[Topic::Metrics, Topic::SystemAlerts, Topic::KatoEvents]);
    let ui = provide_ui();
    let live = use_live();
    let theme = use_theme();
    let settings = use_settings();
    let location = use_location();
    let path = move || location.pathname.get();
    // Navigating closes the mobile menu.
    Effect::new(move |_| {
        let _ = location.pathname.get();
        ui.nav_open.set(false);
    });
    let unread = move || live.alerts.with(|a| a.unread());
    let _esc = window_event_listener(ev::keydown, move |e| {
        if e.key() == "Escape" {
            ui.drawer_open.set(false);
            ui.nav_open.set(false);
            settings.dialog_open.set(false);
        }
    });

    let nav_links = NAV
        .iter()
        .map(|(href, label, icon)| {
            let href = *href;
            let active = move || {
                let p = path();
                if href == "/" {
                    p == "/"
                } else {
                    p.starts_with(href)
                }
            };
            let badge = (href == "/alerts").then(|| {
                view! {
                    <Show when=move || { unread() > 0 }>
                        <span class="nav-badge" aria-label="unread alerts">{unread}</span>
                    </Show>
                }
            });
            view! {
                <a href=href class="nav-link" class:active=active
                    aria-current=move || active().then_some("page")>
                    <Svg icon=*icon/>
                    <span>{*label}</span>
                    {badge}
                </a>
            }
        })
        .collect_view();

    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <div class="app" class:nav-open=move || ui.nav_open.get()>
            <aside class="sidebar" aria-label="Main navigation">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">
                        <Svg icon=Icon::Pulse/>
                    </span>
                    <div class="brand-text">
                        <strong>"KATO"</strong>
                        <small>"Dashboard"</small>
                    </div>
                </div>
                <nav class="nav">{nav_links}</nav>
                <div class="sidebar-foot">
                    <ConnectionIndicator/>
                    <span class="muted small">{concat!("kato-dashboard ", env!("CARGO_PKG_VERSION"))}</span>
                </div>
            </aside>
            <div class="scrim" on:click=move |_| ui.nav_open.set(false) aria-hidden="true"></div>
            <div class="main">
                <header class="topbar">
                    <button class="icon-btn menu-btn" aria-label="Open navigation"
                        aria-expanded=move || ui.nav_open.get().to_string()
                        on:click=move |_| ui.nav_open.update(|o| *o = !*o)>
                        <Svg icon=Icon::Menu/>
                    </button>
                    <h1 class="page-title">{move || title_of(&path())}</h1>
                    <div class="topbar-right">
                        <KatoChip/>
                        <ConnectionIndicator compact=true/>
                        <button class="icon-btn" on:click=move |_| theme.toggle()
                            aria-label=move || if theme.is_dark() { "Switch to light theme" } else { "Switch to dark theme" }
                            title=move || if theme.is_dark() { "Light theme" } else { "Dark theme" }>
                            {move || if theme.is_dark() { view! { <Svg icon=Icon::Sun/> } } else { view! { <Svg icon=Icon::Moon/> } }}
                        </button>
                        <button class="icon-btn" aria-label="Settings" title="Settings"
                            on:click=move |_| settings.dialog_open.set(true)>
                            <Svg icon=Icon::Gear/>
                        </button>
                        <button class="icon-btn bell" data-testid="bell" title="Alert history"
                            aria-label=move || format!("Alert history, {} unread", unread())
                            aria-expanded=move || ui.drawer_open.get().to_string()
                            on:click=move |_| ui.drawer_open.update(|o| *o = !*o)>
                            <Svg icon=Icon::Bell/>
                            <Show when=move || { unread() > 0 }>
                                <span class="badge" data-testid="unread-badge">
                                    {move || if unread() > 99 { "99+".to_string() } else { unread().to_string() }}
                                </span>
                            </Show>
                        </button>
                    </div>
                </header>
                <main id="content" class="content" tabindex="-1">{children()}</main>
            </div>
            <AlertDrawer/>
            <ToastStack/>
            <SettingsDialog/>
        </div>
    }
}
