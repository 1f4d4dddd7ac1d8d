//! Pure building blocks of the KATO Dashboard, shared by the server and the (WASM) frontend.
//!
//! This crate holds data models and pure functions only: serde models of every KATO
//! response the dashboard reads ([`kato`]), the true KATO error-rate math
//! ([`kato::error_rate`]) and time formatting ([`time`]).
//!
//! It must not depend on tokio, an HTTP client, the clock or any other I/O: time is always
//! an input. It builds for `wasm32-unknown-unknown` (`cargo check -p kato-dashboard-core
//! --target wasm32-unknown-unknown`), so the frontend can use the same types.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod alerts;
pub mod backoff;
pub mod docker;
pub mod kato;
pub mod protocol;
pub mod redact;
pub mod sessions;
pub mod source;
pub mod time;
pub mod topics;
