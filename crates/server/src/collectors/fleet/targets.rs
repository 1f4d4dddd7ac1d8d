//! Which KATO instances to watch: the configured URLs and, with `KATO_DISCOVERY=dns:NAME:PORT`, every address
//! NAME resolves to (through the system resolver, or a hosts file of the operator's or the test's own).

use std::{
    collections::BTreeSet,
    io,
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
};

use kato_dashboard_core::topics::InstanceOrigin;
use url::Url;

/// One KATO instance to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Stable id: the URL's `host:port`.
    pub id: String,
    /// Base URL of its REST API.
    pub url: Url,
    /// Configured or discovered.
    pub origin: InstanceOrigin,
}

impl Target {
    /// A target for a base URL; `None` for a URL without a host.
    pub fn new(url: Url, origin: InstanceOrigin) -> Option<Self> {
        let host = match url.host()? {
            url::Host::Ipv6(ip) => format!("[{ip}]"),
            other => other.to_string(),
        };
        let port = url.port_or_known_default()?;
        Some(Self {
            id: format!("{host}:{port}"),
            url,
            origin,
        })
    }

    fn discovered(addr: SocketAddr) -> Option<Self> {
        let url = Url::parse(&format!("http://{addr}/")).ok()?;
        Self::new(url, InstanceOrigin::Dns)
    }
}

/// `KATO_API_URLS`: each URL a target (duplicates by id once); the error names the entry that is not a URL.
pub fn parse_urls(urls: &[String]) -> Result<Vec<Target>, String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for text in urls {
        let url = Url::parse(text).map_err(|e| format!("`{text}` is not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("`{text}` must be an http:// or https:// URL"));
        }
        let target = Target::new(url, InstanceOrigin::Static)
            .ok_or_else(|| format!("`{text}` has no host"))?;
        if seen.insert(target.id.clone()) {
            out.push(target);
        }
    }
    Ok(out)
}

/// `KATO_DISCOVERY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// The name whose every A/AAAA record is an instance.
    pub name: String,
    /// KATO's port on each.
    pub port: u16,
    /// Read this hosts file instead of asking the system resolver.
    pub hosts_file: Option<PathBuf>,
}

impl Discovery {
    /// Parses `dns:NAME:PORT` (empty: no discovery).
    pub fn parse(text: &str, hosts_file: Option<PathBuf>) -> Result<Option<Self>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let bad = || format!("`{text}` is not dns:NAME:PORT (e.g. dns:kato-headless:8000)");
        let rest = text.strip_prefix("dns:").ok_or_else(bad)?;
        let (name, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let port: u16 = port.parse().map_err(|_| bad())?;
        if name.is_empty() || port == 0 {
            return Err(bad());
        }
        Ok(Some(Self {
            name: name.to_owned(),
            port,
            hosts_file,
        }))
    }

    /// The instances NAME resolves to now, in address order.
    pub async fn resolve(&self) -> io::Result<Vec<Target>> {
        let mut addrs: Vec<SocketAddr> = match &self.hosts_file {
            Some(path) => from_hosts_file(path, &self.name)
                .await?
                .into_iter()
                .map(|ip| SocketAddr::new(ip, self.port))
                .collect(),
            None => tokio::net::lookup_host((self.name.as_str(), self.port))
                .await?
                .collect(),
        };
        addrs.sort();
        addrs.dedup();
        Ok(addrs.into_iter().filter_map(Target::discovered).collect())
    }
}

/// The addresses a hosts file gives `name` (`ADDRESS NAME [ALIAS…]` lines, `#` comments), like the system's
/// `/etc/hosts`. A name it does not list resolves to nothing (an empty fleet, not an error).
async fn from_hosts_file(path: &Path, name: &str) -> io::Result<Vec<IpAddr>> {
    let text = tokio::fs::read_to_string(path).await?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let ip: IpAddr = words.next()?.parse().ok()?;
            words.any(|w| w.eq_ignore_ascii_case(name)).then_some(ip)
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_targets_named_by_host_and_port() {
        let t = parse_urls(&[
            "http://kato-1:8000/".into(),
            "https://kato-2".into(),
            "http://kato-1:8000".into(),
        ])
        .unwrap();
        let ids: Vec<&str> = t.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["kato-1:8000", "kato-2:443"]);
        assert!(
            parse_urls(&["ftp://x".into()])
                .unwrap_err()
                .contains("http://")
        );
        assert!(parse_urls(&["kato:8000".into()]).is_err());
        let v6 = Target::discovered("[::1]:8000".parse().unwrap()).unwrap();
        assert_eq!(
            (v6.id.as_str(), v6.url.as_str()),
            ("[::1]:8000", "http://[::1]:8000/")
        );
    }

    #[test]
    fn discovery_is_dns_name_port() {
        let d = Discovery::parse("dns:kato-headless.ns.svc:8000", None)
            .unwrap()
            .unwrap();
        assert_eq!((d.name.as_str(), d.port), ("kato-headless.ns.svc", 8000));
        assert_eq!(Discovery::parse(" ", None).unwrap(), None);
        for bad in [
            "kato:8000",
            "dns:kato",
            "dns::8000",
            "dns:kato:0",
            "dns:kato:x",
        ] {
            assert!(Discovery::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_hosts_file_lists_the_instances_and_is_read_again_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = dir.path().join("hosts");
        std::fs::write(
            &hosts,
            "127.0.0.3 kato # third\n127.0.0.2 other kato\n# 127.0.0.9 kato\n::1 KATO\n",
        )
        .unwrap();
        let d = Discovery::parse("dns:kato:8000", Some(hosts.clone()))
            .unwrap()
            .unwrap();
        let ids: Vec<String> = d
            .resolve()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, ["127.0.0.2:8000", "127.0.0.3:8000", "[::1]:8000"]);
        std::fs::write(&hosts, "127.0.0.2 kato\n").unwrap();
        assert_eq!(d.resolve().await.unwrap().len(), 1);
        std::fs::remove_file(&hosts).unwrap();
        assert!(
            d.resolve().await.is_err(),
            "a missing file is an error, not an empty fleet"
        );
    }
}
