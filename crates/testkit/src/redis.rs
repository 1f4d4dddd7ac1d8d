//! A private `redis-server` on a free loopback port, in a temp dir, killed on drop.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::log_tail;
use crate::wait::free_port;
use crate::{Error, Result};

const START_DEADLINE: Duration = Duration::from_secs(20);

/// A running `redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly no`.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts it and waits until it answers `PING`.
    pub fn start() -> Result<Self> {
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            what: "temp dir for redis-server".into(),
            source,
        })?;
        let port = free_port()?;
        let log_path = dir.path().join("redis.log");
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .arg("--logfile")
            .arg(&log_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| Error::Spawn {
                program: "redis-server".into(),
                hint: "apt-get install redis-server",
                source,
            })?;
        let mut server = Self {
            port,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            let last = match server.ping() {
                Ok(()) => return Ok(server),
                Err(e) => e,
            };
            let exited = server.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let reason = match exited {
                    Some(status) => format!("redis-server exited with {status}"),
                    None => format!("no PONG within {START_DEADLINE:?}: {last}"),
                };
                return Err(Error::NotReady {
                    what: format!("redis-server on 127.0.0.1:{port}"),
                    reason,
                    log_tail: log_tail(&log_path, 20),
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
