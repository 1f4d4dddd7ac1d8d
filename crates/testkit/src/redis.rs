//! A private `redis-server` on a free loopback port, in a temp dir, killed on drop.
//!
//! [`RedisServer::start`] keeps nothing on disk (`--save '' --appendonly no`). [`RedisServer::start_persistent`]
//! writes every command to an append-only file before answering (`--appendonly yes --appendfsync always`), so a
//! [`kill`](RedisServer::kill) (SIGKILL) followed by a [`restart`](RedisServer::restart) on the same port and folder
//! comes back with every acknowledged key, as a production Redis with AOF does.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::log_tail;
use crate::wait::free_port;
use crate::{Error, Result};

const START_DEADLINE: Duration = Duration::from_secs(20);

/// A running `redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly no` (or, persistent, with
/// `--appendonly yes --appendfsync always`).
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    /// `None` after [`kill`](Self::kill), until [`restart`](Self::restart).
    child: Option<Child>,
    persistent: bool,
    log_path: PathBuf,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts it and waits until it answers `PING`.
    pub fn start() -> Result<Self> {
        Self::start_with(false)
    }

    /// Starts one that survives [`kill`](Self::kill) + [`restart`](Self::restart) with its data (append-only
    /// file, fsync on every write), and waits until it answers `PING`.
    pub fn start_persistent() -> Result<Self> {
        Self::start_with(true)
    }

    fn start_with(persistent: bool) -> Result<Self> {
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            what: "temp dir for redis-server".into(),
            source,
        })?;
        let port = free_port()?;
        let log_path = dir.path().join("redis.log");
        let mut server = Self {
            port,
            child: None,
            persistent,
            log_path,
            dir,
        };
        server.spawn()?;
        Ok(server)
    }

    /// Starts `redis-server` on this port and folder and waits for `PONG`.
    fn spawn(&mut self) -> Result<()> {
        let persistence: &[&str] = if self.persistent {
            &[
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ]
        } else {
            &["--save", "", "--appendonly", "no"]
        };
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(persistence)
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&self.log_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| Error::Spawn {
                program: "redis-server".into(),
                hint: "apt-get install redis-server",
                source,
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            let last = match self.ping() {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                let reason = match exited {
                    Some(status) => format!("redis-server exited with {status}"),
                    None => format!("no PONG within {START_DEADLINE:?}: {last}"),
                };
                return Err(Error::NotReady {
                    what: format!("redis-server on 127.0.0.1:{}", self.port),
                    reason,
                    log_tail: log_tail(&self.log_path, 20),
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The pid of the running `redis-server` (`None` after [`kill`](Self::kill)).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Kills the server at once (SIGKILL, no shutdown save) and waits for it to be gone; the port refuses
    /// connections until [`restart`](Self::restart). A no-op when it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server if it runs, then starts it again on the same port and folder (a persistent one reloads
    /// its append-only file) and waits until it answers `PING`.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        self.spawn()
    }

    fn ping(&self) -> std::result::Result<(), String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(1)))
            .map_err(|e| e.to_string())?;
        s.write_all(b"PING\r\n").map_err(|e| e.to_string())?;
        let mut buf = [0u8; 16];
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if buf[..n].starts_with(b"+PONG") {
            Ok(())
        } else {
            Err(format!("answer {:?}", String::from_utf8_lossy(&buf[..n])))
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
