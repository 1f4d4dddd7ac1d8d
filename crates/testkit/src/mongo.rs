//! A private MongoDB-compatible server: `nx-27017` (PyPI; MongoDB wire protocol on SQLite) with in-memory
//! databases on a free loopback port, killed on drop. It is installed on first use into a venv under
//! `$HOME/.cache/kato-dashboard/venv` (`KATO_TEST_VENV` overrides; [`ensure_in_venv`] installs the other
//! Python test servers there too), and fixtures are loaded with the
//! `pymongo` that comes with it (Extended JSON kept exact: Int32 vs Double, ObjectIds).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::fixtures::kato_fixtures_dir;
use crate::process::{log_tail, run};
use crate::wait::free_port;
use crate::{Error, Result};

const START_DEADLINE: Duration = Duration::from_secs(30);
/// The version checked against the KATO dump (its README); `dashboard.sh` installs the same.
const NX_27017: &str = "nx-27017==0.8.1";
/// Longest wait for another test process's install.
const INSTALL_DEADLINE: Duration = Duration::from_secs(600);
/// Serialises the one-time venv install between the tests of one process.
static INSTALL: Mutex<()> = Mutex::new(());

/// Loads every `<database>/<collection>.json` (canonical Extended JSON arrays) below a folder.
const LOADER: &str = r#"
import os, sys
from bson import json_util
from pymongo import MongoClient
url, root = sys.argv[1], sys.argv[2]
client = MongoClient(url, serverSelectionTimeoutMS=10000)
total = 0
for db in sorted(os.listdir(root)):
    folder = os.path.join(root, db)
    if not os.path.isdir(folder):
        continue
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(folder, name)) as f:
            docs = json_util.loads(f.read())
        if docs:
            client[db][name[:-5]].insert_many(docs)
            total += len(docs)
print(total)
"#;

/// A running `nx-27017 --data-dir memory`.
#[derive(Debug)]
pub struct MongoServer {
    port: u16,
    child: Child,
    venv: PathBuf,
    _dir: tempfile::TempDir,
}

/// The venv holding `nx-27017`.
pub fn venv_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KATO_TEST_VENV") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache/kato-dashboard/venv")
}

/// Creates the venv and installs `nx-27017` unless it is already there.
pub fn ensure_nx27017() -> Result<PathBuf> {
    let program = venv_dir().join("bin/nx-27017");
    ensure_in_venv(NX_27017, "nx-27017", || program.exists())?;
    Ok(program)
}

/// Creates the venv (once) and `pip install`s `spec` into it unless `installed` says it is there; serialised
/// between the tests of a process and, by a lock directory next to the venv, between processes (nextest).
pub(crate) fn ensure_in_venv(spec: &str, what: &str, installed: impl Fn() -> bool) -> Result<()> {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if installed() {
        return Ok(());
    }
    let venv = venv_dir();
    let lock = venv.with_extension("installing");
    let _lock = DirLock::acquire(&lock)?;
    if installed() {
        return Ok(());
    }
    if !venv.join("bin/pip").exists() {
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "apt-get install python3 python3-venv",
        )?;
    }
    run(
        Command::new(venv.join("bin/pip")).args(["install", "--quiet", spec]),
        "pip needs PyPI to install the test servers",
    )?;
    if installed() {
        Ok(())
    } else {
        Err(Error::NotReady {
            what: what.into(),
            reason: format!(
                "pip install {spec} finished but {what} is not in {}",
                venv.display()
            ),
            log_tail: String::new(),
        })
    }
}

/// A directory used as a lock (`mkdir` is atomic); removed on drop. A lock older than the deadline is stale.
struct DirLock(PathBuf);

impl DirLock {
    fn acquire(path: &Path) -> Result<Self> {
        let start = Instant::now();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                what: format!("create {}", parent.display()),
                source,
            })?;
        }
        loop {
            match std::fs::create_dir(path) {
                Ok(()) => return Ok(Self(path.to_owned())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = std::fs::metadata(path)
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t.elapsed().unwrap_or_default() > INSTALL_DEADLINE);
                    if stale {
                        let _ = std::fs::remove_dir(path);
                    } else if start.elapsed() > INSTALL_DEADLINE {
                        return Err(Error::NotReady {
                            what: "test venv".into(),
                            reason: format!("{} is held by another install", path.display()),
                            log_tail: String::new(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(source) => {
                    return Err(Error::Io {
                        what: format!("create lock {}", path.display()),
                        source,
                    });
                }
            }
        }
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

impl MongoServer {
    /// Installs (if needed) and starts an empty server, waiting until it accepts connections.
    pub fn start() -> Result<Self> {
        Self::start_on(free_port()?)
    }

    /// The same on a given loopback port (the demo's MongoDB).
    pub fn start_on(port: u16) -> Result<Self> {
        let program = ensure_nx27017()?;
        let venv = venv_dir();
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            what: "temp dir for nx-27017".into(),
            source,
        })?;
        let log_path = dir.path().join("nx-27017.log");
        let stdout =
            std::fs::File::create(dir.path().join("stdout.log")).map_err(|source| Error::Io {
                what: "nx-27017 stdout log".into(),
                source,
            })?;
        let child = Command::new(&program)
            .args([
                "--host",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "--data-dir",
                "memory",
            ])
            .arg("--log-file")
            .arg(&log_path)
            .arg("--pid-file")
            .arg(dir.path().join("nx-27017.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stdout)
            .spawn()
            .map_err(|source| Error::Spawn {
                program: program.display().to_string(),
                hint: "pip install nx-27017 into the test venv",
                source,
            })?;
        let mut server = Self {
            port,
            child,
            venv,
            _dir: dir,
        };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(server);
            }
            let exited = server.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                let reason = match exited {
                    Some(status) => format!("nx-27017 exited with {status}"),
                    None => format!("port {port} not open within {START_DEADLINE:?}"),
                };
                return Err(Error::NotReady {
                    what: format!("nx-27017 on 127.0.0.1:{port}"),
                    reason,
                    log_tail: log_tail(&server._dir.path().join("stdout.log"), 20),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts a server loaded with the MongoDB dump of KATO d1391ac (`stores-d1391ac/mongodb`).
    pub fn start_with_kato_fixture() -> Result<Self> {
        let server = Self::start()?;
        server.load(&kato_fixtures_dir().join("stores-d1391ac/mongodb"))?;
        Ok(server)
    }

    /// Loads every `<database>/<collection>.json` below `root`; returns the number of documents inserted.
    pub fn load(&self, root: &Path) -> Result<u64> {
        if !root.is_dir() {
            return Err(Error::Io {
                what: format!("fixture folder {}", root.display()),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
            });
        }
        let out = run(
            Command::new(self.venv.join("bin/python"))
                .args(["-c", LOADER, &self.url()])
                .arg(root),
            "pymongo comes with nx-27017",
        )?;
        Ok(String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0))
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `mongodb://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("mongodb://127.0.0.1:{}", self.port)
    }
}

impl Drop for MongoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
