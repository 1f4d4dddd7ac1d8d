//! The real KATO, run with the launchers of `KATO_SRC_DIR` (`start.sh`, `stop.sh`: stopped by the PID they record,
//! never by name), and the few KATO API calls the checks make (each timed: when it was sent, when KATO answered).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

/// A KATO generation under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// d1391ac, API "1.0.0" (MongoDB era), Redis DB 0.
    V1,
    /// c584167, v3.10.1 (ClickHouse era), Redis DB 1.
    V3,
}

impl Version {
    /// `v1` / `v3`.
    pub fn label(self) -> &'static str {
        match self {
            Version::V1 => "v1",
            Version::V3 => "v3",
        }
    }

    /// The commit the archive holds (also the launchers' `ONLY` value).
    pub fn commit(self) -> &'static str {
        match self {
            Version::V1 => "d1391ac",
            Version::V3 => "c584167",
        }
    }

    /// The Redis database `start.sh` gives it.
    pub fn redis_db(self) -> u8 {
        match self {
            Version::V1 => 0,
            Version::V3 => 1,
        }
    }
}

/// The files of `KATO_SRC_DIR` this check uses; `check` says what is missing.
pub fn check_src_dir(src: &Path) -> Result<()> {
    let need = [
        "start.sh",
        "stop.sh",
        "setup.sh",
        "run_kato_d1391ac.py",
        "run_kato_c584167.py",
        "kato-d1391ac.tar.gz",
        "kato-c584167.tar.gz",
    ];
    let missing: Vec<&str> = need
        .iter()
        .copied()
        .filter(|f| !src.join(f).is_file())
        .collect();
    if !missing.is_empty() {
        bail!(
            "KATO_SRC_DIR={} is not KATO's source folder (missing: {}); point it at the folder with KATO's \
             archives and launchers (the repository keeps them in tests/real-kato/kato-src)",
            src.display(),
            missing.join(", ")
        );
    }
    Ok(())
}

/// The result of a timed call.
#[derive(Debug, Clone)]
pub struct Timed {
    pub status: u16,
    pub body: Value,
    pub sent: Instant,
    pub answered: Instant,
}

/// One KATO, started and stopped with the launchers, on its own port, with the shared private Redis.
#[derive(Debug, Clone)]
pub struct Kato {
    pub version: Version,
    pub port: u16,
    pub redis_port: u16,
    /// The port of the other generation (the launchers want both).
    pub other_port: u16,
    pub src: PathBuf,
    pub work: PathBuf,
    http: reqwest::Client,
}

impl Kato {
    pub fn new(
        version: Version,
        port: u16,
        other_port: u16,
        redis_port: u16,
        src: &Path,
        work: &Path,
    ) -> Result<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(20))
            .build()?;
        Ok(Self {
            version,
            port,
            other_port,
            redis_port,
            src: src.to_owned(),
            work: work.to_owned(),
            http,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The Redis KATO uses: `redis://127.0.0.1:<port>/<db>`.
    pub fn redis_url(&self) -> String {
        format!(
            "redis://127.0.0.1:{}/{}",
            self.redis_port,
            self.version.redis_db()
        )
    }

    /// Where c584167 keeps its chDB data (kept across restarts, served to the dashboard for the KB check).
    pub fn chdb_path(&self) -> PathBuf {
        self.work.join("chdb-c584167")
    }

    /// KATO's log file (written by `start.sh`).
    pub fn log_path(&self) -> PathBuf {
        self.work
            .join("logs")
            .join(format!("kato-{}.log", self.version.commit()))
    }

    /// The PID `start.sh` recorded, while the file is there.
    pub fn pid(&self) -> Option<u32> {
        let file = self
            .work
            .join(format!("kato-{}.pid", self.version.commit()));
        std::fs::read_to_string(file).ok()?.trim().parse().ok()
    }

    fn launcher(&self, script: &str) -> tokio::process::Command {
        let (p1, p3) = match self.version {
            Version::V1 => (self.port, self.other_port),
            Version::V3 => (self.other_port, self.port),
        };
        let mut cmd = tokio::process::Command::new("bash");
        cmd.arg(self.src.join(script))
            .current_dir(&self.work)
            .env_clear()
            .envs(crate::kept_env())
            .env("WORK", &self.work)
            .env("REDIS_PORT", self.redis_port.to_string())
            .env("PORT_V1", p1.to_string())
            .env("PORT_V3", p3.to_string())
            .env("ONLY", self.version.commit())
            .env("CHDB_PATH", self.chdb_path())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        cmd
    }

    /// `start.sh` (redis-server too, when nothing answers on the Redis port); waits for its `/health`.
    pub async fn start(&self) -> Result<Duration> {
        let started = Instant::now();
        let out =
            tokio::time::timeout(Duration::from_secs(150), self.launcher("start.sh").output())
                .await
                .context("start.sh did not finish within 150 s")??;
        if !out.status.success() {
            bail!(
                "start.sh ONLY={} failed ({}): {}{}\n--- KATO log ---\n{}",
                self.version.commit(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                crate::log_tail(&self.log_path(), 20)
            );
        }
        Ok(started.elapsed())
    }

    /// `stop.sh ONLY=<commit>`: SIGTERM to the PID `start.sh` recorded, then waits for it to exit (up to 5 s).
    pub async fn stop(&self) -> Result<Option<u32>> {
        let pid = self.pid();
        let out = tokio::time::timeout(Duration::from_secs(30), self.launcher("stop.sh").output())
            .await
            .context("stop.sh did not finish within 30 s")??;
        if !out.status.success() {
            bail!(
                "stop.sh ONLY={} failed: {}",
                self.version.commit(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(pid)
    }

    /// One timed request; `body` is sent as JSON when given.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Timed> {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base()));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let sent = Instant::now();
        let resp = req
            .send()
            .await
            .with_context(|| format!("KATO {method} {path}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let answered = Instant::now();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Timed {
            status,
            body,
            sent,
            answered,
        })
    }

    /// `GET path` → JSON (any status).
    pub async fn get(&self, path: &str) -> Result<Timed> {
        self.call(reqwest::Method::GET, path, None).await
    }

    /// `POST /sessions`; the new session's id.
    pub async fn create_session(
        &self,
        node: &str,
        ttl_seconds: Option<u64>,
    ) -> Result<(String, Timed)> {
        let mut body = json!({"node_id": node, "metadata": {"created_by": "kato-real-check"}});
        if let Some(ttl) = ttl_seconds {
            body["ttl_seconds"] = json!(ttl);
        }
        let t = self
            .call(reqwest::Method::POST, "/sessions", Some(body))
            .await?;
        let id = t.body["session_id"].as_str().map(str::to_owned);
        match (t.status, id) {
            (200, Some(id)) => Ok((id, t)),
            (status, _) => bail!("KATO POST /sessions answered {status}: {}", t.body),
        }
    }

    /// `DELETE /sessions/{id}` (must answer 200).
    pub async fn delete_session(&self, id: &str) -> Result<Timed> {
        let t = self
            .call(reqwest::Method::DELETE, &format!("/sessions/{id}"), None)
            .await?;
        if t.status != 200 {
            bail!(
                "KATO DELETE /sessions/{id} answered {}: {}",
                t.status,
                t.body
            );
        }
        Ok(t)
    }

    /// `POST /sessions/{id}/observe` with these strings (must answer 200).
    pub async fn observe(&self, id: &str, strings: &[&str]) -> Result<()> {
        let body = json!({ "strings": strings });
        let t = self
            .call(
                reqwest::Method::POST,
                &format!("/sessions/{id}/observe"),
                Some(body),
            )
            .await?;
        if t.status != 200 {
            bail!("KATO observe answered {}: {}", t.status, t.body);
        }
        Ok(())
    }

    /// `POST /sessions/{id}/learn`: the learned pattern's bare name (without `PTRN|`).
    pub async fn learn(&self, id: &str) -> Result<String> {
        let t = self
            .call(
                reqwest::Method::POST,
                &format!("/sessions/{id}/learn"),
                None,
            )
            .await?;
        let name = t.body["pattern_name"]
            .as_str()
            .map(|n| n.trim_start_matches("PTRN|").to_owned());
        match (t.status, name) {
            (200, Some(n)) if !n.is_empty() => Ok(n),
            (status, _) => bail!("KATO learn answered {status}: {}", t.body),
        }
    }
}
