//! `ws-load`: a load generator for the KATO Dashboard's `/ws`.
//!
//! It opens N live WebSocket clients (plus, optionally, M stalled ones that never read) against a dashboard on
//! **loopback only**, subscribes them, and measures what DESIGN.md §7 asks of the hub: tick→client latency of
//! every `realtime_update` (receive time − the frame's `timestamp`; both processes share the clock), messages
//! and bytes per client per minute, bytes per update, failed connections, and the server's RSS, CPU and open
//! descriptors from `/proc/<pid>` before connecting (idle) and during the steady phase. With `--kato-sim` it
//! also counts the KATO requests made during the steady phase. Every run is bounded in clients (≤ 20,000) and
//! time (`--duration` ≤ 30 min plus ramp and warm-up).
//!
//! Modules: [`cli`] (arguments, loopback and bound checks), [`client`] (one socket), [`wire`] (a lean WebSocket
//! client: handshake, masked frames, frames read in place), [`frame`] (header of a
//! frame without parsing the JSON), [`stats`] (percentiles), [`procfs`] (/proc parsing), [`ramp`] (opening and stopping the fleet), [`kato`] (kato-sim
//! request counts), [`floor`] (the kernel's floor for a fan-out, for `tcp-floor`), [`run`] (the phases), [`report`] (table and JSON). Depends on no other workspace crate:
//! it speaks the wire protocol as any client would.

pub mod cli;
pub mod client;
pub mod floor;
pub mod frame;
pub mod kato;
pub mod procfs;
pub mod ramp;
pub mod report;
pub mod run;
pub mod stats;
pub mod wire;
