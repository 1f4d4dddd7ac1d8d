//! The image: local base images, the prebuilt-artifacts build context, the build itself and its size.
//!
//! The deploy test builds the runtime image with the real `Dockerfile` from artifacts this test run already has
//! (`ARTIFACTS=prebuilt`): the debug `kato-dashboard` and `kato-sim` of `$CARGO_TARGET_DIR/debug`, stripped into a
//! temp context, and the built web app (`frontend/dist`). BuildKit never runs the Dockerfile's build stage then,
//! so the image is ready in seconds; the full multi-stage build is [`super::full`].

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::SystemTime,
};

use anyhow::{Context, bail};

use super::{Engine, copy_dir, repo_root, run};

/// The runtime base made by `tests/deploy/base-images.sh` (glibc, libgcc_s, CA roots; no shell).
pub const RUNTIME_BASE: &str = "kato-dashboard-base/runtime:bookworm";
/// The builder base made by `tests/deploy/base-images.sh` (bookworm, build tools, this machine's Rust).
pub const RUST_BASE: &str = "kato-dashboard-base/rust:bookworm";

/// `tests/deploy/base-images.sh import KINDS…` into the engine (tarballs from the cache; made once when missing).
pub fn import_bases(engine: &Engine, kinds: &[&str]) -> anyhow::Result<()> {
    let script = repo_root().join("tests/deploy/base-images.sh");
    super::output(
        Command::new(&script)
            .arg("import")
            .args(kinds)
            .env("DOCKER_HOST", engine.host()),
    )
    .map(drop)
    .with_context(|| format!("{} import {}", script.display(), kinds.join(" ")))
}

/// `$CARGO_TARGET_DIR`, else the workspace's `target`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

/// The debug `kato-dashboard` and `kato-sim`. A workspace test run has built them; when one is missing or older
/// than a source of the workspace (a run of only this package), `cargo build` makes them first.
pub fn debug_binaries() -> anyhow::Result<[PathBuf; 2]> {
    let dir = target_dir().join("debug");
    let bins = ["kato-dashboard", "kato-sim"].map(|b| dir.join(b));
    let newest_source =
        newest_mtime(&repo_root().join("crates"))?.max(mtime(&repo_root().join("Cargo.lock"))?);
    let stale = bins
        .iter()
        .any(|b| !mtime(b).is_ok_and(|t| t >= newest_source));
    if stale {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        eprintln!(
            "building kato-dashboard and kato-sim (debug): missing or older than the sources in {}",
            dir.display()
        );
        run(Command::new(cargo)
            .args(["build", "--quiet", "--bins"])
            .args(["-p", "kato-dashboard-server", "-p", "kato-dashboard-sim"])
            .current_dir(repo_root()))?;
    }
    for bin in &bins {
        if !bin.is_file() {
            bail!("{} is missing after cargo build", bin.display());
        }
    }
    Ok(bins)
}

fn mtime(path: &Path) -> anyhow::Result<SystemTime> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .with_context(|| format!("mtime of {}", path.display()))
}

/// The newest modification time of a `.rs` or `Cargo.toml` file under `dir`.
fn newest_mtime(dir: &Path) -> anyhow::Result<SystemTime> {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            newest = newest.max(newest_mtime(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs")
            || path.file_name().is_some_and(|n| n == "Cargo.toml")
        {
            newest = newest.max(mtime(&path)?);
        }
    }
    Ok(newest)
}

/// A build context holding only `prebuilt/`: the two binaries stripped (`strip --strip-all`, binutils), the
/// web app in `dist` and this machine's CA bundle in `certs`.
pub fn prebuilt_context(bins: &[PathBuf; 2], dist: &Path) -> anyhow::Result<tempfile::TempDir> {
    let ctx = tempfile::Builder::new()
        .prefix("kato-deploy-ctx-")
        .tempdir()
        .context("a temp dir for the build context")?;
    let prebuilt = ctx.path().join("prebuilt");
    std::fs::create_dir_all(&prebuilt)?;
    for bin in bins {
        let name = bin.file_name().context("binary name")?;
        run(Command::new("strip")
            .arg("--strip-all")
            .arg("-o")
            .arg(prebuilt.join(name))
            .arg(bin))
        .context("stripping the binaries (apt-get install binutils)")?;
    }
    copy_dir(dist, &prebuilt.join("dist"))?;
    std::fs::create_dir_all(prebuilt.join("certs"))?;
    std::fs::copy(
        "/etc/ssl/certs/ca-certificates.crt",
        prebuilt.join("certs/ca-certificates.crt"),
    )
    .context("this machine's CA bundle (apt-get install ca-certificates)")?;
    Ok(ctx)
}

/// `docker build` of the repository's Dockerfile with `ARTIFACTS=prebuilt` and the local runtime base.
pub fn build_prebuilt(engine: &Engine, ctx: &Path, tag: &str) -> anyhow::Result<()> {
    let dockerfile = repo_root().join("Dockerfile");
    run(engine
        .build_command()?
        .arg("--file")
        .arg(&dockerfile)
        .args(["--build-arg", "ARTIFACTS=prebuilt"])
        .args(["--build-arg", &format!("RUNTIME_IMAGE={RUNTIME_BASE}")])
        .args(["--tag", tag])
        .arg(ctx))
    .map(drop)
}

/// The size of an image: as the engine stores it (uncompressed) and as `docker save | gzip -c` (what a registry
/// transfer and a tarball cost, roughly).
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub uncompressed: u64,
    pub gzip: u64,
}

impl std::fmt::Display for Sizes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1} MB uncompressed, {:.1} MB as docker save | gzip",
            self.uncompressed as f64 / 1e6,
            self.gzip as f64 / 1e6
        )
    }
}

/// `docker history` of `tag`: one line per layer with its size and the instruction that made it.
pub fn layers(engine: &Engine, tag: &str) -> anyhow::Result<String> {
    engine.cli(&[
        "history",
        "--no-trunc",
        "--format",
        "{{.Size}}\t{{.CreatedBy}}",
        tag,
    ])
}

/// Measures [`Sizes`] of `tag`.
pub fn sizes(engine: &Engine, tag: &str) -> anyhow::Result<Sizes> {
    let uncompressed = engine
        .inspect(tag, "{{.Size}}")?
        .parse()
        .context("image size")?;
    let mut save = engine
        .docker()
        .args(["save", tag])
        .stdout(Stdio::piped())
        .spawn()
        .context("docker save")?;
    let stdout = save.stdout.take().context("docker save's stdout")?;
    let gzip = Command::new("gzip")
        .arg("-c")
        .stdin(stdout)
        .stdout(Stdio::piped())
        .spawn()
        .context("gzip")?;
    let gz = gzip.wait_with_output().context("gzip")?;
    let saved = save.wait().context("docker save")?;
    if !saved.success() || !gz.status.success() {
        bail!("docker save {tag} | gzip failed ({saved}, {})", gz.status);
    }
    Ok(Sizes {
        uncompressed,
        gzip: gz.stdout.len() as u64,
    })
}
