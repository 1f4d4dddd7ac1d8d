//! Card building blocks: a stat card (big tabular number, label, sub-line, status tone), a panel with a title,
//! banners for unavailable upstreams, and the "no data yet" placeholder.

use leptos::prelude::*;

use super::icons::{Icon, Svg};

/// A key figure.
#[component]
pub fn StatCard(
    label: &'static str,
    icon: Icon,
    #[prop(into)] value: Signal<String>,
    #[prop(into, optional)] sub: Signal<String>,
    /// `ok`, `warn`, `bad`, `idle` or empty.
    #[prop(into, optional)]
    tone: Signal<&'static str>,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    view! {
        <div class=move || format!("card stat tone-{}", tone.get()) data-testid=testid>
            <div class="stat-head">
                <span class="stat-icon"><Svg icon=icon/></span>
                <span class="stat-label">{label}</span>
            </div>
            <div class="stat-value num" data-testid=format!("{testid}-value")>{move || value.get()}</div>
            <div class="stat-sub muted">{move || sub.get()}</div>
        </div>
    }
}

/// A titled card.
#[component]
pub fn Panel(
    title: &'static str,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] testid: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section class=format!("card panel {class}") data-testid=testid aria-label=title>
            <h2 class="panel-title">{title}</h2>
            {children()}
        </section>
    }
}

/// A full-width notice: an upstream is unavailable, a feature is switched off.
#[component]
pub fn Banner(
    tone: &'static str,
    title: String,
    #[prop(optional)] detail: String,
) -> impl IntoView {
    view! {
        <div class=format!("banner tone-{tone}") role="status">
            <Svg icon=Icon::Alert/>
            <div>
                <strong>{title}</strong>
                {(!detail.is_empty()).then(|| view! { <span class="muted">{detail}</span> })}
            </div>
        </div>
    }
}

/// "No data yet" (or why there is none).
#[component]
pub fn Empty(icon: Icon, text: String) -> impl IntoView {
    view! {
        <div class="empty">
            <Svg icon=icon class="empty-icon"/>
            <p>{text}</p>
        </div>
    }
}
