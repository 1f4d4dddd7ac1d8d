//! The deployment files as an operator gets them: docker-compose.yml, the Dockerfile and the defaults they rely
//! on, checked statically (the image is built and run for real by `tests/e2e/tests/deploy.rs`): the compose file
//! parses, stays within what docker-compose 1.29 accepts, runs the dashboard beside KATO on KATO's network with the
//! Docker socket read-only, a volume for the alert store, the binary's own health check and a restart policy; the
//! demo profile keeps the simulator on loopback; the image builds from source or from prebuilt artifacts, runs
//! as a non-root user on port 3000 with nothing but the binaries, and its runtime stage runs no command.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use yaml_rust2::{Yaml, YamlLoader};

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Resolves YAML merge keys (`<<: *anchor`), which compose uses and yaml-rust2 leaves as plain keys.
fn merged(y: &Yaml) -> Yaml {
    match y {
        Yaml::Hash(h) => {
            let mut out = yaml_rust2::yaml::Hash::new();
            if let Some(Yaml::Hash(base)) = h.get(&Yaml::String("<<".into())).map(merged) {
                out.extend(base);
            }
            for (k, v) in h {
                if k.as_str() != Some("<<") {
                    out.insert(k.clone(), merged(v));
                }
            }
            Yaml::Hash(out)
        }
        Yaml::Array(a) => Yaml::Array(a.iter().map(merged).collect()),
        other => other.clone(),
    }
}

fn compose() -> Yaml {
    let docs = YamlLoader::load_from_str(&repo_file("docker-compose.yml")).expect("valid YAML");
    assert_eq!(docs.len(), 1);
    merged(&docs[0])
}

fn strings(y: &Yaml) -> Vec<String> {
    y.as_vec()
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn compose_runs_the_dashboard_beside_kato_safely() {
    let c = compose();
    let svc = &c["services"]["kato-dashboard"];
    assert!(!svc.is_badvalue(), "service kato-dashboard");
    assert!(
        svc["profiles"].is_badvalue(),
        "the main service runs without a profile"
    );

    // KATO's external network, as the old dashboard used it.
    assert_eq!(strings(&svc["networks"]), ["kato-network"]);
    let net = &c["networks"]["kato-network"];
    assert_eq!(net["external"].as_bool(), Some(true));
    assert!(net["name"].as_str().unwrap().contains("kato_kato-network"));

    // The engine's socket read-only (DOCKER_SOCKET, default /var/run/docker.sock), never chmod-ed; the alert
    // store on a volume at DATA_DIR.
    let volumes = strings(&svc["volumes"]);
    assert!(
        volumes
            .contains(&"${DOCKER_SOCKET:-/var/run/docker.sock}:/var/run/docker.sock:ro".to_owned()),
        "{volumes:?}"
    );
    assert_eq!(
        svc["environment"]["DOCKER_HOST"].as_str(),
        Some("unix:///var/run/docker.sock")
    );
    let data_dir = svc["environment"]["DATA_DIR"].as_str().unwrap();
    let store = volumes
        .iter()
        .find(|v| v.ends_with(&format!(":{data_dir}")))
        .expect("a volume at DATA_DIR");
    let volume_name = store.split(':').next().unwrap();
    assert!(
        !c["volumes"][volume_name].is_badvalue(),
        "named volume {volume_name} declared"
    );
    assert!(!repo_file("docker-compose.yml").contains("chmod"));
    assert_eq!(
        svc["user"].as_str(),
        None,
        "the image's non-root user is kept"
    );
    assert!(
        !svc["group_add"].is_badvalue(),
        "socket access through its group"
    );

    // Settings from an env file (.env by default); the binary's health check; restart policy; hardening.
    assert_eq!(
        strings(&svc["env_file"]),
        ["${KATO_DASHBOARD_ENV_FILE:-.env}"]
    );
    assert_eq!(
        strings(&svc["healthcheck"]["test"]),
        ["CMD", "/usr/local/bin/kato-dashboard", "healthcheck"]
    );
    assert_eq!(svc["restart"].as_str(), Some("unless-stopped"));
    assert_eq!(svc["read_only"].as_bool(), Some(true));
    assert_eq!(strings(&svc["tmpfs"]), ["/tmp"]);
    assert_eq!(strings(&svc["cap_drop"]), ["ALL"]);
    assert_eq!(strings(&svc["security_opt"]), ["no-new-privileges:true"]);
    assert_eq!(svc["environment"]["PORT"].as_str(), Some("3000"));
    let ports = strings(&svc["ports"]);
    assert!(ports.iter().all(|p| p.ends_with(":3000")), "{ports:?}");
    assert!(
        ports
            .iter()
            .all(|p| p.starts_with("${DASHBOARD_BIND:-127.0.0.1}:")),
        "published on loopback unless DASHBOARD_BIND says otherwise: {ports:?}"
    );
}

/// docker-compose 1.29 (Debian bookworm's) rejects a top-level `name:` and reads `env_file` entries as paths only.
#[test]
fn compose_stays_within_docker_compose_1_29() {
    let c = compose();
    let top: Vec<&str> = c
        .as_hash()
        .unwrap()
        .keys()
        .filter_map(Yaml::as_str)
        .collect();
    for key in &top {
        assert!(
            ["services", "volumes", "networks"].contains(key) || key.starts_with("x-"),
            "top-level key {key} (1.29 knows services, volumes, networks, version and x-…)"
        );
    }
    for (name, svc) in c["services"].as_hash().unwrap() {
        if let Some(files) = svc["env_file"].as_vec() {
            assert!(
                files.iter().all(|f| f.as_str().is_some()),
                "{name:?}: env_file entries are plain paths"
            );
        }
    }
    let script = repo_file("dashboard.sh");
    assert!(
        script.contains("COMPOSE_PROJECT_NAME=\"${COMPOSE_PROJECT_NAME:-kato-dashboard}\""),
        "dashboard.sh names the compose project"
    );
}

#[test]
fn the_demo_profile_keeps_the_simulator_on_loopback() {
    let c = compose();
    let demo = &c["services"]["kato-dashboard-demo"];
    let sim = &c["services"]["kato-sim"];
    assert_eq!(strings(&demo["profiles"]), ["demo"]);
    assert_eq!(strings(&sim["profiles"]), ["demo"]);
    assert_eq!(
        sim["network_mode"].as_str(),
        Some("service:kato-dashboard-demo")
    );
    let cmd = strings(&sim["command"]);
    let host = cmd
        .iter()
        .position(|a| a == "--host")
        .map(|i| cmd[i + 1].as_str());
    assert_eq!(host, Some("127.0.0.1"), "{cmd:?}");
    assert_eq!(
        demo["environment"]["KATO_API_URL"].as_str(),
        Some("http://127.0.0.1:8000")
    );
    assert!(sim["ports"].is_badvalue(), "the simulator is not published");
    // The image's health check would probe the dashboard in the shared network namespace.
    assert_eq!(sim["healthcheck"]["disable"].as_bool(), Some(true));
    assert_eq!(strings(&sim["cap_drop"]), ["ALL"]);
    assert_eq!(sim["read_only"].as_bool(), Some(true));
}

#[test]
fn the_image_is_multi_stage_non_root_with_a_health_check() {
    let df = repo_file("Dockerfile");
    assert!(
        !df.lines().any(|l| l.starts_with("# syntax=")),
        "no syntax directive: BuildKit would pull a frontend image"
    );
    let froms: Vec<&str> = df.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(
        froms,
        [
            "FROM ${RUST_IMAGE} AS build",
            "FROM scratch AS prebuilt",
            "FROM ${ARTIFACTS} AS artifacts",
            "FROM ${RUNTIME_IMAGE}"
        ],
        "build, prebuilt, the chosen artifacts and the runtime stage"
    );
    for arg in [
        "ARG RUST_IMAGE=rust:1-bookworm",
        "ARG ARTIFACTS=build",
        "ARG RUNTIME_IMAGE=",
    ] {
        assert!(df.lines().any(|l| l.starts_with(arg)), "{arg}");
    }
    assert!(
        df.contains("./dashboard.sh build"),
        "the image builds like a developer does"
    );
    assert!(df.contains("CARGO_PROFILE_RELEASE_STRIP=symbols"));
    assert!(df.contains("COPY prebuilt/ /out/"));

    // The runtime stage: no RUN (its base may have no shell), binaries, app, data folder owned by the user.
    let runtime: Vec<&str> = df
        .lines()
        .skip_while(|l| *l != "FROM ${RUNTIME_IMAGE}")
        .collect();
    assert!(
        !runtime.iter().any(|l| l.starts_with("RUN ")),
        "the runtime stage runs nothing"
    );
    assert!(
        runtime.contains(
            &"COPY --from=artifacts --chown=10001:10001 /out/data /var/lib/kato-dashboard"
        ),
        "{runtime:?}"
    );
    let user = runtime
        .iter()
        .rfind(|l| l.starts_with("USER "))
        .expect("USER");
    assert_eq!(*user, "USER 10001:10001");
    assert!(df.contains("EXPOSE 3000"));
    assert!(
        !df.lines()
            .any(|l| !l.trim_start().starts_with('#') && l.contains("curl")),
        "no curl in the image"
    );
    let hc = df
        .lines()
        .skip_while(|l| !l.starts_with("HEALTHCHECK"))
        .take(2)
        .collect::<String>();
    assert!(
        hc.contains(r#"CMD ["/usr/local/bin/kato-dashboard", "healthcheck"]"#),
        "{hc}"
    );
    for needed in [
        "STATIC_DIR=/usr/share/kato-dashboard/dist",
        "DATA_DIR=/var/lib/kato-dashboard",
        "HOST=0.0.0.0",
        "PORT=3000",
    ] {
        assert!(df.contains(needed), "{needed}");
    }
    let ignore = repo_file(".dockerignore");
    for excluded in ["target", ".git", ".env"] {
        assert!(
            ignore.lines().any(|l| l == excluded),
            "{excluded} in .dockerignore"
        );
    }
}

#[test]
fn defaults_match_what_compose_and_the_image_expect() {
    let config = kato_dashboard_server::Config::default();
    assert_eq!(config.server.port, 3000);
    let example = repo_file(".env.example");
    for key in ["PORT=3000", "HOST=0.0.0.0", "KATO_API_URL=http://kato:8000"] {
        assert!(example.lines().any(|l| l == key), "{key} in .env.example");
    }
}

/// The real binary, configured only through its environment (as the image runs it), serves the web app and the
/// API and stops on SIGTERM. It listens on a free port: 3000, the default, may be the host's own dashboard.
#[test]
fn the_binary_serves_the_app_from_its_environment_and_stops_on_sigterm() {
    use std::{
        io::{Read, Write},
        net::TcpStream,
        process::{Command, Stdio},
        time::{Duration, Instant},
    };
    let port = kato_dashboard_testkit::free_port().unwrap();
    let addr = format!("127.0.0.1:{port}");
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>KATO Dashboard</title>",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kato-dashboard"))
        .env_clear()
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("STATIC_DIR", dist.path())
        .env("DATA_DIR", data.path())
        .env("KATO_API_URL", "http://127.0.0.1:1")
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .env("MONGO_URL", "mongodb://127.0.0.1:1")
        .env("QDRANT_URL", "http://127.0.0.1:1")
        .env("CLICKHOUSE_URL", "http://127.0.0.1:1")
        .env("DOCKER_ENABLED", "false")
        .current_dir(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let get = |path: &str| -> Option<String> {
        let mut s = TcpStream::connect(&addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let page = loop {
        if let Some(page) = get("/sessions") {
            break page;
        }
        assert!(Instant::now() < deadline, "nothing on {addr} after 20 s");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("<title>KATO Dashboard</title>"),
        "SPA fallback: {page}"
    );
    let health = get("/api/v1/health").unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    // The shell's built-in `kill` (no procps needed).
    let status = Command::new("sh")
        .args(["-c", &format!("kill -TERM {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status after SIGTERM: {exit}");
}
