//! Fault injection: kato-sim, Redis and the Docker engine killed and restarted in a seeded random order (at most
//! two down at once, each down for a random while), and garbage HTTP thrown at the dashboard's port. Every fault
//! goes into a timeline with wall-clock times, so a bad event can be matched with what was down when it came.

use std::time::Duration;

use chrono::Utc;
use rand::{Rng, SeedableRng, rngs::StdRng};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::Instant,
};

use super::services::{How, Kind, Services};

/// What the fault injector did.
#[derive(Debug, Default)]
pub struct Faults {
    /// Per [`Kind::index`]: times brought down.
    pub downs: [u64; 3],
    /// Per kind: times brought back, and the longest restart.
    pub ups: [u64; 3],
    pub slowest_up: [Duration; 3],
    /// `HH:MM:SS.mmm down/up <service>` lines.
    pub timeline: Vec<String>,
}

impl Faults {
    fn note(&mut self, what: String) {
        let line = format!("{} {what}", Utc::now().format("%H:%M:%S%.3f"));
        if std::env::var_os("KATO_SOAK_VERBOSE").is_some() {
            println!("fault: {line}");
        }
        self.timeline.push(line);
    }

    async fn up(&mut self, services: &mut Services, kind: Kind) -> Result<(), String> {
        let took = services.bring_up(kind).await?;
        let i = kind.index();
        self.ups[i] += 1;
        self.slowest_up[i] = self.slowest_up[i].max(took);
        self.note(format!("up   {kind} (took {took:.1?})"));
        Ok(())
    }
}

/// Kills and restarts the services of `kinds` until `deadline`, then brings every one back (Redis before kato-sim,
/// which connects to it at start).
pub async fn run(
    services: &mut Services,
    kinds: &[Kind],
    seed: u64,
    deadline: Instant,
) -> Result<Faults, String> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut f = Faults::default();
    while Instant::now() < deadline {
        let wait = Duration::from_millis(rng.random_range(700..2500));
        tokio::time::sleep_until((Instant::now() + wait).min(deadline)).await;
        if Instant::now() >= deadline {
            break;
        }
        let down: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| !services.is_up(*k))
            .collect();
        let up: Vec<Kind> = kinds
            .iter()
            .copied()
            .filter(|k| services.is_up(*k))
            .collect();
        if up.is_empty() && down.is_empty() {
            continue;
        }
        let restart =
            !down.is_empty() && (down.len() >= 2 || up.is_empty() || rng.random_bool(0.55));
        if restart {
            let mut kind = down[rng.random_range(0..down.len())];
            if kind == Kind::Kato && down.contains(&Kind::Redis) {
                kind = Kind::Redis;
            }
            f.up(services, kind).await?;
        } else {
            let kind = up[rng.random_range(0..up.len())];
            let how = if rng.random_bool(0.5) {
                How::Kill
            } else {
                How::Stop
            };
            services.bring_down(kind, how).await;
            f.downs[kind.index()] += 1;
            let how = match (kind, how) {
                (Kind::Redis, _) => "SIGKILL",
                (Kind::Docker, _) => "SIGTERM",
                (Kind::Kato, How::Kill) => "dropped",
                (Kind::Kato, How::Stop) => "graceful shutdown",
            };
            f.note(format!("down {kind} ({how})"));
        }
    }
    for kind in [Kind::Redis, Kind::Kato, Kind::Docker] {
        if !services.is_up(kind) {
            f.up(services, kind).await?;
        }
    }
    Ok(f)
}

/// Bad inputs thrown at the dashboard's HTTP port.
#[derive(Debug, Default)]
pub struct Garbage {
    pub sent: u64,
    /// Of those, how many got an HTTP error status back (the rest were closed without one).
    pub answered_4xx: u64,
}

/// Every 0.5–2 s until `deadline`: a raw connection with garbage (random bytes, a bad request line, a head over
/// 16 KiB, a head cut off, a bogus WebSocket upgrade); reads what comes back for up to 2 s.
pub async fn garbage(port: u16, seed: u64, deadline: Instant) -> Garbage {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g = Garbage::default();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(rng.random_range(500..2000))).await;
        let payload: Vec<u8> = match rng.random_range(0..5) {
            0 => (0..rng.random_range(1..600)).map(|_| rng.random()).collect(),
            1 => b"GARBAGE /\x00\xff HTTP/9.9\r\n\r\n".to_vec(),
            2 => format!(
                "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "a".repeat(20 * 1024)
            )
            .into_bytes(),
            3 => b"GET /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le".to_vec(),
            _ => b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: !!\r\nSec-WebSocket-Version: 7\r\n\r\n".to_vec(),
        };
        let Ok(Ok(mut s)) = tokio::time::timeout(
            Duration::from_secs(2),
            TcpStream::connect(("127.0.0.1", port)),
        )
        .await
        else {
            continue;
        };
        g.sent += 1;
        if s.write_all(&payload).await.is_err() {
            continue;
        }
        let mut buf = vec![0u8; 1024];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await
            && n >= 12
            && (buf.starts_with(b"HTTP/1.1 4") || buf.starts_with(b"HTTP/1.0 4"))
        {
            g.answered_4xx += 1;
        }
    }
    g
}
