//! The shared, lazily connected driver client with short timeouts, and a quick reachability check for `ping`.

use std::{future::IntoFuture, sync::Arc, time::Duration};

use mongodb::{
    Client, Database,
    options::{ClientOptions, ServerAddress},
};
use tokio::{net::TcpStream, sync::OnceCell};

use crate::error::{MongoBrowseError, Result};

/// How long the driver looks for a usable server before giving up.
const SERVER_SELECTION: Duration = Duration::from_secs(2);
/// Longest one browser operation may take, end to end.
const OPERATION: Duration = Duration::from_secs(15);
/// How long the TCP connect of [`MongoBrowser::ping`]'s quick check may take per host.
const CONNECT_CHECK: Duration = Duration::from_millis(500);

/// The driver client and the TCP hosts of the URL.
#[derive(Debug)]
struct Connected {
    client: Client,
    tcp_hosts: Vec<(String, u16)>,
}

/// The browser. Cloning shares the one driver client (and its connection pool).
///
/// It reads only KATO's knowledge bases (databases holding a `*_kb` collection) unless more are allowed with
/// [`MongoBrowser::with_databases`]: another application sharing the MongoDB stays out of reach.
#[derive(Clone, Debug)]
pub struct MongoBrowser {
    url: Arc<str>,
    client: Arc<OnceCell<Connected>>,
    /// Databases allowed besides KATO's knowledge bases (`*`: every database but MongoDB's own).
    allowed: Arc<[String]>,
}

impl MongoBrowser {
    /// A browser for `url` (`mongodb://…`). Nothing connects until the first call; a bad URL is reported then.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.into(),
            client: Arc::new(OnceCell::new()),
            allowed: Arc::from(Vec::new()),
        }
    }

    /// Also allows these databases (`MONGO_DATABASES`; `*` allows every database but `admin`/`config`/`local`).
    pub fn with_databases(mut self, names: Vec<String>) -> Self {
        self.allowed = names.into();
        self
    }

    /// Whether `name` is allowed without being a knowledge base.
    pub(crate) fn allow_listed(&self, name: &str) -> bool {
        self.allowed.iter().any(|a| a == "*" || a == name)
    }

    pub(crate) async fn client(&self) -> Result<&Client> {
        Ok(&self.connected().await?.client)
    }

    async fn connected(&self) -> Result<&Connected> {
        self.client
            .get_or_try_init(|| async {
                if self.url.trim_start().starts_with("mongodb+srv://") {
                    return Err(MongoBrowseError::Unavailable(
                        "MONGO_URL is not usable: mongodb+srv:// (a DNS seed list) is not supported; list the \
                         hosts instead: mongodb://host1:27017,host2:27017/?replicaSet=NAME"
                            .into(),
                    ));
                }
                let mut options = ClientOptions::parse(self.url.as_ref()).await.map_err(|e| {
                    MongoBrowseError::Unavailable(format!("MONGO_URL is not usable: {e}"))
                })?;
                options.server_selection_timeout = Some(SERVER_SELECTION);
                options.connect_timeout = Some(SERVER_SELECTION);
                options.app_name = Some("kato-dashboard".into());
                let tcp_hosts = options
                    .hosts
                    .iter()
                    .filter_map(|h| match h {
                        ServerAddress::Tcp { host, port } => {
                            Some((host.clone(), port.unwrap_or(27017)))
                        }
                        _ => None,
                    })
                    .collect();
                let client = Client::with_options(options).map_err(|e| {
                    MongoBrowseError::Unavailable(format!("MONGO_URL is not usable: {e}"))
                })?;
                Ok(Connected { client, tcp_hosts })
            })
            .await
    }

    /// A database the browser may read: one of KATO's knowledge bases (a `*_kb` collection), or allowed by
    /// [`MongoBrowser::with_databases`]. Any other is "not found", with the setting that would allow it.
    pub(crate) async fn db(&self, name: &str) -> Result<Database> {
        let name = crate::filter::database(name)?;
        let db = self.client().await?.database(name);
        if self.allow_listed(name) {
            return Ok(db);
        }
        let collections = run(db.list_collection_names()).await?;
        if collections.iter().any(|c| c.ends_with("_kb")) {
            return Ok(db);
        }
        Err(MongoBrowseError::NotFound(format!(
            "database `{name}` is not one of KATO's knowledge bases (it has no *_kb collection); \
             MONGO_DATABASES={name} lets the browser read it"
        )))
    }

    /// Answers `Ok` when MongoDB answers a `ping`; the error says why not.
    /// Where nothing listens on any host of the URL, it says so at once instead of after the driver's whole
    /// server-selection time.
    pub async fn ping(&self) -> Result<()> {
        let connected = self.connected().await?;
        if let Some(reason) = all_refused(&connected.tcp_hosts).await {
            return Err(MongoBrowseError::Unavailable(reason));
        }
        run(connected
            .client
            .database("admin")
            .run_command(mongodb::bson::doc! {"ping": 1}))
        .await?;
        Ok(())
    }
}

/// Why MongoDB cannot be reached, when every host refuses a TCP connection outright (or does not resolve); `None`
/// when any accepts or is still silent after [`CONNECT_CHECK`] — the driver then decides.
async fn all_refused(hosts: &[(String, u16)]) -> Option<String> {
    if hosts.is_empty() {
        return None;
    }
    let checks = hosts.iter().map(|(host, port)| async move {
        match tokio::time::timeout(CONNECT_CHECK, TcpStream::connect((host.as_str(), *port))).await
        {
            Ok(Err(e)) => Some(format!("{host}:{port}: {e}")),
            _ => None,
        }
    });
    let refused: Option<Vec<String>> = futures_util::future::join_all(checks)
        .await
        .into_iter()
        .collect();
    refused.map(|r| format!("cannot connect to MongoDB ({})", r.join("; ")))
}

/// Runs one driver operation under the end-to-end deadline, mapping its error.
pub(crate) async fn run<F, T>(op: F) -> Result<T>
where
    F: IntoFuture<Output = mongodb::error::Result<T>>,
{
    match tokio::time::timeout(OPERATION, op.into_future()).await {
        Ok(result) => result.map_err(MongoBrowseError::from),
        Err(_) => Err(MongoBrowseError::Unavailable(format!(
            "no answer within {} s",
            OPERATION.as_secs()
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nothing_listening_is_told_at_once() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let browser = MongoBrowser::new(&format!("mongodb://127.0.0.1:{port}"));
        let started = std::time::Instant::now();
        let err = browser.ping().await.unwrap_err().to_string();
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{:?}",
            started.elapsed()
        );
        assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
        assert!(err.contains("cannot connect to MongoDB"), "{err}");
    }

    #[tokio::test]
    async fn a_listening_host_leaves_the_verdict_to_the_driver() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        assert_eq!(all_refused(&[("127.0.0.1".into(), port)]).await, None);
        assert_eq!(all_refused(&[]).await, None);
    }

    #[tokio::test]
    async fn a_dns_seed_list_url_is_refused_with_the_reason_without_any_lookup() {
        let browser = MongoBrowser::new("mongodb+srv://cluster0.invalid/kato");
        let err = browser.ping().await.unwrap_err().to_string();
        assert!(
            err.contains("mongodb+srv:// (a DNS seed list) is not supported"),
            "{err}"
        );
    }
}
