//! Harness of the deploy test (`tests/deploy.rs`): the image built with the real `Dockerfile` and run, alone and
//! with `docker-compose.yml` through `./dashboard.sh … --docker`, on a private Docker engine.
//!
//! * [`engine`]: the private engine (testkit's `dockerd`) behind a forwarding guard, and the `docker` CLI calls.
//! * [`image`]: the local base images (`tests/deploy/base-images.sh`), the prebuilt-artifacts build context, image
//!   sizes.
//! * [`full`]: the full multi-stage build, rerun only when its inputs changed (a stamp in the cache).
//!
//! Process calls are blocking `std::process` calls; every wait has a deadline and fails with what it waited for.

pub mod engine;
pub mod full;
pub mod image;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};

pub use engine::Engine;

/// The workspace root (the clone).
pub fn repo_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// The project's cache folder: `KATO_DASHBOARD_CACHE`, else `~/.cache/kato-dashboard` (as in dashboard.sh).
pub fn cache_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("KATO_DASHBOARD_CACHE") {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    Ok(PathBuf::from(home).join(".cache/kato-dashboard"))
}

/// Runs `cmd` to completion; its stdout (trimmed), or an error with the command, status and stderr.
pub fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = output(cmd)?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs `cmd` to completion and fails unless it exits 0; the whole output.
pub fn output(cmd: &mut Command) -> anyhow::Result<Output> {
    let shown = describe(cmd);
    let out = cmd
        .output()
        .with_context(|| format!("cannot run `{shown}`"))?;
    if !out.status.success() {
        bail!(
            "`{shown}` failed ({}):\n{}{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stdout), 40),
            tail(&String::from_utf8_lossy(&out.stderr), 60)
        );
    }
    Ok(out)
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[lines.len().saturating_sub(n)..].join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `./dashboard.sh ARGS…` of this clone, with the environment of the caller's choice added.
pub fn dashboard_sh(args: &[&str], env: &[(&str, &str)]) -> Command {
    let root = repo_root();
    let mut cmd = Command::new(root.join("dashboard.sh"));
    cmd.args(args).current_dir(&root);
    // Nothing of the caller's shell may redirect compose or the build elsewhere.
    for var in [
        "COMPOSE_PROJECT_NAME",
        "COMPOSE_FILE",
        "COMPOSE_PROFILES",
        "DOCKER_CONTEXT",
        "DOCKER_GID",
        "RUST_IMAGE",
        "RUNTIME_IMAGE",
        "ARTIFACTS",
        "DOCKER_BUILD_NETWORK",
        "KATO_NETWORK",
        "DASHBOARD_BIND",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd
}

/// Phase timings, printed as they end and summed up at the end of a test.
#[derive(Debug)]
pub struct Phases {
    started: Instant,
    last: Instant,
    done: Vec<(String, Duration)>,
}

impl Default for Phases {
    fn default() -> Self {
        Self::new()
    }
}

impl Phases {
    pub fn new() -> Self {
        let now = Instant::now();
        Self {
            started: now,
            last: now,
            done: Vec::new(),
        }
    }

    /// Ends the phase that started at the previous lap; returns its duration.
    pub fn lap(&mut self, name: &str) -> Duration {
        let now = Instant::now();
        let took = now - self.last;
        self.last = now;
        eprintln!("phase {name}: {:.1} s", took.as_secs_f64());
        self.done.push((name.to_owned(), took));
        took
    }

    /// One line per phase and the total.
    pub fn summary(&self) -> String {
        let mut out: String = self
            .done
            .iter()
            .map(|(name, took)| format!("  {name:<28} {:>7.1} s\n", took.as_secs_f64()))
            .collect();
        out.push_str(&format!(
            "  {:<28} {:>7.1} s\n",
            "total",
            self.started.elapsed().as_secs_f64()
        ));
        out
    }
}

/// Polls `probe` every 100 ms (blocking) until it returns `Some`, failing with `what` after `within`.
pub fn poll<T>(
    within: Duration,
    what: &str,
    mut probe: impl FnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + within;
    let mut last_error = None;
    loop {
        match probe() {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if Instant::now() >= deadline {
            let context = format!("timed out after {within:?} waiting for {what}");
            return Err(match last_error {
                Some(e) => e.context(context),
                None => anyhow::anyhow!(context),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Copies the folder `from` into `to` (created), files and subfolders, following no symlinks.
pub fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("mkdir {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}
