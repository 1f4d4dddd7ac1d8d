//! Reusable pieces of the UI: the shell (sidebar, top bar), cards, charts, the connection indicator, toasts, the
//! alert history, the settings dialog and icons.

pub mod alert_actions;
pub mod alert_history;
pub mod cards;
pub mod chart;
pub mod icons;
pub mod range_control;
pub mod settings_dialog;
pub mod shell;
pub mod status;
pub mod toasts;
