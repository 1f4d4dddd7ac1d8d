//! `kato-demo-stores`: KATO's recorded databases for `./dashboard.sh demo`, so the Databases pages show real
//! knowledge bases: a MongoDB (`nx-27017`, installed into a venv on first use) loaded with the dump of KATO
//! d1391ac (`tests/fixtures/kato/stores-d1391ac/mongodb`), and the Qdrant gRPC test server with KATO's
//! collections. Both listen on 127.0.0.1 only, on the ports given, until SIGTERM or SIGINT.
//!
//! ```text
//! kato-demo-stores --mongo-port 27117 --qdrant-port 6434
//! ```

use std::process::ExitCode;

use kato_dashboard_testkit::{MongoServer, kato_fixtures_dir, qdrant::QdrantTestServer};

/// Ports from `--mongo-port N --qdrant-port N`.
fn parse_args(args: &[String]) -> Result<(u16, u16), String> {
    let (mut mongo, mut qdrant) = (None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let slot = match flag.as_str() {
            "--mongo-port" => &mut mongo,
            "--qdrant-port" => &mut qdrant,
            other => return Err(format!("unknown argument {other:?}")),
        };
        let value = it.next().ok_or_else(|| format!("{flag} needs a port"))?;
        *slot = Some(
            value
                .parse::<u16>()
                .map_err(|e| format!("{flag} {value:?}: {e}"))?,
        );
    }
    match (mongo, qdrant) {
        (Some(m), Some(q)) => Ok((m, q)),
        _ => Err("both --mongo-port and --qdrant-port are needed".into()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mongo_port, qdrant_port) = match parse_args(&args) {
        Ok(ports) => ports,
        Err(e) => {
            eprintln!(
                "kato-demo-stores: {e}\nusage: kato-demo-stores --mongo-port N --qdrant-port N"
            );
            return ExitCode::from(2);
        }
    };
    let fixtures = kato_fixtures_dir().join("stores-d1391ac/mongodb");
    let mongo = match MongoServer::start_on(mongo_port).and_then(|m| {
        let docs = m.load(&fixtures)?;
        Ok((m, docs))
    }) {
        Ok((m, docs)) => {
            println!(
                "MongoDB: {} ({docs} documents from {})",
                m.url(),
                fixtures.display()
            );
            m
        }
        Err(e) => {
            eprintln!("kato-demo-stores: MongoDB: {e}");
            return ExitCode::FAILURE;
        }
    };
    let qdrant = match QdrantTestServer::start_on(qdrant_port, None) {
        Ok(q) => {
            println!("Qdrant (gRPC): {}", q.url());
            q
        }
        Err(e) => {
            eprintln!("kato-demo-stores: Qdrant: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("ready");
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kato-demo-stores: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(until_signal());
    // Dropping them stops nx-27017 and the Qdrant server.
    drop(qdrant);
    drop(mongo);
    ExitCode::SUCCESS
}

async fn until_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_args;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn ports_come_from_the_command_line() {
        assert_eq!(
            parse_args(&args(&["--mongo-port", "27117", "--qdrant-port", "6434"])),
            Ok((27117, 6434))
        );
        assert!(parse_args(&args(&["--mongo-port", "27117"])).is_err());
        assert!(parse_args(&args(&["--mongo-port", "x", "--qdrant-port", "1"])).is_err());
        assert!(parse_args(&args(&["--redis", "1"])).is_err());
    }
}
