//! The shell's overlays (the alert drawer, the navigation drawer on narrow screens) as an app-wide context: the
//! shell provides it, and any component or page that opens an overlay reads it with [`use_ui`] — without
//! importing the shell component, which itself imports those components.

use leptos::prelude::*;

/// Open/closed state of the shell's overlays.
#[derive(Clone, Copy)]
pub struct Ui {
    /// The alert history drawer.
    pub drawer_open: RwSignal<bool>,
    /// The navigation drawer (narrow screens).
    pub nav_open: RwSignal<bool>,
}

/// Creates the overlays' state (both closed) and provides it to everything below the caller.
pub fn provide_ui() -> Ui {
    let ui = Ui {
        drawer_open: RwSignal::new(false),
        nav_open: RwSignal::new(false),
    };
    provide_context(ui);
    ui
}

/// The overlays' state.
pub fn use_ui() -> Ui {
    expect_context::<Ui>()
}
