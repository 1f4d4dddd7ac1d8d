//! The dashboard under test as the real `kato-dashboard` binary in a child process, so that its resident memory
//! and open file descriptors (read from `/proc/<pid>/`) are its own and nothing of the test's: the simulator,
//! the clients and the fault injector all live in the test process. Its stdout and stderr go to one log file
//! that is scanned for panics at the end.

use std::{
    fs::File,
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    time::Duration,
};

/// The running binary.
pub struct DashProc {
    child: Child,
    /// Its HTTP and `/ws` port on 127.0.0.1.
    pub port: u16,
    /// Its process id.
    pub pid: u32,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// A reading of the process's resources.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Open file descriptors (`/proc/<pid>/fd`).
    pub fds: usize,
    /// Resident set size in KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size in KiB so far (`VmHWM`).
    pub hwm_kib: u64,
    /// Threads.
    pub threads: u64,
}

impl DashProc {
    /// Starts the binary with only `env` (plus `HOST`, `PORT`, `DATA_DIR`), in an empty working folder so that no
    /// `.env` or configuration file of the checkout is read.
    pub fn start(env: &[(&str, String)]) -> Result<DashProc, String> {
        let dir = tempfile::Builder::new()
            .prefix("kd-soak-dash-")
            .tempdir()
            .map_err(|e| format!("temp dir for the dashboard: {e}"))?;
        let port = kato_dashboard_testkit::free_port().map_err(|e| e.to_string())?;
        let log = dir.path().join("dashboard.log");
        let out = File::create(&log).map_err(|e| format!("dashboard log: {e}"))?;
        let err = out.try_clone().map_err(|e| format!("dashboard log: {e}"))?;
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).map_err(|e| format!("data dir: {e}"))?;
        let child = Command::new(env!("CARGO_BIN_EXE_kato-dashboard"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("DATA_DIR", &data)
            .env("RUST_BACKTRACE", "1")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start kato-dashboard: {e}"))?;
        let pid = child.id();
        Ok(DashProc {
            child,
            port,
            pid,
            log,
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// `ws://127.0.0.1:<port>/ws`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until `/api/v1/health` answers 200, failing early if the process exits.
    pub async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        within: Duration,
    ) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if !self.running() {
                return Err(format!(
                    "kato-dashboard exited at start:\n{}",
                    self.log_tail(30)
                ));
            }
            if let Ok(r) = http.get(self.url("/api/v1/health")).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "kato-dashboard not serving after {within:?}:\n{}",
                    self.log_tail(30)
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Its current resources.
    pub fn usage(&self) -> Usage {
        usage_of(self.pid)
    }

    /// The whole log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its last `n` lines.
    pub fn log_tail(&self, n: usize) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Lines that report a panic (the default hook prints `thread '…' panicked at …`).
    pub fn panics(&self) -> Vec<String> {
        self.log_text()
            .lines()
            .filter(|l| l.contains("panicked"))
            .map(str::to_owned)
            .collect()
    }

    /// SIGTERM, then waits up to `within` for the exit (SIGKILL after that): its exit status, `None` if it had to
    /// be killed.
    pub async fn stop(&mut self, within: Duration) -> Option<ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for DashProc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The resources of process `pid` (zeros once it is gone).
pub fn usage_of(pid: u32) -> Usage {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Usage {
        fds,
        rss_kib: field("VmRSS:"),
        hwm_kib: field("VmHWM:"),
        threads: field("Threads:"),
    }
}
