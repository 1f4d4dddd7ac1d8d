//! `kato-real-check`: the dashboard against the real KATO, both generations, end to end (`./dashboard.sh
//! test-real-kato` builds and runs it; see `docs/real-kato.md`).
//!
//! KATO comes from `KATO_SRC_DIR` (its archives and launchers); the trees and Python venvs its `setup.sh` made are
//! in `--cache` and are linked into a fresh temporary WORK folder, so each run has its own pids, logs and chDB
//! data. Everything listens on 127.0.0.1 on free ports: a private redis-server (started by KATO's `start.sh`),
//! KATO d1391ac and c584167, the `kato-dashboard` binary. The whole run is bounded (`--time-limit-seconds`); on
//! any exit, Ctrl-C and SIGTERM included, KATO and Redis are stopped by the PIDs the launchers recorded. Exit 0
//! only if every check passed.

mod checks;
mod dashboard;
mod json_diff;
mod kato;
mod redis_keys;
mod report;
mod ws;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::kato::{Kato, Version};
use crate::report::Report;

/// The dashboard against the real KATO (1.x d1391ac and 3.x c584167).
#[derive(Debug, Parser)]
struct Args {
    /// KATO's source folder: its archives and `setup.sh`/`start.sh`/`stop.sh`.
    #[arg(long, env = "KATO_SRC_DIR")]
    kato_src: PathBuf,
    /// Where `setup.sh` made the KATO trees and venvs (its WORK).
    #[arg(long)]
    cache: PathBuf,
    /// The `kato-dashboard` binary to test.
    #[arg(long)]
    dashboard_bin: PathBuf,
    /// `v1`, `v3` or `both`.
    #[arg(long, default_value = "both")]
    only: String,
    /// The dashboard's `SESSION_RECONCILE_INTERVAL_SECONDS`.
    #[arg(long, default_value_t = 2.0)]
    reconcile_seconds: f64,
    /// The dashboard's `KATO_STATS_INTERVAL_SECONDS`.
    #[arg(long, default_value_t = 2.0)]
    stats_seconds: f64,
    /// The whole run's time limit.
    #[arg(long, default_value_t = 900)]
    time_limit_seconds: u64,
    /// Keep the temporary WORK folder (logs) even when every check passed.
    #[arg(long)]
    keep_work: bool,
}

/// The last `n` lines of a log file.
pub fn log_tail(path: &Path, n: usize) -> String {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| format!("({}: {e})", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The only variables of the caller's environment the dashboard and KATO's launchers get: what finds programs and
/// temporary folders. Everything else they read is set by this checker.
pub fn kept_env() -> Vec<(String, String)> {
    ["PATH", "HOME", "TMPDIR", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect()
}

/// Stops whatever the launchers started in WORK (KATO and Redis, by their recorded PIDs), whichever way the run ends.
struct Cleanup {
    src: PathBuf,
    work: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(self.src.join("stop.sh"))
            .env_clear()
            .envs(kept_env())
            .env("WORK", &self.work)
            .current_dir(&self.work)
            .stdout(std::process::Stdio::null())
            .status();
    }
}

/// A temporary WORK folder with the cached trees and venvs linked in.
fn make_work(cache: &Path) -> Result<tempfile::TempDir> {
    let work = tempfile::Builder::new().prefix("kato-real-").tempdir()?;
    for c in ["d1391ac", "c584167"] {
        let (tree, venv) = (
            cache.join(format!("kato-{c}")),
            cache.join(format!("venv-{c}")),
        );
        if !tree.join("kato").is_dir() || !venv.join("bin/python").exists() {
            bail!(
                "{} has no KATO tree and venv for {c}: run KATO's setup.sh with WORK={} first (./dashboard.sh \
                 test-real-kato does)",
                cache.display(),
                cache.display()
            );
        }
        std::os::unix::fs::symlink(&tree, work.path().join(format!("kato-{c}")))?;
        std::os::unix::fs::symlink(&venv, work.path().join(format!("venv-{c}")))?;
    }
    Ok(work)
}

/// Three distinct free loopback ports, none of the host's defaults.
fn ports() -> Result<[u16; 3]> {
    let mut got: Vec<u16> = Vec::new();
    while got.len() < 3 {
        let p = kato_dashboard_testkit::free_port()?;
        if ![3000, 6379, 8000].contains(&p) && !got.contains(&p) {
            got.push(p);
        }
    }
    Ok([got[0], got[1], got[2]])
}

async fn run(args: &Args, report: &Report, work: &Path) -> Result<()> {
    let versions = match args.only.as_str() {
        "v1" => vec![Version::V1],
        "v3" => vec![Version::V3],
        "both" => vec![Version::V1, Version::V3],
        other => bail!("--only must be v1, v3 or both, not {other}"),
    };
    let [redis_port, p1, p3] = ports()?;
    println!(
        "WORK {} (trees and venvs linked from {})",
        work.display(),
        args.cache.display()
    );
    println!("ports (127.0.0.1): redis-server {redis_port}, KATO d1391ac {p1}, KATO c584167 {p3}");
    let settings = checks::Settings {
        bin: args.dashboard_bin.clone(),
        reconcile: args.reconcile_seconds,
        stats_interval: args.stats_seconds,
    };
    for version in versions {
        let (port, other) = match version {
            Version::V1 => (p1, p3),
            Version::V3 => (p3, p1),
        };
        let kato = Kato::new(version, port, other, redis_port, &args.kato_src, work)?;
        let started = Instant::now();
        if let Err(e) = checks::run_version(kato.clone(), &settings, report).await {
            report.check(version.label(), "setup", false, format!("{e:#}"));
            let _ = kato.stop().await;
        }
        println!(
            "   {} done in {:.0} s",
            version.label(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Resolves on SIGTERM (never, if the handler cannot be installed).
async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = kato::check_src_dir(&args.kato_src) {
        eprintln!("error: {e:#}");
        return ExitCode::from(2);
    }
    if !args.dashboard_bin.is_file() {
        eprintln!(
            "error: no kato-dashboard binary at {}",
            args.dashboard_bin.display()
        );
        return ExitCode::from(2);
    }
    let work = match make_work(&args.cache).context("temporary WORK folder") {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    println!(
        "kato-real-check {} — dashboard {} against the real KATO from {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC"),
        args.dashboard_bin.display(),
        args.kato_src.display()
    );
    let report = Report::default();
    let outcome = {
        let _cleanup = Cleanup {
            src: args.kato_src.clone(),
            work: work.path().to_owned(),
        };
        let limit = Duration::from_secs(args.time_limit_seconds);
        tokio::select! {
            r = tokio::time::timeout(limit, run(&args, &report, work.path())) => match r {
                Ok(r) => r,
                Err(_) => Err(anyhow::anyhow!("time limit of {} s reached", args.time_limit_seconds)),
            },
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted (SIGINT)")),
            _ = terminated() => Err(anyhow::anyhow!("terminated (SIGTERM)")),
        }
    };
    if let Err(e) = &outcome {
        report.check("-", "run", false, format!("{e:#}"));
    }
    println!("\n{}", report.table());
    println!("total time {:.0} s", started.elapsed().as_secs_f64());
    let passed = report.all_passed();
    if args.keep_work || !passed {
        let kept = work.keep();
        println!("logs kept in {}", kept.display());
    }
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
