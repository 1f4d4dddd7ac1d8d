//! The shared, lazily connected driver client with short timeouts.

use std::{future::IntoFuture, sync::Arc, time::Duration};

use mongodb::{Client, Database, options::ClientOptions};
use tokio::sync::OnceCell;

use crate::error::{MongoBrowseError, Result};

/// How long the driver looks for a usable server before giving up.
const SERVER_SELECTION: Duration = Duration::from_secs(2);
/// Longest one browser operation may take, end to end.
const OPERATION: Duration = Duration::from_secs(15);

/// The browser. Cloning shares the one driver client (and its connection pool).
#[derive(Clone, Debug)]
pub struct MongoBrowser {
    url: Arc<str>,
    client: Arc<OnceCell<Client>>,
}

impl MongoBrowser {
    /// A browser for `url` (`mongodb://…`). Nothing connects until the first call; a bad URL is reported then.
    pub fn new(url: &str) -> Self {
        Self {
            url: url.into(),
            client: Arc::new(OnceCell::new()),
        }
    }

    pub(crate) async fn client(&self) -> Result<&Client> {
        self.client
            .get_or_try_init(|| async {
                let mut options = ClientOptions::parse(self.url.as_ref()).await.map_err(|e| {
                    MongoBrowseError::Unavailable(format!("MONGO_URL is not usable: {e}"))
                })?;
                options.server_selection_timeout = Some(SERVER_SELECTION);
                options.connect_timeout = Some(SERVER_SELECTION);
                options.app_name = Some("kato-dashboard".into());
                Client::with_options(options).map_err(|e| {
                    MongoBrowseError::Unavailable(format!("MONGO_URL is not usable: {e}"))
                })
            })
            .await
    }

    pub(crate) async fn db(&self, name: &str) -> Result<Database> {
        let name = crate::filter::database(name)?;
        Ok(self.client().await?.database(name))
    }

    /// Answers `Ok` when MongoDB answers a `ping`; the error says why not.
    pub async fn ping(&self) -> Result<()> {
        let client = self.client().await?;
        run(client
            .database("admin")
            .run_command(mongodb::bson::doc! {"ping": 1}))
        .await?;
        Ok(())
    }
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
