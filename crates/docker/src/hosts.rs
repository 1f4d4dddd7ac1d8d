//! Where the engines are: one `DOCKER_HOSTS` entry ([`EngineAddr::parse`]), the TLS client certificates of
//! an engine ([`TlsCerts`], the docker CLI's `DOCKER_CERT_PATH` layout), the short engine ids, and the
//! password-free address shown to people.
//!
//! An entry is an address, optionally followed by `#` and `key=value` options joined by `&`:
//!
//! ```text
//! unix:///var/run/docker.sock            the local engine (id `local`)
//! /run/user/1000/docker.sock             a bare socket path (same as unix://…)
//! tcp://10.0.0.5:2375                    plain HTTP (id `10.0.0.5`)
//! tcp://10.0.0.6:2376#certs=/etc/kato/docker-b          TLS with DIR/ca.pem, DIR/cert.pem, DIR/key.pem
//! tcp://10.0.0.6:2376#id=gpu-box&certs=/etc/kato/docker-b   the same with a chosen id
//! ```
//!
//! Parsing is pure; [`TlsCerts::check`] looks at the files (at configuration load).

use std::path::PathBuf;

/// The client side of an engine's TLS: a folder holding `ca.pem` (the CA that signed the engine's
/// certificate), `cert.pem` and `key.pem` (this client's certificate and key), as `DOCKER_CERT_PATH` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsCerts {
    /// The folder.
    pub dir: PathBuf,
}

impl TlsCerts {
    /// The CA certificate the engine's certificate must chain to.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// The client certificate.
    pub fn cert(&self) -> PathBuf {
        self.dir.join("cert.pem")
    }

    /// The client key (its path may be logged, never its content).
    pub fn key(&self) -> PathBuf {
        self.dir.join("key.pem")
    }

    /// Checks that the three files are there and readable; the error names the missing one.
    pub fn check(&self) -> Result<(), String> {
        for path in [self.ca(), self.cert(), self.key()] {
            std::fs::File::open(&path)
                .and_then(|f| f.metadata())
                .map_err(|e| format!("TLS file {} cannot be read: {e}", path.display()))
                .and_then(|m| {
                    m.is_file()
                        .then_some(())
                        .ok_or_else(|| format!("TLS file {} is not a file", path.display()))
                })?;
        }
        Ok(())
    }
}

/// One engine as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineAddr {
    /// `unix:///path` or `tcp://host:port` (a bare path is turned into `unix://`).
    pub host: String,
    /// The id given with `#id=`; otherwise derived (see [`engine_ids`]).
    pub id: Option<String>,
    /// Client certificates (`#certs=DIR`): the engine is spoken to over TLS.
    pub tls: Option<TlsCerts>,
}

impl EngineAddr {
    /// Reads one `DOCKER_HOSTS` entry (see the module doc); the error says what is wrong with it.
    pub fn parse(entry: &str) -> Result<Self, String> {
        let entry = entry.trim();
        let (addr, options) = entry.split_once('#').unwrap_or((entry, ""));
        let host = normalized(addr.trim())?;
        let mut parsed = Self {
            host,
            id: None,
            tls: None,
        };
        for option in options.split('&').map(str::trim).filter(|o| !o.is_empty()) {
            let (key, value) = option
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| format!("`{option}` in `{entry}` is not key=value"))?;
            match key {
                "id" => {
                    check_id(value).map_err(|e| format!("`{entry}`: {e}"))?;
                    parsed.id = Some(value.to_owned());
                }
                "certs" if value.is_empty() => {
                    return Err(format!("`{entry}`: certs= needs a folder"));
                }
                "certs" => {
                    parsed.tls = Some(TlsCerts {
                        dir: PathBuf::from(value),
                    });
                }
                _ => {
                    return Err(format!(
                        "`{entry}`: unknown option `{key}` (known: id, certs)"
                    ));
                }
            }
        }
        if parsed.tls.is_some() && !parsed.host.starts_with("tcp://") {
            return Err(format!(
                "`{entry}`: certs= is for tcp://host:port engines (a unix socket has no TLS)"
            ));
        }
        Ok(parsed)
    }

    /// Reads a whole comma-separated `DOCKER_HOSTS` list (empty entries are skipped).
    pub fn parse_list(list: &str) -> Result<Vec<Self>, String> {
        let engines = list
            .split(',')
            .filter(|e| !e.trim().is_empty())
            .map(Self::parse)
            .collect::<Result<Vec<_>, _>>()?;
        engine_ids(&engines)?;
        Ok(engines)
    }
}

fn normalized(addr: &str) -> Result<String, String> {
    if addr.starts_with('/') {
        return Ok(format!("unix://{addr}"));
    }
    if let Some(path) = addr.strip_prefix("unix://") {
        return if path.starts_with('/') {
            Ok(addr.to_owned())
        } else {
            Err(format!(
                "`{addr}`: a unix socket needs an absolute path (unix:///path/docker.sock)"
            ))
        };
    }
    if let Some(authority) = addr.strip_prefix("tcp://") {
        let authority = authority.trim_end_matches('/');
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let port = host_port.rsplit_once(':').map(|(_, p)| p);
        return match port.map(str::parse::<u16>) {
            Some(Ok(_)) if !host_of(addr).is_empty() => Ok(format!("tcp://{authority}")),
            _ => Err(format!("`{addr}`: use tcp://host:port")),
        };
    }
    Err(format!(
        "unsupported Docker engine address `{addr}` (use unix:///path/docker.sock, a socket path, or tcp://host:port)"
    ))
}

fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "engine id `{id}` must be 1 to 64 letters, digits, `-`, `_` or `.`"
        ))
    }
}

/// The host part of a `tcp://` address (`10.0.0.5`, `[::1]` → `::1`), empty for anything else.
fn host_of(host: &str) -> &str {
    let Some(authority) = host.strip_prefix("tcp://") else {
        return "";
    };
    let authority = authority.trim_end_matches('/');
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host_port.rsplit_once(':').map_or(host_port, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// The address as people see it: no user or password (`tcp://user:pw@h:2376` → `tcp://h:2376`), and
/// `(TLS)` after an engine spoken to over TLS.
pub fn shown_host(host: &str, tls: bool) -> String {
    let plain = match host.strip_prefix("tcp://") {
        Some(authority) => format!(
            "tcp://{}",
            authority.rsplit_once('@').map_or(authority, |(_, h)| h)
        ),
        None => host.to_owned(),
    };
    if tls { format!("{plain} (TLS)") } else { plain }
}

/// The id an engine gets when none is given: `local` for a unix socket, else the host part with anything
/// but letters, digits, `-`, `_` and `.` turned into `-`.
pub fn default_id(host: &str) -> String {
    let part = host_of(host);
    if part.is_empty() {
        return "local".to_owned();
    }
    part.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect()
}

/// One unique id per engine, in order: the given ones (which must differ), then the derived ones, a
/// derived id already taken getting `-2`, `-3`, … (`local`, `local-2` for two unix sockets).
pub fn engine_ids(engines: &[EngineAddr]) -> Result<Vec<String>, String> {
    let mut taken: Vec<String> = Vec::new();
    for id in engines.iter().filter_map(|e| e.id.as_ref()) {
        if taken.contains(id) {
            return Err(format!("engine id `{id}` is given twice"));
        }
        taken.push(id.clone());
    }
    let mut ids = Vec::with_capacity(engines.len());
    for e in engines {
        let id = match &e.id {
            Some(id) => id.clone(),
            None => {
                let base = default_id(&e.host);
                let id = (1..)
                    .map(|n| {
                        if n == 1 {
                            base.clone()
                        } else {
                            format!("{base}-{n}")
                        }
                    })
                    .find(|candidate| !taken.contains(candidate))
                    .unwrap_or(base);
                taken.push(id.clone());
                id
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

#[cfg(test)]
#[path = "hosts_tests.rs"]
mod tests;
