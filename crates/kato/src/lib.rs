//! Async client for the KATO REST API and its `/ws/events` stream.
//!
//! * [`KatoClient`]: typed methods returning `kato-dashboard-core` models, every call
//!   bounded by a timeout, errors classified in [`KatoError`], calls counted in
//!   [`RequestStats`], generation detection ([`KatoClient::detect_generation`]).
//! * [`events`]: a reconnecting `/ws/events` listener delivering [`ListenerUpdate`]s.
//!
//! Depends on `core` for models and on reqwest/tokio-tungstenite for I/O; it knows nothing
//! about the dashboard server, its hub or its protocol.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod accounting;
mod client;
mod config;
mod endpoints;
mod error;
pub mod events;
mod path;

pub use accounting::RequestStats;
pub use client::{KatoClient, MAX_BODY_BYTES};
pub use config::KatoClientConfig;
pub use endpoints::SessionExistence;
pub use error::{KatoError, NotFoundKind};
pub use events::{EventListener, EventListenerConfig, ListenerUpdate};
pub use path::encode_segment;
