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
    let binary = std::fs::read(BUSYBOX).map_err(|e| {
        io(
            &format!("read {BUSYBOX} (apt-get install busybox-static)"),
            e,
        )
    })?;
    // The image has no libc: a dynamically linked busybox (Debian's `busybox`) cannot run in it.
    if has_interpreter(&binary) {
        return Err(io(
            BUSYBOX,
            std::io::Error::other("dynamically linked; apt-get install busybox-static"),
        ));
    }
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

/// Whether an ELF64 little-endian binary asks for a dynamic loader (a `PT_INTERP` program header).
/// Anything else (another ELF class) is assumed fine and left to `docker run` to judge.
fn has_interpreter(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| {
        elf.get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
    };
    if !elf.starts_with(b"\x7fELF\x02\x01") {
        return false;
    }
    let (Some(phoff), Some(size), Some(count)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return false;
    };
    let Ok(phoff) = usize::try_from(phoff) else {
        return false;
    };
    (0..usize::from(count)).any(|i| u32_at(phoff + i * usize::from(size)) == Some(PT_INTERP))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn static_busybox_has_no_interpreter_but_ls_does() {
        assert!(!super::has_interpreter(
            &std::fs::read(super::BUSYBOX).unwrap()
        ));
        assert!(super::has_interpreter(&std::fs::read("/bin/ls").unwrap()));
        assert!(!super::has_interpreter(b"#!/bin/sh"));
    }
}
