//! Browser for KATO's Redis on the `redis` crate: INFO summary and hit rate, `SCAN` paging (never `KEYS`) with
//! type and TTL per key, key detail for every type with paging for big values, and admin deletes (one key,
//! or by pattern with `SCAN` + `UNLINK`; never `FLUSHDB`/`FLUSHALL`).
//!
//! Keys are bytes: every key in an answer carries `key` (UTF-8, lossy) and `key_b64` (exact), and a caller can
//! address a key either way ([`KeyName`]). Reading never touches expiry: only `TYPE`, `PTTL`, `MEMORY USAGE`
//! and read commands are used. The connection is the dashboard's one [`RedisHandle`]: opened lazily, with short
//! timeouts, shared with the server's collectors and routes, and reconnected after an outage.
//! [`kato_kb`] reads what KATO 3.x keeps per knowledge base (frequencies, symbols, affinities) and finds a knowledge
//! base's keys for a delete.
//! It must not depend on any other dashboard crate.

mod client;
mod detail;
mod error;
mod handle;
mod info;
pub mod kato_kb;
mod keys;
mod scan;
mod value;

pub use client::RedisBrowser;
pub use detail::DetailQuery;
pub use error::{RedisBrowseError, Result};
pub use handle::RedisHandle;
pub use keys::KeyName;
pub use scan::{KeyEntry, ScanPage};
