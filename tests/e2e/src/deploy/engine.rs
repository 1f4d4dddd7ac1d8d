//! A private Docker engine for the deploy test, and what the test asks of it.
//!
//! The engine is testkit's private `dockerd` (`--iptables=false --ip-masq=false`, its own data and exec roots, a
//! socket in a temp dir). The deploy test needs bridge networks (compose, KATO's network, published ports), so it
//! adds a guard first: two `iptables` rules that drop every forwarded packet entering or leaving a Docker bridge
//! (`br-+`) from or to anything but another bridge. Containers then reach each other and the host's loopback
//! proxies (`docker-proxy` on 127.0.0.1) reach them, but nothing they send is routed off the machine, even while
//! another test's `dockerd` switches IPv4 forwarding on. The rules carry this process's id and go on drop (rules
//! of a test process that died are removed by the next one); so does the forwarding switch, which `dockerd` turns
//! on at start: it is set back to what it was before.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use kato_dashboard_testkit::DockerDaemon;

use super::{output, poll, run};

/// The private engine plus the forwarding guard (dropped after the engine).
#[derive(Debug)]
pub struct Engine {
    daemon: DockerDaemon,
    _guard: ForwardGuard,
}

impl Engine {
    /// Installs the guard, then starts the engine.
    pub fn start() -> anyhow::Result<Self> {
        let guard = ForwardGuard::install()?;
        let daemon = DockerDaemon::start_private().context(
            "starting a private dockerd (Debian docker.io; the deploy test needs root for it)",
        )?;
        Ok(Self {
            daemon,
            _guard: guard,
        })
    }

    /// `unix:///…/docker.sock`.
    pub fn host(&self) -> &str {
        self.daemon.host()
    }

    /// The engine's unix socket.
    pub fn socket(&self) -> anyhow::Result<&Path> {
        self.daemon
            .socket_path()
            .context("the private engine listens on a unix socket")
    }

    /// The testkit daemon (for testkit's busybox image and containers).
    pub fn daemon(&self) -> &DockerDaemon {
        &self.daemon
    }

    /// A `docker` CLI command aimed at this engine.
    pub fn docker(&self) -> Command {
        self.daemon.docker()
    }

    /// `docker ARGS…`; its stdout.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        run(self.docker().args(args))
    }

    /// `docker inspect -f FORMAT TARGET`.
    pub fn inspect(&self, target: &str, format: &str) -> anyhow::Result<String> {
        self.cli(&["inspect", "-f", format, target])
    }

    /// A `docker build` that has BuildKit (the Dockerfile needs it): `docker buildx build --load` when the CLI has
    /// buildx, else a CLI older than 23 with `DOCKER_BUILDKIT=1` (Debian's /usr/bin/docker), as dashboard.sh picks.
    pub fn build_command(&self) -> anyhow::Result<Command> {
        let buildx = self
            .docker()
            .args(["buildx", "version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if buildx {
            let mut cmd = self.docker();
            cmd.args(["buildx", "build", "--load"]);
            return Ok(cmd);
        }
        for cli in ["docker", "/usr/bin/docker"] {
            let version = Command::new(cli)
                .env("DOCKER_HOST", self.host())
                .args(["version", "--format", "{{.Client.Version}}"])
                .output();
            let Ok(version) = version else { continue };
            let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
            let major = version
                .split('.')
                .next()
                .and_then(|m| m.parse::<u32>().ok());
            if major.is_some_and(|m| m < 23) {
                let mut cmd = Command::new(cli);
                cmd.env("DOCKER_HOST", self.host())
                    .env("DOCKER_BUILDKIT", "1")
                    .arg("build");
                return Ok(cmd);
            }
        }
        bail!(
            "no docker CLI with BuildKit: neither `docker buildx` nor a docker CLI older than 23 \
             (apt-get install docker.io: its /usr/bin/docker 20.10 has BuildKit built in)"
        )
    }

    /// Waits until the container's health check says `healthy`; how long that took. Fails at once when the
    /// container stops or turns `unhealthy`, with the health log.
    pub fn wait_healthy(&self, name: &str, within: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        poll(within, &format!("{name} to be healthy"), || {
            let state = self.inspect(
                name,
                "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
            )?;
            match state.split_whitespace().collect::<Vec<_>>()[..] {
                ["running", "healthy"] => Ok(Some(started.elapsed())),
                ["running", "unhealthy"] | ["exited", ..] | ["dead", ..] => {
                    let log = self
                        .inspect(name, "{{json .State.Health}}")
                        .unwrap_or_default();
                    let logs = output(self.docker().args(["logs", "--tail", "30", name]))
                        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                        .unwrap_or_default();
                    bail!("{name} is {state}: {log}\n--- its log ---\n{logs}")
                }
                _ => Ok(None),
            }
        })
    }
}

/// The `iptables` FORWARD rules that keep bridged containers off every other network (see the module docs).
#[derive(Debug)]
struct ForwardGuard {
    rules: Vec<Vec<String>>,
    /// `net.ipv4.ip_forward` before the engine started.
    ip_forward: Option<String>,
}

const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

/// Comment on the guard's rules; followed by the pid of the test process.
const GUARD_TAG: &str = "kato-deploy-test-";

impl ForwardGuard {
    fn install() -> anyhow::Result<Self> {
        remove_stale_rules();
        let tag = format!("{GUARD_TAG}{}", std::process::id());
        let spec = |dir_in: &str, dir_out: &str| -> Vec<String> {
            [
                dir_in,
                "br-+",
                "!",
                dir_out,
                "br-+",
                "-m",
                "comment",
                "--comment",
                tag.as_str(),
                "-j",
                "DROP",
            ]
            .map(str::to_owned)
            .to_vec()
        };
        let mut guard = Self {
            rules: Vec::new(),
            ip_forward: std::fs::read_to_string(IP_FORWARD).ok(),
        };
        for rule in [spec("-i", "-o"), spec("-o", "-i")] {
            run(Command::new("iptables")
                .args(["-w", "-I", "FORWARD", "1"])
                .args(&rule))
            .context(
                "installing the forwarding guard (iptables, as root): without it the test's bridged \
                 containers could be routed off this machine",
            )?;
            guard.rules.push(rule);
        }
        Ok(guard)
    }
}

impl Drop for ForwardGuard {
    fn drop(&mut self) {
        for rule in &self.rules {
            let _ = Command::new("iptables")
                .args(["-w", "-D", "FORWARD"])
                .args(rule)
                .output();
        }
        if let Some(before) = &self.ip_forward {
            let _ = std::fs::write(IP_FORWARD, before);
        }
    }
}

/// Removes guard rules whose test process is gone.
fn remove_stale_rules() {
    let Ok(listing) = run(Command::new("iptables").args(["-w", "-S", "FORWARD"])) else {
        return;
    };
    for line in listing.lines() {
        let Some(pid) = line
            .split_whitespace()
            .find_map(|w| w.trim_matches('"').strip_prefix(GUARD_TAG))
        else {
            continue;
        };
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive && let Some(spec) = line.strip_prefix("-A FORWARD ") {
            let args: Vec<&str> = spec
                .split_whitespace()
                .map(|w| w.trim_matches('"'))
                .collect();
            let _ = Command::new("iptables")
                .args(["-w", "-D", "FORWARD"])
                .args(args)
                .output();
        }
    }
}
