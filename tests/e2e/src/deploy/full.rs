//! The full multi-stage build of the Dockerfile (`./dashboard.sh build --docker` with the local builder base),
//! run by the deploy test only when one of its inputs changed since the last successful one.
//!
//! Inputs: `Dockerfile`, `.dockerignore`, `dashboard.sh`, `Cargo.lock` and every `Cargo.toml` of the workspace;
//! their hash keys a stamp, `~/.cache/kato-dashboard/deploy-full-build.json`, written after a successful build with
//! what it measured (duration, image sizes). Every attempt, failed or not, is appended to
//! `deploy-full-build.log` next to it. Source changes alone do not rerun it: the prebuilt-artifacts build of every
//! test run covers what the image does with them.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::{
    Engine, cache_dir, dashboard_sh,
    image::{RUNTIME_BASE, RUST_BASE},
    output, repo_root,
};

/// The stamp of the last successful full build.
pub fn stamp_path() -> anyhow::Result<PathBuf> {
    Ok(cache_dir()?.join("deploy-full-build.json"))
}

fn log_path() -> anyhow::Result<PathBuf> {
    Ok(cache_dir()?.join("deploy-full-build.log"))
}

/// The build's input files, relative to the repository, sorted.
pub fn inputs() -> anyhow::Result<Vec<PathBuf>> {
    let root = repo_root();
    let mut files: Vec<PathBuf> = ["Dockerfile", ".dockerignore", "dashboard.sh", "Cargo.lock"]
        .iter()
        .map(PathBuf::from)
        .collect();
    collect_manifests(&root, Path::new(""), &mut files)?;
    files.sort();
    files.dedup();
    Ok(files)
}

/// Every `Cargo.toml` below `root/rel`, skipping build output, VCS and run folders.
fn collect_manifests(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let dir = root.join(rel);
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let rel = rel.join(&name);
        if entry.file_type()?.is_dir() {
            let skip = [".git", "target", "dist", ".run", "node_modules", "fixtures"];
            if !skip.iter().any(|s| name == *s) {
                collect_manifests(root, &rel, out)?;
            }
        } else if name == "Cargo.toml" {
            out.push(rel);
        }
    }
    Ok(())
}

/// sha256 over the inputs' sha256 lines (`sha256sum`, coreutils).
pub fn inputs_hash() -> anyhow::Result<String> {
    let files = inputs()?;
    let listing = output(
        Command::new("sha256sum")
            .args(&files)
            .current_dir(repo_root()),
    )?;
    let mut sum = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("sha256sum")?;
    sum.stdin
        .take()
        .context("sha256sum stdin")?
        .write_all(&listing.stdout)?;
    let out = sum.wait_with_output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .next()
        .map(str::to_owned)
        .context("sha256sum printed nothing")
}

/// The stamp's record when it is for these inputs (the full build is then up to date).
pub fn up_to_date(hash: &str) -> anyhow::Result<Option<Value>> {
    let path = stamp_path()?;
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let record: Value =
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    Ok((record["inputs"] == hash).then_some(record))
}

/// Appends `record` to the log, and writes it as the stamp when `record["ok"]` is true.
pub fn record(record: &Value) -> anyhow::Result<()> {
    let dir = cache_dir()?;
    std::fs::create_dir_all(&dir)?;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path()?)?;
    writeln!(log, "{record}")?;
    if record["ok"] == true {
        let path = stamp_path()?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(record)?)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(())
}

/// `./dashboard.sh build --docker` into `tag`: the Dockerfile's build stage on the local builder base (crates from
/// the Rust package registry through the host network: the private engine has no default bridge), the runtime stage on the local
/// runtime base. Its duration; the error carries the build log's tail.
pub fn build(engine: &Engine, tag: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let result = output(&mut dashboard_sh(
        &["build", "--docker"],
        &[
            ("DOCKER_HOST", engine.host()),
            ("KATO_DASHBOARD_IMAGE", tag),
            ("RUST_IMAGE", RUST_BASE),
            ("RUNTIME_IMAGE", RUNTIME_BASE),
            ("DOCKER_BUILD_NETWORK", "host"),
        ],
    ));
    let took = started.elapsed();
    match result {
        Ok(_) => Ok(took),
        Err(e) => bail!(
            "the full build failed after {:.0} s: {e:#}",
            took.as_secs_f64()
        ),
    }
}

/// What a record says about the toolchain that built it.
pub fn toolchain() -> String {
    Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// A record of one attempt.
pub fn attempt(hash: &str, ok: bool, took: Duration, extra: Value) -> Value {
    let mut record = json!({
        "inputs": hash,
        "ok": ok,
        "seconds": (took.as_secs_f64() * 10.0).round() / 10.0,
        "rustc": toolchain(),
        "finished_unix": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default(),
    });
    if let (Some(obj), Value::Object(more)) = (record.as_object_mut(), extra) {
        obj.extend(more);
    }
    record
}
