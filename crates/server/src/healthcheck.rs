//! `kato-dashboard healthcheck`: the container's health probe, so the image needs no curl and no shell.
//!
//! One `GET /api/v1/health` to the dashboard on this host (`127.0.0.1:$PORT`, `PORT` default 3000; `HOST` when it
//! names one specific address), over plain std sockets with a deadline of [`DEADLINE`]. Exit status 0 on a 2xx
//! answer, 1 otherwise with a one-line reason on stderr. It reads nothing but those two variables: no
//! configuration file, no `.env`, no logging, no runtime.

use std::{
    io::{Read, Write},
    net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream},
    time::{Duration, Instant},
};

/// The whole probe's budget: below Docker's `--timeout` (3 s in the Dockerfile and compose file).
pub const DEADLINE: Duration = Duration::from_secs(2);

/// Runs the probe with the process environment; the process exit code.
pub fn main() -> i32 {
    let port = std::env::var("PORT").ok();
    let host = std::env::var("HOST").ok();
    match target(host.as_deref(), port.as_deref()).and_then(|addr| probe(addr, DEADLINE)) {
        Ok(()) => 0,
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            1
        }
    }
}

/// Where the dashboard listens, as seen from inside its own host or container: loopback unless `HOST` names a
/// specific address (a wildcard `0.0.0.0`/`::` or a name means loopback).
pub fn target(host: Option<&str>, port: Option<&str>) -> Result<SocketAddr, String> {
    let port = match port.map(str::trim).filter(|p| !p.is_empty()) {
        None => 3000,
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("PORT={p:?} is not a port number"))?,
    };
    let ip = host
        .map(|h| h.trim().trim_start_matches('[').trim_end_matches(']'))
        .and_then(|h| h.parse::<IpAddr>().ok())
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    Ok(SocketAddr::new(ip, port))
}

/// `GET /api/v1/health` on `addr`; `Ok` on a 2xx status, else why not.
pub fn probe(addr: SocketAddr, within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("no answer from {addr} within {within:?}"))
    };
    let mut stream = TcpStream::connect_timeout(&addr, left()?)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream
        .set_write_timeout(Some(left()?))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET /api/v1/health HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: kato-dashboard-healthcheck\r\n\
         Accept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("sending the request to {addr}: {e}"))?;
    // The status line is all we need; read until it is complete (or the peer closes).
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 4096 {
        stream
            .set_read_timeout(Some(left()?))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("reading the answer from {addr}: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or_default().trim();
    match status_code(line) {
        Some(code) if (200..300).contains(&code) => Ok(()),
        Some(_) => Err(format!("GET http://{addr}/api/v1/health answered {line}")),
        None if line.is_empty() => Err(format!("{addr} closed the connection without an answer")),
        None => Err(format!(
            "{addr} answered something that is not HTTP: {line:?}"
        )),
    }
}

/// The status code of an HTTP/1.x status line.
fn status_code(line: &str) -> Option<u16> {
    let mut parts = line.split_whitespace();
    parts.next().filter(|v| v.starts_with("HTTP/1."))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_port_3000_unless_told_otherwise() {
        let t = |h, p| target(h, p).map(|a| a.to_string());
        assert_eq!(t(None, None).unwrap(), "127.0.0.1:3000");
        assert_eq!(t(Some("0.0.0.0"), Some("8080")).unwrap(), "127.0.0.1:8080");
        assert_eq!(t(Some("::"), Some(" 3001 ")).unwrap(), "127.0.0.1:3001");
        assert_eq!(
            t(Some("kato-dashboard"), Some("")).unwrap(),
            "127.0.0.1:3000"
        );
        assert_eq!(t(Some("10.1.2.3"), None).unwrap(), "10.1.2.3:3000");
        assert_eq!(t(Some("[::1]"), None).unwrap(), "[::1]:3000");
        assert!(t(None, Some("http")).unwrap_err().contains("PORT"));
        assert!(t(None, Some("70000")).is_err());
    }

    #[test]
    fn only_a_2xx_status_line_is_healthy() {
        assert_eq!(status_code("HTTP/1.1 200 OK"), Some(200));
        assert_eq!(status_code("HTTP/1.0 503 Service Unavailable"), Some(503));
        assert_eq!(status_code("SSH-2.0-OpenSSH"), None);
        assert_eq!(status_code(""), None);
    }

    /// A server that answers one connection with `answer`, then closes.
    fn one_shot(answer: &'static [u8]) -> SocketAddr {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut req = [0u8; 1024];
                let _ = s.read(&mut req);
                let _ = s.write_all(answer);
            }
        });
        addr
    }

    #[test]
    fn answers_are_judged_by_their_status() {
        let ok = one_shot(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
        assert_eq!(probe(ok, DEADLINE), Ok(()));
        let down = one_shot(b"HTTP/1.1 503 Service Unavailable\r\n\r\n");
        let err = probe(down, DEADLINE).unwrap_err();
        assert!(err.contains("503"), "{err}");
        let garbage = one_shot(b"hello\n");
        assert!(probe(garbage, DEADLINE).unwrap_err().contains("not HTTP"));
        let silent = one_shot(b"");
        assert!(
            probe(silent, DEADLINE)
                .unwrap_err()
                .contains("without an answer")
        );
    }

    #[test]
    fn a_server_that_never_answers_fails_within_the_deadline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let started = Instant::now();
        let err = probe(addr, Duration::from_millis(300)).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "{err}");
        drop(listener);
    }
}
