//! A tiny image for test containers: Debian's static busybox plus applet symlinks, imported with
//! `docker import` (no registry, no network).

use std::process::{Command, Stdio};

use crate::daemon::DockerDaemon;
use crate::process::{describe, run};
use crate::{Error, Result};

/// The tag of the busybox image in every test engine.
pub const BUSYBOX_TAG: &str = "kato-testkit/busybox:1";

/// Where Debian's `busybox-static` puts its binary (`/bin` is a symlink to `/usr/bin`).
const BUSYBOX: &str = "/bin/busybox";

/// Applets the tests use, as symlinks in `/bin`.
const APPLETS: [&str; 14] = [
    "sh", "yes", "sleep", "cat", "ls", "ps", "dd", "true", "false", "head", "tr", "echo", "kill",
    "wc",
];

/// Makes sure the engine has [`BUSYBOX_TAG`] (imported once per engine, ≈0.1–0.4 s) and returns it.
pub fn busybox_image(daemon: &DockerDaemon) -> Result<String> {
    let present = daemon
        .docker()
        .args(["image", "inspect", "--format", "{{.Id}}", BUSYBOX_TAG])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(BUSYBOX_TAG.to_owned());
    }
    let tree = tempfile::tempdir().map_err(|source| Error::Io {
        what: "temp dir for the busybox tree".into(),
        source,
    })?;
    let bin = tree.path().join("bin");
    let io = |what: &str, source| Error::Io {
        what: what.to_owned(),
        source,
    };
    std::fs::create_dir_all(&bin).map_err(|e| io("mkdir bin", e))?;
    std::fs::copy(BUSYBOX, bin.join("busybox")).map_err(|e| {
        io(
            &format!("copy {BUSYBOX} (apt-get install busybox-static)"),
            e,
        )
    })?;
    for applet in APPLETS {
        std::os::unix::fs::symlink("busybox", bin.join(applet))
            .map_err(|e| io(&format!("symlink {applet}"), e))?;
    }
    for dir in ["tmp", "dev", "proc", "sys", "etc"] {
        std::fs::create_dir_all(tree.path().join(dir)).map_err(|e| io("mkdir", e))?;
    }
    let mut tar = Command::new("tar")
        .arg("-C")
        .arg(tree.path())
        .args(["-c", "."])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            program: "tar".into(),
            hint: "apt-get install tar",
            source,
        })?;
    let Some(tar_out) = tar.stdout.take() else {
        return Err(io("tar stdout", std::io::Error::other("stdout not piped")));
    };
    let mut import = daemon.docker();
    import.args(["import", "-", BUSYBOX_TAG]).stdin(tar_out);
    let result = run(&mut import, "apt-get install docker.io");
    let tar_status = tar.wait().map_err(|e| io("tar", e))?;
    result?;
    if !tar_status.success() {
        return Err(Error::Command {
            command: describe(&Command::new("tar")),
            status: tar_status.to_string(),
            stderr: String::new(),
        });
    }
    Ok(BUSYBOX_TAG.to_owned())
}
