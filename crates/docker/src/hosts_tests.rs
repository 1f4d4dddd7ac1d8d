//! `DOCKER_HOSTS` entries: the accepted forms, the errors, the ids and the address shown.

use super::*;

fn parse(entry: &str) -> EngineAddr {
    EngineAddr::parse(entry).unwrap_or_else(|e| panic!("{entry}: {e}"))
}

#[test]
fn accepted_forms() {
    let local = parse("unix:///var/run/docker.sock");
    assert_eq!(local.host, "unix:///var/run/docker.sock");
    assert_eq!((local.id, local.tls), (None, None));
    assert_eq!(parse("/run/docker.sock").host, "unix:///run/docker.sock");
    assert_eq!(parse(" tcp://10.0.0.5:2375/ ").host, "tcp://10.0.0.5:2375");
    let tls = parse("tcp://10.0.0.6:2376#id=gpu-box&certs=/etc/kato/docker-b");
    assert_eq!(tls.host, "tcp://10.0.0.6:2376");
    assert_eq!(tls.id.as_deref(), Some("gpu-box"));
    let certs = tls.tls.unwrap();
    assert_eq!(certs.ca(), PathBuf::from("/etc/kato/docker-b/ca.pem"));
    assert_eq!(certs.cert(), PathBuf::from("/etc/kato/docker-b/cert.pem"));
    assert_eq!(certs.key(), PathBuf::from("/etc/kato/docker-b/key.pem"));
}

#[test]
fn errors_say_what_is_wrong() {
    let cases = [
        ("ssh://me@box", "unsupported Docker engine address"),
        ("npipe:////./pipe/docker_engine", "unsupported"),
        ("unix://relative.sock", "absolute path"),
        ("tcp://10.0.0.5", "use tcp://host:port"),
        ("tcp://:2375", "use tcp://host:port"),
        ("tcp://10.0.0.5:2376#certs=", "needs a folder"),
        ("tcp://10.0.0.5:2376#tls", "not key=value"),
        ("tcp://10.0.0.5:2376#verify=no", "unknown option `verify`"),
        ("unix:///x.sock#certs=/etc/c", "certs= is for tcp://"),
        ("tcp://h:1#id=a@b", "engine id `a@b`"),
        ("tcp://h:1#id=", "engine id ``"),
    ];
    for (entry, want) in cases {
        let err = EngineAddr::parse(entry).unwrap_err();
        assert!(err.contains(want), "{entry}: {err:?} should say {want:?}");
    }
    let twice = EngineAddr::parse_list("tcp://a:1#id=x,tcp://b:1#id=x").unwrap_err();
    assert!(twice.contains("`x` is given twice"), "{twice}");
}

#[test]
fn ids_are_short_stable_and_unique() {
    let list = EngineAddr::parse_list(
        "unix:///var/run/docker.sock, /tmp/b/docker.sock,,tcp://10.0.0.5:2375,\
         tcp://10.0.0.5:2376,tcp://[::1]:2375,tcp://docker-c.lan:2375#id=local-2",
    )
    .unwrap();
    assert_eq!(
        engine_ids(&list).unwrap(),
        [
            "local",
            "local-3",
            "10.0.0.5",
            "10.0.0.5-2",
            "--1",
            "local-2"
        ],
        "a given id is kept; derived ones make way"
    );
}

#[test]
fn the_shown_address_has_no_password() {
    assert_eq!(
        shown_host("tcp://d:secret@127.0.0.1:2375", false),
        "tcp://127.0.0.1:2375"
    );
    assert_eq!(
        shown_host("tcp://10.0.0.6:2376", true),
        "tcp://10.0.0.6:2376 (TLS)"
    );
    assert_eq!(
        shown_host("unix:///var/run/docker.sock", false),
        "unix:///var/run/docker.sock"
    );
    assert_eq!(default_id("tcp://d:secret@box.lan:2375"), "box.lan");
}

#[test]
fn the_certificate_folder_is_checked() {
    let dir = std::env::temp_dir().join(format!("kd-certs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let certs = TlsCerts { dir: dir.clone() };
    let err = certs.check().unwrap_err();
    assert!(err.contains("ca.pem"), "{err}");
    for f in ["ca.pem", "cert.pem"] {
        std::fs::write(dir.join(f), "x").unwrap();
    }
    let err = certs.check().unwrap_err();
    assert!(err.contains("key.pem"), "{err}");
    std::fs::write(dir.join("key.pem"), "x").unwrap();
    certs.check().unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
