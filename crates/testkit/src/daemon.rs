//! A Docker engine for tests: always a private `dockerd` in a temp dir, never the host's.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{alive, log_tail, pids_mentioning, signal};
use crate::{Error, Result};

/// How long a private daemon may take to answer `/_ping` (≈0.3–1.2 s normally; first start of
/// containerd on a busy machine can be slower).
const START_DEADLINE: Duration = Duration::from_secs(60);
/// How long a private daemon may take to shut down before it is killed.
const STOP_DEADLINE: Duration = Duration::from_secs(15);

/// A Docker engine answering on [`host`](Self::host). Dropping a private one removes all its
/// containers and stops it (with its containerd and shims).
#[derive(Debug)]
pub struct DockerDaemon {
    host: String,
    private: Option<PrivateDaemon>,
}

#[derive(Debug)]
struct PrivateDaemon {
    /// Holds data-root, exec-root, pidfile and log; removed last.
    dir: tempfile::TempDir,
    socket: PathBuf,
    /// More `dockerd` arguments (another listener, TLS), on every (re)start.
    extra: Vec<String>,
    child: Option<Child>,
    /// Stopped with its containers left running: started again on drop, to remove them.
    kept: bool,
}

impl DockerDaemon {
    /// A private daemon (see [`start_private`](Self::start_private)). Tests never use the host's engine, even
    /// when one answers on `/var/run/docker.sock`: its containers (often named `kato`, `kato-redis`, …) would
    /// leak into what a test sees, and a test's containers must not land on it.
    pub fn start() -> Result<Self> {
        Self::start_private()
    }

    /// Always a private daemon, listening on `<tempdir>/docker.sock`.
    pub fn start_private() -> Result<Self> {
        let dir = temp_dir()?;
        let socket = dir.path().join("docker.sock");
        Self::spawn(dir, socket, Vec::new())
    }

    /// A private daemon listening on `socket` (any path, e.g. one a collector already watches);
    /// its data lives in its own temp dir.
    pub fn start_private_at(socket: &Path) -> Result<Self> {
        Self::spawn(temp_dir()?, socket.to_owned(), Vec::new())
    }

    /// A private daemon started with more `dockerd` arguments, e.g. a TLS listener on loopback besides its
    /// socket (`--tlsverify`, `--tlscacert=…`, `--tlscert=…`, `--tlskey=…`, `--host=tcp://127.0.0.1:PORT`);
    /// [`host`](Self::host) stays its unix socket, which the readiness check and the CLI use.
    pub fn start_private_with(args: &[String]) -> Result<Self> {
        let dir = temp_dir()?;
        let socket = dir.path().join("docker.sock");
        Self::spawn(dir, socket, args.to_vec())
    }

    fn spawn(dir: tempfile::TempDir, socket: PathBuf, extra: Vec<String>) -> Result<Self> {
        let mut daemon = Self {
            host: format!("unix://{}", socket.display()),
            private: Some(PrivateDaemon {
                dir,
                socket,
                extra,
                child: None,
                kept: false,
            }),
        };
        daemon.restart()?;
        Ok(daemon)
    }

    /// `unix:///…/docker.sock` or `tcp://…`: what `DOCKER_HOST` should say to reach it.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The unix socket path, when the engine listens on one.
    pub fn socket_path(&self) -> Option<&Path> {
        self.host.strip_prefix("unix://").map(Path::new)
    }

    /// Whether this fixture started (and will stop) the daemon.
    pub fn is_private(&self) -> bool {
        self.private.is_some()
    }

    /// The pid of a private `dockerd` while it runs (to measure its CPU, say).
    pub fn pid(&self) -> Option<u32> {
        self.private
            .as_ref()
            .and_then(|p| p.child.as_ref())
            .map(Child::id)
    }

    /// A `docker` CLI command aimed at this engine.
    pub fn docker(&self) -> Command {
        let mut cmd = Command::new("docker");
        cmd.env("DOCKER_HOST", &self.host);
        cmd
    }

    /// Stops a private daemon, keeping its data (containers survive as stopped); the engine of
    /// the host is never touched. A later [`restart`](Self::restart) brings it back.
    pub fn stop(&mut self) {
        if let Some(p) = &mut self.private {
            p.stop(false);
        }
    }

    /// Stops only the `dockerd` of a private daemon started with `--live-restore` (see
    /// [`start_private_with`](Self::start_private_with)): its containers keep running, as when an engine
    /// crashes or is upgraded, and a later [`restart`](Self::restart) finds them still running. Whatever is
    /// left is ended on drop.
    pub fn stop_keeping_containers(&mut self) {
        if let Some(p) = &mut self.private
            && let Some(child) = &mut p.child
        {
            terminate(child);
            p.child = None;
            p.kept = true;
        }
    }

    /// (Re)starts a private daemon on the same socket and data and waits until it answers.
    pub fn restart(&mut self) -> Result<()> {
        let Some(p) = &mut self.private else {
            return ping(&self.host).map_err(|reason| Error::NotReady {
                what: format!("Docker engine at {}", self.host),
                reason,
                log_tail: String::new(),
            });
        };
        p.stop(false);
        p.kept = false;
        let _ = std::fs::remove_file(&p.socket);
        let root = p.dir.path();
        let log_path = root.join("dockerd.log");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|source| io_err("dockerd log", source))?;
        let log2 = log
            .try_clone()
            .map_err(|source| io_err("dockerd log", source))?;
        let mut cmd = Command::new("setsid");
        cmd.arg("dockerd")
            .args([
                "--iptables=false",
                "--ip-masq=false",
                "--ip-forward=false",
                "--bridge=none",
            ])
            .args(["--storage-driver=vfs", "--shutdown-timeout=2"])
            .arg(format!("--data-root={}", root.join("data").display()))
            .arg(format!("--exec-root={}", root.join("exec").display()))
            .arg(format!("--pidfile={}", root.join("dockerd.pid").display()))
            .arg(format!("--host=unix://{}", p.socket.display()))
            .args(&p.extra)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let child = cmd.spawn().map_err(|source| Error::Spawn {
            program: "setsid dockerd".into(),
            hint: "apt-get install docker.io (needs root)",
            source,
        })?;
        p.child = Some(child);
        let not_ready = |reason: String| Error::NotReady {
            what: format!("private dockerd on {}", p.socket.display()),
            reason,
            log_tail: log_tail(&log_path, 25),
        };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            let last = match ping(&self.host) {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if let Some(child) = &mut p.child
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(not_ready(format!("dockerd exited with {status}")));
            }
            if Instant::now() > deadline {
                return Err(not_ready(format!(
                    "no answer to /_ping within {START_DEADLINE:?}: {last}"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DockerDaemon {
    fn drop(&mut self) {
        // Containers left running by `stop_keeping_containers` are removed through the engine.
        if self.private.as_ref().is_some_and(|p| p.kept) {
            let _ = self.restart();
        }
        if let Some(p) = &mut self.private {
            p.stop(true);
        }
    }
}

impl PrivateDaemon {
    /// Stops dockerd (after removing its containers when `purge`), then whatever of its
    /// containerd and shims is left, found by our unique exec-root path.
    fn stop(&mut self, purge: bool) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let host = format!("unix://{}", self.socket.display());
        if purge && ping(&host).is_ok() {
            remove_all_containers(&host);
            // User-defined networks (compose's) have a bridge in the kernel that dockerd does not remove when it
            // exits: left behind, they pile up over runs until no address pool is free for the next network.
            let _ = Command::new("docker")
                .env("DOCKER_HOST", &host)
                .args(["network", "prune", "-f"])
                .output();
        }
        terminate(&mut child);
        let exec_root = self.dir.path().join("exec");
        for pid in pids_mentioning(&exec_root.to_string_lossy()) {
            if alive(pid) {
                signal(pid, "KILL");
            }
        }
        // A `--live-restore` daemon leaves its data root mounted on exit (for the containers it keeps):
        // without this the temp dir could not be removed. Elsewhere there is nothing to unmount.
        if purge {
            let _ = Command::new("umount")
                .arg(self.dir.path().join("data"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// SIGTERM to `dockerd`, then SIGKILL if it has not exited within [`STOP_DEADLINE`]; reaps it.
fn terminate(child: &mut std::process::Child) {
    signal(child.id(), "TERM");
    let deadline = Instant::now() + STOP_DEADLINE;
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    if matches!(child.try_wait(), Ok(None)) {
        let _ = child.kill();
    }
    let _ = child.wait();
}

/// `docker rm -f` of every container of the engine at `host` (only ever a private one).
fn remove_all_containers(host: &str) {
    let ids = Command::new("docker")
        .env("DOCKER_HOST", host)
        .args(["ps", "-aq"])
        .output();
    let Ok(out) = ids else { return };
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    if !ids.is_empty() {
        let _ = Command::new("docker")
            .env("DOCKER_HOST", host)
            .args(["rm", "-f"])
            .args(&ids)
            .output();
    }
}

fn temp_dir() -> Result<tempfile::TempDir> {
    // Short path under /tmp: unix socket paths are limited to 108 bytes.
    tempfile::Builder::new()
        .prefix("kd-docker-")
        .tempdir_in("/tmp")
        .map_err(|source| io_err("temp dir for dockerd", source))
}

fn io_err(what: &str, source: std::io::Error) -> Error {
    Error::Io {
        what: what.into(),
        source,
    }
}

/// `GET /_ping` on a `unix://` or `tcp://` engine; `Err(reason)` unless it says `OK`.
pub(crate) fn ping(host: &str) -> std::result::Result<(), String> {
    const REQ: &[u8] = b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";
    let timeout = Some(Duration::from_secs(2));
    let mut buf = Vec::new();
    let read = if let Some(path) = host.strip_prefix("unix://") {
        let mut s = UnixStream::connect(path).map_err(|e| format!("connect {path}: {e}"))?;
        s.set_read_timeout(timeout).map_err(|e| e.to_string())?;
        s.write_all(REQ).and_then(|()| s.read_to_end(&mut buf))
    } else if let Some(addr) = host.strip_prefix("tcp://") {
        let mut s = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
        s.set_read_timeout(timeout).map_err(|e| e.to_string())?;
        s.write_all(REQ).and_then(|()| s.read_to_end(&mut buf))
    } else {
        return Err(format!("unsupported DOCKER_HOST {host}"));
    };
    read.map_err(|e| format!("ping {host}: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    if text.starts_with("HTTP/1.") && text.contains(" 200 ") && text.ends_with("OK") {
        Ok(())
    } else {
        Err(format!(
            "unexpected /_ping answer: {}",
            text.lines().next().unwrap_or("")
        ))
    }
}
