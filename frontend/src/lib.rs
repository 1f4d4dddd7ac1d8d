//! KATO Dashboard web app (Leptos, client-side rendered, built for `wasm32-unknown-unknown`).
//!
//! Depends on `kato-dashboard-core` only (the `/ws` protocol types and the delta patcher), never on the server.
//! The pure view models ([`state`]) and formatting ([`format`]) also compile natively and are unit-tested there;
//! everything that touches the browser is compiled for wasm32 only:
//! - `app` (routes and the shell), `ws` (the one WebSocket of the tab), `api` (typed REST client),
//! - `services` (app-wide contexts: clock, theme, settings, live models), `components/`, `pages/`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod format;
pub mod state;

#[cfg(target_arch = "wasm32")]
pub mod api;
#[cfg(target_arch = "wasm32")]
pub mod api_db;
#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod pages;
#[cfg(target_arch = "wasm32")]
pub mod services;
#[cfg(target_arch = "wasm32")]
pub mod ws;
