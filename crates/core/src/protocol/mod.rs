//! The `/ws` protocol shared by the server and the web app (see `docs/protocol.md`).
//!
//! Compatible with the old Python dashboard's messages (`subscribe`, text `ping`, `realtime_update`,
//! `session_event`, `system_alert`, `heartbeat`) and extended with acknowledgements, errors, resume by sequence
//! number, resync and opt-in deltas. Parsing never panics: every bad frame becomes a [`ProtocolError`] with a code
//! that the server sends back in an `error` frame.

mod client;
pub mod delta;
mod messages;
mod server_read;
mod topic;

pub use client::{ClientMsg, ErrorCode, ProtocolError, parse_client_frame};
pub use messages::ServerMsg;
pub use topic::{Topic, TopicSet};

/// Largest client frame the server reads; larger frames close the socket with 1009.
pub const MAX_CLIENT_FRAME_BYTES: usize = 16 * 1024;
