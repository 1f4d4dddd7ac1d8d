//! Small process helpers: run a command and capture its failure, signal a pid, read a log's tail.

use std::path::Path;
use std::process::{Command, Output};

use crate::{Error, Result};

/// Runs `cmd` to completion; a non-zero exit is an [`Error::Command`] with its stderr.
pub(crate) fn run(cmd: &mut Command, hint: &'static str) -> Result<Output> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd.output().map_err(|source| Error::Spawn {
        program: program.clone(),
        hint,
        source,
    })?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(Error::Command {
            command: describe(cmd),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// `program arg1 arg2 …` for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sends `signal` (`TERM`, `KILL`, …) to `pid` with kill(1); false if it failed (already gone).
pub(crate) fn signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether a process with this pid exists (and is not a zombie we reaped).
pub(crate) fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
    })
}

/// Pids whose command line mentions `needle` (a unique temp path of ours).
pub(crate) fn pids_mentioning(needle: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .collect()
}

/// The last `lines` lines of a log file (or why it cannot be read).
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}
