//! The shared client (one HTTP connection pool), its configuration, deadlines, and a quick reachability check.

use std::{future::Future, time::Duration};

use tokio::net::TcpStream;

use crate::error::{ClickHouseBrowseError, Result};

/// Longest one read may take, end to end.
const OPERATION: Duration = Duration::from_secs(15);
/// Longest a knowledge-base drop may take (ClickHouse drops a partition's parts; that is quick, but it waits).
const DROP: Duration = Duration::from_secs(60);
/// How long [`ClickHouseBrowser::ping`] may take in all.
const PING: Duration = Duration::from_secs(2);
/// How long the TCP connect of the ping's quick check may take.
const CONNECT_CHECK: Duration = Duration::from_millis(500);

/// Where ClickHouse is and how to log in (`CLICKHOUSE_URL`, `CLICKHOUSE_DATABASE`, `CLICKHOUSE_USER`,
/// `CLICKHOUSE_PASSWORD`).
#[derive(Clone, Default)]
pub struct ClickHouseConfig {
    /// `http://host:8123` or `https://…`; a `user:password@` in it is used when `user`/`password` are unset.
    pub url: String,
    /// KATO's database (`kato`).
    pub database: String,
    /// ClickHouse user; unset: ClickHouse's `default`.
    pub user: Option<String>,
    /// Its password.
    pub password: Option<String>,
}

impl std::fmt::Debug for ClickHouseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseConfig")
            .field("database", &self.database)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The browser. Cloning shares the HTTP connection pool.
#[derive(Clone)]
pub struct ClickHouseBrowser {
    client: std::result::Result<clickhouse::Client, String>,
    /// `host:port`, for messages (never credentials).
    target: String,
    database: String,
}

impl std::fmt::Debug for ClickHouseBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseBrowser")
            .field("target", &self.target)
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

impl ClickHouseBrowser {
    /// A browser for `config`. Nothing connects until the first call; an unusable URL is reported then.
    pub fn new(config: &ClickHouseConfig) -> Self {
        let database = config.database.trim().to_owned();
        match parse_url(&config.url) {
            Ok(parsed) => {
                let mut client = clickhouse::Client::default()
                    .with_url(parsed.base)
                    .with_database(database.clone())
                    .with_product_info("kato-dashboard", env!("CARGO_PKG_VERSION"));
                let user = non_empty(config.user.as_deref()).or(parsed.user);
                let password = non_empty(config.password.as_deref()).or(parsed.password);
                if let Some(user) = user {
                    client = client.with_user(user);
                }
                if let Some(password) = password {
                    client = client.with_password(password);
                }
                Self {
                    client: Ok(client),
                    target: parsed.target,
                    database,
                }
            }
            Err(reason) => Self {
                client: Err(reason),
                target: String::new(),
                database,
            },
        }
    }

    /// KATO's database as configured.
    pub fn database(&self) -> &str {
        &self.database
    }

    pub(crate) fn client(&self) -> Result<&clickhouse::Client> {
        self.client
            .as_ref()
            .map_err(|reason| ClickHouseBrowseError::Unavailable(reason.clone()))
    }

    /// Runs one read under the end-to-end deadline, mapping its error.
    pub(crate) async fn run<T>(
        &self,
        op: impl Future<Output = clickhouse::error::Result<T>>,
    ) -> Result<T> {
        self.run_within(OPERATION, op).await
    }

    /// Runs a knowledge-base drop under its longer deadline.
    pub(crate) async fn run_drop<T>(
        &self,
        op: impl Future<Output = clickhouse::error::Result<T>>,
    ) -> Result<T> {
        self.run_within(DROP, op).await
    }

    async fn run_within<T>(
        &self,
        limit: Duration,
        op: impl Future<Output = clickhouse::error::Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout(limit, op).await {
            Ok(result) => result.map_err(|e| ClickHouseBrowseError::from_client(e, &self.target)),
            Err(_) => Err(ClickHouseBrowseError::Unavailable(format!(
                "no answer from ClickHouse at {} within {} s",
                self.target,
                limit.as_secs()
            ))),
        }
    }

    /// Answers `Ok` with ClickHouse's version when it answers `SELECT version()` with these credentials and the
    /// configured database exists; the error says why not. Where nothing listens, it says so at once.
    pub async fn ping(&self) -> Result<String> {
        let client = self.client()?;
        let connect = tokio::time::timeout(CONNECT_CHECK, TcpStream::connect(&self.target)).await;
        if let Ok(Err(e)) = connect {
            return Err(ClickHouseBrowseError::Unavailable(format!(
                "cannot connect to ClickHouse ({}: {e})",
                self.target
            )));
        }
        let query = client.query("SELECT version()").fetch_one::<String>();
        self.run_within(PING, query).await
    }
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A `CLICKHOUSE_URL` taken apart.
#[derive(Debug, PartialEq, Eq)]
struct ParsedUrl {
    /// Scheme, host, port and path, without credentials, query or fragment.
    base: String,
    /// `host:port` (the port defaults to 8123 for http, 8443 for https).
    target: String,
    user: Option<String>,
    password: Option<String>,
}

fn parse_url(raw: &str) -> std::result::Result<ParsedUrl, String> {
    let mut url = url::Url::parse(raw.trim())
        .map_err(|e| format!("CLICKHOUSE_URL is not usable: not a URL ({e})"))?;
    let default_port = match url.scheme() {
        "http" => 8123,
        "https" => 8443,
        other => {
            return Err(format!(
                "CLICKHOUSE_URL is not usable: the scheme is `{other}`; ClickHouse's HTTP interface is \
                 http://host:8123 (or https://host:8443)"
            ));
        }
    };
    let host = url
        .host_str()
        .ok_or("CLICKHOUSE_URL is not usable: it names no host")?
        .to_owned();
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let user = non_empty(decode(url.username()).as_deref());
    let password = url.password().and_then(decode).filter(|p| !p.is_empty());
    let port = url.port().unwrap_or(default_port);
    // Credentials travel in headers, never in the URL (a URL ends up in logs).
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    let bare_host = host.trim_start_matches('[').trim_end_matches(']');
    let target = if bare_host.contains(':') {
        format!("[{bare_host}]:{port}")
    } else {
        format!("{bare_host}:{port}")
    };
    Ok(ParsedUrl {
        base: url.as_str().trim_end_matches('/').to_owned(),
        target,
        user,
        password,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials_and_get_a_port() {
        let p = parse_url("http://kato:s%40cret@clickhouse:8123/?database=x").unwrap();
        assert_eq!(p.base, "http://clickhouse:8123");
        assert_eq!(p.target, "clickhouse:8123");
        assert_eq!(p.user.as_deref(), Some("kato"));
        assert_eq!(p.password.as_deref(), Some("s@cret"));
        let p = parse_url("https://ch.example").unwrap();
        assert_eq!((p.target.as_str(), p.user), ("ch.example:8443", None));
        assert_eq!(parse_url("http://[::1]:9").unwrap().target, "[::1]:9");
        assert!(parse_url("tcp://ch:9000").unwrap_err().contains("scheme"));
        assert!(parse_url("not a url").is_err());
    }

    #[tokio::test]
    async fn nothing_listening_is_told_at_once() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let browser = ClickHouseBrowser::new(&ClickHouseConfig {
            url: format!("http://127.0.0.1:{port}"),
            database: "kato".into(),
            ..Default::default()
        });
        let started = std::time::Instant::now();
        let err = browser.ping().await.unwrap_err().to_string();
        assert!(started.elapsed() < Duration::from_millis(600), "{err}");
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
        let bad = ClickHouseBrowser::new(&ClickHouseConfig {
            url: "ftp://x".into(),
            ..Default::default()
        });
        assert!(
            bad.ping()
                .await
                .unwrap_err()
                .to_string()
                .contains("CLICKHOUSE_URL")
        );
    }
}
