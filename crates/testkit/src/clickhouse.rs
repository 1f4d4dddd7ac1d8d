//! A private ClickHouse: the real engine, chDB (PyPI `chdb`, the version KATO's recordings were made with), behind
//! ClickHouse's HTTP interface (`chdb_http_server.py` next to this crate's `Cargo.toml`, run by the test venv's
//! Python) on a free loopback port, killed on drop. chDB is installed into the same venv as `nx-27017`
//! ([`crate::venv_dir`]) on first use.
//!
//! [`ClickHouseServer::start_with_kato_fixture`] loads KATO c584167's schema (`schema-from-kato.sql`, KATO's own
//! `init.sql`) and its 440 rows of `kato.patterns_data`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixtures::kato_fixtures_dir;
use crate::mongo::{ensure_in_venv, venv_dir};
use crate::process::log_tail;
use crate::{Error, Result};

/// The chDB KATO's recordings were made with (`stores-c584167/README.md`).
const CHDB: &str = "chdb==4.4.0";
const CHDB_VERSION: &str = "4.4.0";
/// The server script, written next to its data so a test binary moved elsewhere still has it.
const SCRIPT: &str = include_str!("../chdb_http_server.py");
const START_DEADLINE: Duration = Duration::from_secs(90);

/// How to start the server.
#[derive(Debug, Clone, Default)]
pub struct ClickHouseOptions {
    /// Load KATO c584167's schema and `patterns_data` rows.
    pub kato_fixture: bool,
    /// Require this password of user `default` (unset: any credentials pass, as a default ClickHouse does).
    pub password: Option<String>,
}

/// A running chDB behind ClickHouse's HTTP interface.
#[derive(Debug)]
pub struct ClickHouseServer {
    port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

/// Installs chDB into the test venv unless it is there; returns the venv's Python.
pub fn ensure_chdb() -> Result<PathBuf> {
    let python = venv_dir().join("bin/python");
    let installed = || {
        Command::new(venv_dir().join("bin/python"))
            .args([
                "-c",
                "import importlib.metadata as m; print(m.version('chdb'))",
            ])
            .output()
            .is_ok_and(|o| {
                o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == CHDB_VERSION
            })
    };
    ensure_in_venv(CHDB, "chdb", installed)?;
    Ok(python)
}

impl ClickHouseServer {
    /// An empty server (databases `default` and `system` only).
    pub fn start() -> Result<Self> {
        Self::start_with(&ClickHouseOptions::default())
    }

    /// A server holding KATO c584167's `kato` database: its schema and the 440 recorded pattern rows.
    pub fn start_with_kato_fixture() -> Result<Self> {
        Self::start_with(&ClickHouseOptions {
            kato_fixture: true,
            ..Default::default()
        })
    }

    /// A server as `options` say; waits until it answers.
    pub fn start_with(options: &ClickHouseOptions) -> Result<Self> {
        let python = ensure_chdb()?;
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            what: "temp dir for chDB".into(),
            source,
        })?;
        let io = |what: &str| {
            let what = what.to_owned();
            move |source| Error::Io { what, source }
        };
        let script = dir.path().join("chdb_http_server.py");
        std::fs::write(&script, SCRIPT).map_err(io("write chdb_http_server.py"))?;
        let log_path = dir.path().join("server.log");
        let log = std::fs::File::create(&log_path).map_err(io("chDB server log"))?;
        let log2 = log.try_clone().map_err(io("chDB server log"))?;
        let port_file = dir.path().join("port");
        let mut cmd = Command::new(&python);
        cmd.arg(&script)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--port-file")
            .arg(&port_file);
        if options.kato_fixture {
            let stores = kato_fixtures_dir().join("stores-c584167");
            cmd.arg("--schema")
                .arg(stores.join("schema-from-kato.sql"))
                .arg("--load")
                .arg(format!(
                    "kato.patterns_data={}",
                    stores.join("clickhouse/kato.patterns_data.jsonl").display()
                ));
        }
        if let Some(password) = &options.password {
            cmd.args(["--password", password]);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|source| Error::Spawn {
                program: python.display().to_string(),
                hint: "the test venv's Python with chdb",
                source,
            })?;
        let mut server = Self {
            port: 0,
            child,
            dir,
        };
        let deadline = Instant::now() + START_DEADLINE;
        loop {
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|p| p.trim().parse().ok())
            {
                server.port = port;
                return Ok(server);
            }
            let exited = server.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() > deadline {
                return Err(Error::NotReady {
                    what: "chDB ClickHouse HTTP server".into(),
                    reason: match exited {
                        Some(status) => format!("it exited with {status}"),
                        None => format!("not ready within {START_DEADLINE:?}"),
                    },
                    log_tail: log_tail(&log_path, 30),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs `sql` (POST, as user `default` with `password` if given) and returns the answer's body as text,
    /// or the server's error text. For tests that look at the data behind the dashboard's back.
    pub fn query(&self, sql: &str, password: Option<&str>) -> Result<String> {
        let io = |source| Error::Io {
            what: format!("query chDB on 127.0.0.1:{}", self.port),
            source,
        };
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(io)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(io)?;
        let key = password
            .map(|p| format!("X-ClickHouse-User: default\r\nX-ClickHouse-Key: {p}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{key}Content-Length: {}\r\n\r\n{sql}",
            sql.len()
        );
        stream.write_all(request.as_bytes()).map_err(io)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).map_err(io)?;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        if head.starts_with("HTTP/1.1 200") {
            Ok(body.to_owned())
        } else {
            Err(Error::Command {
                command: format!("chDB: {sql}"),
                status: head.lines().next().unwrap_or_default().to_owned(),
                stderr: body.trim().to_owned(),
            })
        }
    }

    /// The server's log (its stdout and stderr), for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.dir.path().join("server.log"), 30)
    }
}

impl Drop for ClickHouseServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
