//! Which browser pages may open `/ws`: no `Origin` (not a browser), the page's own origin, or one configured in
//! `WS_ALLOWED_ORIGINS` (else `CORS_ORIGINS`).
//!
//! "The page's own origin" is the host the browser asked for. Behind a reverse proxy that rewrites `Host` (nginx's
//! default `proxy_set_header Host $proxy_host`) that host only arrives in `X-Forwarded-Host` or `Forwarded:
//! host=`, which anyone can send; so they are believed only from the proxies listed in `TRUSTED_PROXIES`. A
//! refused Origin is logged once per origin, with the setting that would let it in.

use std::{collections::HashSet, net::IpAddr, sync::Mutex};

use axum::http::{HeaderMap, header};
use ipnet::IpNet;

/// Distinct refused origins logged at most (then refusals are only counted).
const MAX_LOGGED: usize = 64;

/// The Origin check of every upgrade.
#[derive(Debug)]
pub struct OriginPolicy {
    allowed: Vec<String>,
    trusted: Vec<IpNet>,
    logged: Mutex<HashSet<String>>,
}

impl OriginPolicy {
    /// From the configured origins and trusted proxies.
    pub fn new(allowed: Vec<String>, trusted: Vec<IpNet>) -> Self {
        Self {
            allowed,
            trusted,
            logged: Mutex::new(HashSet::new()),
        }
    }

    /// Whether the upgrade from `peer` with these headers may proceed; else the reason for the client.
    pub fn check(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Result<(), String> {
        let Some(origin) = text(headers, header::ORIGIN.as_str()) else {
            return Ok(());
        };
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        let from_trusted = peer.is_some_and(|ip| self.trusted.iter().any(|net| net.contains(&ip)));
        let forwarded = forwarded_host(headers);
        let page_host = match (from_trusted, forwarded) {
            (true, Some(f)) => f,
            _ => text(headers, header::HOST.as_str())
                .unwrap_or_default()
                .to_owned(),
        };
        if !page_host.is_empty() && origin_host.eq_ignore_ascii_case(&page_host) {
            return Ok(());
        }
        if self
            .allowed
            .iter()
            .any(|o| o == "*" || o.eq_ignore_ascii_case(origin))
        {
            return Ok(());
        }
        self.log_once(
            origin,
            &page_host,
            peer,
            forwarded_host(headers),
            from_trusted,
        );
        Err(format!(
            "origin {origin} is not allowed; add it to WS_ALLOWED_ORIGINS"
        ))
    }

    fn log_once(
        &self,
        origin: &str,
        host: &str,
        peer: Option<IpAddr>,
        forwarded: Option<String>,
        from_trusted: bool,
    ) {
        let mut logged = self.logged.lock().unwrap_or_else(|e| e.into_inner());
        if logged.len() >= MAX_LOGGED || !logged.insert(origin.to_owned()) {
            return;
        }
        let peer_text = peer.map_or_else(|| "?".to_owned(), |ip| ip.to_string());
        let fix = match forwarded {
            Some(f) if !from_trusted && origin_host_is(origin, &f) => format!(
                "the request came through a proxy at {peer_text} that says the page is {f}: set TRUSTED_PROXIES={peer_text} \
                 to believe its X-Forwarded-Host, or add {origin} to WS_ALLOWED_ORIGINS"
            ),
            _ => format!(
                "the page's host is {host:?}; if a reverse proxy rewrites Host, make it send X-Forwarded-Host and \
                 list it in TRUSTED_PROXIES, or add {origin} to WS_ALLOWED_ORIGINS"
            ),
        };
        tracing::warn!(%origin, peer = %peer_text, "refused a /ws connection from another origin: {fix} (logged once per origin)");
    }
}

fn origin_host_is(origin: &str, host: &str) -> bool {
    origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .eq_ignore_ascii_case(host)
}

fn text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The host the client asked the first proxy for: `X-Forwarded-Host` (its first value), else the `host=` of the
/// first `Forwarded` element.
fn forwarded_host(headers: &HeaderMap) -> Option<String> {
    if let Some(x) = text(headers, "x-forwarded-host") {
        let first = x.split(',').next().unwrap_or_default().trim();
        if !first.is_empty() {
            return Some(first.to_owned());
        }
    }
    let forwarded = text(headers, "forwarded")?;
    let first = forwarded.split(',').next()?;
    first.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("host")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Parses `TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges (`10.0.0.5`, `172.18.0.0/16`, `::1`).
pub fn parse_trusted(list: &str) -> Result<Vec<IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{item:?} is not an IP address or CIDR range"))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn policy(trusted: &str) -> OriginPolicy {
        OriginPolicy::new(
            vec!["http://localhost:3000".into()],
            parse_trusted(trusted).unwrap(),
        )
    }

    #[test]
    fn same_host_configured_and_non_browser_clients_pass() {
        let p = policy("");
        assert!(p.check(&headers(&[]), None).is_ok());
        let same = headers(&[
            ("origin", "https://dash.example.com"),
            ("host", "dash.example.com"),
        ]);
        assert!(p.check(&same, None).is_ok());
        let listed = headers(&[
            ("origin", "http://localhost:3000"),
            ("host", "kato-dashboard:3000"),
        ]);
        assert!(p.check(&listed, None).is_ok());
        let other = headers(&[
            ("origin", "https://evil.example"),
            ("host", "dash.example.com"),
        ]);
        assert!(
            p.check(&other, None)
                .unwrap_err()
                .contains("WS_ALLOWED_ORIGINS")
        );
    }

    #[test]
    fn forwarded_host_counts_only_from_trusted_proxies() {
        let behind_nginx = headers(&[
            ("origin", "https://dash.example.com"),
            ("host", "kato-dashboard:3000"),
            ("x-forwarded-host", "dash.example.com"),
        ]);
        let proxy: IpAddr = "172.18.0.5".parse().unwrap();
        assert!(
            policy("").check(&behind_nginx, Some(proxy)).is_err(),
            "not trusted"
        );
        assert!(
            policy("172.18.0.0/16")
                .check(&behind_nginx, Some(proxy))
                .is_ok()
        );
        let stranger: IpAddr = "192.0.2.9".parse().unwrap();
        assert!(
            policy("172.18.0.0/16")
                .check(&behind_nginx, Some(stranger))
                .is_err()
        );
        let rfc7239 = headers(&[
            ("origin", "https://dash.example.com"),
            ("host", "backend"),
            (
                "forwarded",
                "for=198.51.100.7;host=\"dash.example.com\";proto=https, for=10.0.0.1",
            ),
        ]);
        assert!(policy("172.18.0.5").check(&rfc7239, Some(proxy)).is_ok());
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_ranges() {
        assert_eq!(
            parse_trusted(" 10.0.0.5, 172.18.0.0/16 ,::1")
                .unwrap()
                .len(),
            3
        );
        assert!(parse_trusted("").unwrap().is_empty());
        assert!(parse_trusted("nginx").unwrap_err().contains("nginx"));
    }
}
