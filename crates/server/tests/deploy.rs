//! The deployment files as an operator gets them: docker-compose.yml, the Dockerfile and the defaults they rely
//! on. Base images cannot be pulled on the build machines, so this is the check that keeps them honest: the
//! compose file parses, runs the dashboard beside KATO on KATO's network with the Docker socket read-only, a
//! volume for the alert store, a health check on a real path and a restart policy; the demo profile keeps the
//! simulator on loopback; the image runs as a non-root user on port 3000 and serves the app it built.

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

    // The socket read-only, never chmod-ed; the alert store on a volume at DATA_DIR.
    let volumes = strings(&svc["volumes"]);
    assert!(
        volumes.contains(&"/var/run/docker.sock:/var/run/docker.sock:ro".to_owned()),
        "{volumes:?}"
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

    // Settings from .env; a real health path; restart policy; hardening.
    assert_eq!(svc["env_file"][0]["path"].as_str(), Some(".env"));
    assert_eq!(svc["env_file"][0]["required"].as_bool(), Some(false));
    let test = strings(&svc["healthcheck"]["test"]);
    assert!(
        test.iter().any(|t| t.ends_with(":3000/api/v1/health")),
        "{test:?}"
    );
    assert_eq!(svc["restart"].as_str(), Some("unless-stopped"));
    assert_eq!(svc["read_only"].as_bool(), Some(true));
    assert_eq!(strings(&svc["cap_drop"]), ["ALL"]);
    assert_eq!(svc["environment"]["PORT"].as_str(), Some("3000"));
    let ports = strings(&svc["ports"]);
    assert!(ports.iter().all(|p| p.ends_with(":3000")), "{ports:?}");
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
}

#[test]
fn the_image_is_multi_stage_non_root_with_a_health_check() {
    let df = repo_file("Dockerfile");
    let froms: Vec<&str> = df.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "build and runtime stages: {froms:?}");
    assert!(
        df.contains("./dashboard.sh build"),
        "the image builds like a developer does"
    );
    let user = df.lines().rfind(|l| l.starts_with("USER ")).expect("USER");
    assert!(!user.contains("root"), "{user}");
    assert!(df.contains("EXPOSE 3000"));
    let hc = df
        .lines()
        .skip_while(|l| !l.starts_with("HEALTHCHECK"))
        .take(2)
        .collect::<String>();
    assert!(hc.contains("/api/v1/health"), "{hc}");
    for needed in [
        "STATIC_DIR=/usr/share/kato-dashboard/dist",
        "DATA_DIR=/var/lib/kato-dashboard",
        "HOST=0.0.0.0",
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
    assert_eq!(config.port, 3000);
    let example = repo_file(".env.example");
    for key in ["PORT=3000", "HOST=0.0.0.0", "KATO_API_URL=http://kato:8000"] {
        assert!(example.lines().any(|l| l == key), "{key} in .env.example");
    }
}

/// The real binary, with no PORT set, serves the web app and the API on port 3000 and stops on SIGTERM.
#[test]
fn the_binary_serves_the_app_on_port_3000_and_stops_on_sigterm() {
    use std::{
        io::{Read, Write},
        net::TcpStream,
        process::{Command, Stdio},
        time::{Duration, Instant},
    };
    if let Ok(s) = TcpStream::connect("127.0.0.1:3000") {
        drop(s);
        panic!("port 3000 is taken on this machine (a running dashboard? ./dashboard.sh stop)");
    }
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
        .env("STATIC_DIR", dist.path())
        .env("DATA_DIR", data.path())
        .env("KATO_API_URL", "http://127.0.0.1:1")
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .env("MONGO_URL", "mongodb://127.0.0.1:1")
        .env("QDRANT_URL", "http://127.0.0.1:1")
        .env("DOCKER_ENABLED", "false")
        .current_dir(data.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let get = |path: &str| -> Option<String> {
        let mut s = TcpStream::connect("127.0.0.1:3000").ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nConnection: close\r\n\r\n"
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
        assert!(Instant::now() < deadline, "nothing on port 3000 after 20 s");
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
