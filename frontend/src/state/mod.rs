//! View models: plain structs with pure reducers (`apply(msg, now)`), no browser and no clock, so they are unit
//! tested natively (`cargo test -p kato-dashboard-frontend`). The browser side (`ws.rs`, pages) owns one signal
//! per model and calls these reducers with what arrives.

pub mod alerts;
pub mod analytics;
pub mod containers;
pub mod db;
pub mod fleet;
pub mod fleet_rows;
pub mod history;
pub mod history_api;
pub mod json;
pub mod kb;
pub mod metrics;
pub mod range;
pub mod sessions;
pub mod timeline;
pub mod toasts;
pub mod wire;
