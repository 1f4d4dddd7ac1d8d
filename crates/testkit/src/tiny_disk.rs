//! [`TinyDisk`]: a private tmpfs of a few hundred kilobytes, for tests of what happens when the disk is full.
//! Mounting needs root (CAP_SYS_ADMIN), as the private Docker engines of other tests do; a test that cannot mount
//! fails with the reason rather than skipping.

use std::{path::Path, process::Command};

use crate::{Error, Result};

/// A small tmpfs mounted on a temporary directory; unmounted and removed on drop.
#[derive(Debug)]
pub struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    /// Mounts a tmpfs of `kib` KiB.
    pub fn mount(kib: u32) -> Result<TinyDisk> {
        let dir = tempfile::tempdir().map_err(|source| Error::Io {
            what: "a temp dir for a tmpfs".into(),
            source,
        })?;
        let command = format!(
            "mount -t tmpfs -o size={kib}k tmpfs {}",
            dir.path().display()
        );
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={kib}k,mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .map_err(|source| Error::Spawn {
                program: "mount".into(),
                hint: "util-linux's mount; a full-disk test needs root",
                source,
            })?;
        if !out.status.success() {
            return Err(Error::Command {
                command,
                status: out.status.to_string(),
                stderr: format!(
                    "{} (a full-disk test needs root to mount a tmpfs)",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            });
        }
        Ok(TinyDisk { dir })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}
