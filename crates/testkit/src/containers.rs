//! Test containers on a [`DockerDaemon`], always `--network none`, named `<prefix>-<role>` with a
//! prefix unique to the test and process so tests run in parallel; removed on drop.

use std::process::Command;

use crate::Result;
use crate::daemon::DockerDaemon;
use crate::image::busybox_image;
use crate::process::run;

const HINT: &str = "apt-get install docker.io";

/// The containers of one test. Declare it after the [`DockerDaemon`] so it is dropped first.
#[derive(Debug)]
pub struct TestContainers {
    host: String,
    image: String,
    prefix: String,
    created: Vec<String>,
}

impl TestContainers {
    /// Imports the busybox image if needed; `label` names the test (letters, digits, `-`, `_`).
    pub fn new(daemon: &DockerDaemon, label: &str) -> Result<Self> {
        let image = busybox_image(daemon)?;
        let label: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        Ok(Self {
            host: daemon.host().to_owned(),
            image,
            prefix: format!("kt-{label}-{}", std::process::id()),
            created: Vec::new(),
        })
    }

    /// The container name for `role`: `<prefix>-<role>`.
    pub fn name(&self, role: &str) -> String {
        format!("{}-{role}", self.prefix)
    }

    /// The per-test prefix (use it as a label/name filter).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A container burning one core: `yes > /dev/null`.
    pub fn run_busy(&mut self, role: &str) -> Result<String> {
        self.run(role, &[], &["sh", "-c", "yes > /dev/null"])
    }

    /// An idle container: `sleep`.
    pub fn run_idle(&mut self, role: &str) -> Result<String> {
        self.run(role, &[], &["sleep", "1000000"])
    }

    /// A container that ran and exited with code 3 (status `exited`); waits for the exit.
    pub fn run_stopped(&mut self, role: &str) -> Result<String> {
        let name = self.run(role, &[], &["sh", "-c", "exit 3"])?;
        run(self.docker().args(["wait", &name]), HINT)?;
        Ok(name)
    }

    /// `docker run -d --network none --stop-timeout 1 --name <prefix>-<role> <extra…> <image>
    /// <cmd…>`. The short stop timeout keeps `docker stop` and engine shutdowns quick: `sleep` and
    /// `sh` as PID 1 ignore SIGTERM, which would otherwise cost the default 10 s.
    pub fn run(&mut self, role: &str, extra: &[&str], cmd: &[&str]) -> Result<String> {
        let name = self.name(role);
        // Registered first, so a half-created container is removed too.
        self.created.push(name.clone());
        let mut docker = self.docker();
        docker
            .args(["run", "-d", "--network", "none", "--stop-timeout", "1"])
            .args(["--name", &name])
            .args(extra)
            .arg(&self.image)
            .args(cmd);
        run(&mut docker, HINT)?;
        Ok(name)
    }

    /// `docker kill <name>` (SIGKILL).
    pub fn kill(&self, name: &str) -> Result<()> {
        run(self.docker().args(["kill", name]), HINT).map(drop)
    }

    /// `docker start <name>`.
    pub fn start(&self, name: &str) -> Result<()> {
        run(self.docker().args(["start", name]), HINT).map(drop)
    }

    /// `docker rm -f <name>`.
    pub fn remove(&self, name: &str) -> Result<()> {
        run(self.docker().args(["rm", "-f", name]), HINT).map(drop)
    }

    /// Any other `docker` CLI command aimed at this engine.
    pub fn docker(&self) -> Command {
        let mut cmd = Command::new("docker");
        cmd.env("DOCKER_HOST", &self.host);
        cmd
    }
}

impl Drop for TestContainers {
    fn drop(&mut self) {
        if !self.created.is_empty() {
            let _ = self
                .docker()
                .args(["rm", "-f"])
                .args(&self.created)
                .output();
        }
    }
}
