//! Test fixtures for the KATO Dashboard's integration tests: real services on loopback or unix
//! sockets, each cleaned up on `Drop`.
//!
//! * [`DockerDaemon`]: a private `dockerd` (vfs, no bridge, no iptables) in a temp dir; never the
//!   host's engine, even when one answers on `/var/run/docker.sock`.
//! * [`busybox_image`]: a ~2 MB image `docker import`ed from Debian's `busybox-static`.
//! * [`TestContainers`]: containers with `--network none` named with a per-test prefix (busy
//!   `yes`, idle `sleep`, stopped), removed on drop.
//! * [`RedisServer`]: a private `redis-server` on a free port.
//! * [`MongoServer`]: a private `nx-27017` (MongoDB wire protocol, PyPI, installed into a venv on first use).
//! * [`ClickHouseServer`]: a private ClickHouse engine (chDB from PyPI, in the same venv) behind ClickHouse's HTTP
//!   interface, optionally loaded with what KATO 3.x stored in ClickHouse.
//! * [`RedisServer::load_kato_dump`] loads a recorded Redis dump; [`qdrant::QdrantTestServer::start_kato_c584167`]
//!   holds KATO c584167's vectors.
//! * [`TinyDisk`]: a tmpfs of a few hundred KiB, to fill a disk on purpose.
//! * [`kato_fixtures_dir`]: the recorded KATO responses and store dumps in `tests/fixtures/kato`.
//! * [`free_port`], [`wait_until`], [`wait_for`]: waiting for a condition with a deadline, never a
//!   fixed sleep.
//!
//! Nothing here skips silently: when a service cannot start, the error says why (with the tail of
//! its log) and the test fails. Used only as a dev-dependency; it must not depend on any crate of
//! the dashboard, so every crate's tests can use it.

mod clickhouse;
mod containers;
mod daemon;
mod fixtures;
mod image;
mod mongo;
mod process;
pub mod qdrant;
mod redis;
mod redis_dump;
mod tiny_disk;
mod wait;

pub use clickhouse::{ClickHouseOptions, ClickHouseServer, ensure_chdb};
pub use containers::TestContainers;
pub use daemon::DockerDaemon;
pub use fixtures::kato_fixtures_dir;
pub use image::{BUSYBOX_TAG, busybox_image};
pub use mongo::{MongoServer, ensure_nx27017, venv_dir};
pub use redis::RedisServer;
pub use tiny_disk::TinyDisk;
pub use wait::{free_port, wait_for, wait_until};

/// Why a fixture could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A program could not be started at all (not installed, …).
    #[error("cannot run `{program}`: {source} (is it installed? {hint})")]
    Spawn {
        program: String,
        hint: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A command ran and failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    /// A service started but did not become ready.
    #[error("{what} not ready: {reason}\n--- last lines of its log ---\n{log_tail}")]
    NotReady {
        what: String,
        reason: String,
        log_tail: String,
    },
    /// Local file system trouble (temp dirs, logs).
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// Result of the fixtures.
pub type Result<T> = std::result::Result<T, Error>;
