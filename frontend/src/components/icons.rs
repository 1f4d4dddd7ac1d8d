//! Inline SVG icons (24×24, stroked with `currentColor`), drawn for this app: no icon font, no download.

use leptos::prelude::*;

/// The icons the UI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Grid,
    Users,
    Bell,
    Gear,
    Sun,
    Moon,
    Menu,
    Close,
    Refresh,
    Trash,
    Check,
    Search,
    Cpu,
    Memory,
    Network,
    Disk,
    Pulse,
    Clock,
    Server,
    Alert,
    ArrowLeft,
    Mute,
    Chart,
}

fn paths(icon: Icon) -> &'static str {
    match icon {
        Icon::Grid => "M4 4h7v7H4zM13 4h7v4h-7zM13 10h7v10h-7zM4 13h7v7H4z",
        Icon::Users => {
            "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21v-1a6 6 0 0 1 6-6h2a6 6 0 0 1 6 6v1M16 3.5a4 4 0 0 1 0 7.5M19 14a5 5 0 0 1 3 5v2"
        }
        Icon::Bell => "M6 8a6 6 0 1 1 12 0c0 7 3 8 3 8H3s3-1 3-8M10 20a2 2 0 0 0 4 0",
        Icon::Gear => {
            "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 13.5l1.6 1.2-2 3.4-1.9-.7a7 7 0 0 1-2 1.2L14.8 21h-4l-.3-2.4a7 7 0 0 1-2-1.2l-1.9.7-2-3.4 1.6-1.2a7 7 0 0 1 0-2.9L4.6 9.4l2-3.4 1.9.7a7 7 0 0 1 2-1.2L10.8 3h4l.3 2.5a7 7 0 0 1 2 1.2l1.9-.7 2 3.4-1.6 1.2a7 7 0 0 1 0 2.9z"
        }
        Icon::Sun => {
            "M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"
        }
        Icon::Moon => "M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z",
        Icon::Menu => "M4 6h16M4 12h16M4 18h16",
        Icon::Close => "M6 6l12 12M18 6L6 18",
        Icon::Refresh => "M20 11a8 8 0 0 0-14.9-3.5M4 4v4h4M4 13a8 8 0 0 0 14.9 3.5M20 20v-4h-4",
        Icon::Trash => "M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3",
        Icon::Check => "M5 12l5 5 9-10",
        Icon::Search => "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM20 20l-4-4",
        Icon::Cpu => {
            "M7 7h10v10H7zM10 10h4v4h-4zM9 2v3M15 2v3M9 19v3M15 19v3M2 9h3M2 15h3M19 9h3M19 15h3"
        }
        Icon::Memory => "M3 7h18v10H3zM7 11v2M11 11v2M15 11v2M6 17v3M18 17v3",
        Icon::Network => "M7 4v14M7 18l-3-3M7 18l3-3M17 20V6M17 6l-3 3M17 6l3 3",
        Icon::Disk => {
            "M4 5c0-1.1 3.6-2 8-2s8 .9 8 2v14c0 1.1-3.6 2-8 2s-8-.9-8-2zM4 5c0 1.1 3.6 2 8 2s8-.9 8-2M4 12c0 1.1 3.6 2 8 2s8-.9 8-2"
        }
        Icon::Pulse => "M3 12h4l3-8 4 16 3-8h4",
        Icon::Clock => "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM12 7v5l3 3",
        Icon::Server => "M4 4h16v6H4zM4 14h16v6H4zM8 7h.01M8 17h.01",
        Icon::Alert => "M12 3l10 18H2zM12 10v5M12 18h.01",
        Icon::ArrowLeft => "M19 12H5M11 6l-6 6 6 6",
        Icon::Chart => "M4 20V4M4 20h16M8 16l4-5 3 3 5-7",
        Icon::Mute => "M6 8a6 6 0 0 1 9.5-4.9M18 8c0 7 3 8 3 8H8M10 20a2 2 0 0 0 4 0M3 3l18 18",
    }
}

/// An icon, decorative (hidden from screen readers: the control around it carries the label).
#[component]
pub fn Svg(icon: Icon, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! {
        <svg class=format!("icon {class}") viewBox="0 0 24 24" fill="none" stroke="currentColor"
            stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
            <path d=paths(icon)/>
        </svg>
    }
}
