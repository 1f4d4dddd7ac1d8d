//! The upstreams of the soak, each private and each killable and restartable at the same address: a
//! persistent `redis-server` (append-only file, fsync per write, so a SIGKILL loses no acknowledged session),
//! kato-sim keeping its sessions in it (in-process; stopped and started again on the same port), and a private
//! `dockerd` with two idle busybox containers that restart with the engine.

use std::{fmt, net::SocketAddr, time::Duration};

use kato_dashboard_sim::{Flavour, Sim, SimConfig};
use kato_dashboard_testkit::{DockerDaemon, RedisServer, TestContainers};
use tokio::time::Instant;

/// A service the soak kills and restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// kato-sim.
    Kato,
    /// redis-server.
    Redis,
    /// dockerd.
    Docker,
}

impl Kind {
    /// Every kind, in table order.
    pub const ALL: [Kind; 3] = [Kind::Kato, Kind::Redis, Kind::Docker];

    /// Its name in `KATO_SOAK_FAULTS`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Kato => "kato",
            Kind::Redis => "redis",
            Kind::Docker => "docker",
        }
    }

    /// Its index in [`Kind::ALL`].
    pub fn index(self) -> usize {
        match self {
            Kind::Kato => 0,
            Kind::Redis => 1,
            Kind::Docker => 2,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Kato => "kato-sim",
            Kind::Redis => "redis",
            Kind::Docker => "docker engine",
        })
    }
}

/// How a service was brought down.
#[derive(Debug, Clone, Copy)]
pub enum How {
    /// At once: kato-sim dropped (every socket reset), redis-server SIGKILLed.
    Kill,
    /// Cleanly: kato-sim's graceful shutdown, dockerd's SIGTERM (its containers stop with it; a SIGKILL would
    /// orphan containerd's shims and their processes outside the test).
    Stop,
}

/// Everything the dashboard talks to. Field order is drop order: containers before their engine.
pub struct Services {
    sim: Option<Sim>,
    sim_config: SimConfig,
    /// kato-sim's fixed address.
    pub sim_addr: SocketAddr,
    redis: RedisServer,
    redis_up: bool,
    /// Removed on drop, before the engine stops.
    _containers: TestContainers,
    /// The monitored containers.
    pub container_names: Vec<String>,
    docker: DockerDaemon,
    docker_up: bool,
}

impl Services {
    /// Starts all three; any that cannot start is an error naming why.
    pub async fn start(flavour: Flavour) -> Result<Services, String> {
        let redis = RedisServer::start_persistent()
            .map_err(|e| format!("redis-server (apt-get install redis-server): {e}"))?;
        let docker = tokio::task::spawn_blocking(DockerDaemon::start_private)
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("private dockerd (apt-get install docker.io; needs root): {e}"))?;
        let mut containers =
            TestContainers::new(&docker, "soak").map_err(|e| format!("busybox image: {e}"))?;
        let mut container_names = Vec::new();
        for role in ["idle-a", "idle-b"] {
            let name = containers
                .run(role, &["--restart", "always"], &["sleep", "1000000"])
                .map_err(|e| format!("test container {role}: {e}"))?;
            container_names.push(name);
        }
        let sim_config = SimConfig {
            redis_url: Some(redis.url()),
            ..SimConfig::idle(flavour)
        };
        let sim = Sim::start(
            sim_config.clone(),
            "127.0.0.1:0".parse().map_err(|_| "address")?,
        )
        .await
        .map_err(|e| format!("kato-sim: {e}"))?;
        Ok(Services {
            sim_addr: sim.addr(),
            sim: Some(sim),
            sim_config,
            redis,
            redis_up: true,
            _containers: containers,
            container_names,
            docker,
            docker_up: true,
        })
    }

    /// `http://<kato-sim>`.
    pub fn kato_url(&self) -> String {
        format!("http://{}", self.sim_addr)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn redis_url(&self) -> String {
        self.redis.url()
    }

    /// The private engine's `DOCKER_HOST`.
    pub fn docker_host(&self) -> String {
        self.docker.host().to_owned()
    }

    /// Whether `kind` runs.
    pub fn is_up(&self, kind: Kind) -> bool {
        match kind {
            Kind::Kato => self.sim.is_some(),
            Kind::Redis => self.redis_up,
            Kind::Docker => self.docker_up,
        }
    }

    /// Brings `kind` down (`how` only matters for kato-sim: Redis is always SIGKILLed, dockerd always stopped).
    pub async fn bring_down(&mut self, kind: Kind, how: How) {
        match kind {
            Kind::Kato => {
                if let Some(sim) = self.sim.take() {
                    match how {
                        How::Kill => drop(sim),
                        How::Stop => sim.shutdown().await,
                    }
                }
            }
            Kind::Redis => {
                tokio::task::block_in_place(|| self.redis.kill());
                self.redis_up = false;
            }
            Kind::Docker => {
                tokio::task::block_in_place(|| self.docker.stop());
                self.docker_up = false;
            }
        }
    }

    /// Starts `kind` again at its address (kato-sim needs Redis up: it connects to it at start, so the caller
    /// restarts Redis first). Returns how long the restart took.
    pub async fn bring_up(&mut self, kind: Kind) -> Result<Duration, String> {
        let started = Instant::now();
        match kind {
            Kind::Kato => {
                // The old listener may take a moment to go away: retry the bind for a while.
                let deadline = Instant::now() + Duration::from_secs(15);
                loop {
                    match Sim::start(self.sim_config.clone(), self.sim_addr).await {
                        Ok(sim) => {
                            self.sim = Some(sim);
                            break;
                        }
                        Err(e) if Instant::now() > deadline => {
                            return Err(format!(
                                "kato-sim did not start again on {}: {e}",
                                self.sim_addr
                            ));
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
            }
            Kind::Redis => {
                tokio::task::block_in_place(|| self.redis.restart())
                    .map_err(|e| format!("redis-server did not start again: {e}"))?;
                self.redis_up = true;
            }
            Kind::Docker => {
                tokio::task::block_in_place(|| self.docker.restart())
                    .map_err(|e| format!("dockerd did not start again: {e}"))?;
                self.docker_up = true;
            }
        }
        Ok(started.elapsed())
    }

    /// Stops kato-sim gracefully (the rest stops on drop).
    pub async fn shutdown(mut self) {
        if let Some(sim) = self.sim.take() {
            sim.shutdown().await;
        }
    }
}
