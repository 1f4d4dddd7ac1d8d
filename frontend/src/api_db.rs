//! REST client of the database browsers (`/api/v1/databases/…`): MongoDB, KATO 3.x's knowledge bases
//! (ClickHouse + Redis + Qdrant), Qdrant, Redis and the `features` answer (read by [`Features::from_json`]).
//! Bodies stay `serde_json::Value`: the pages show documents, payloads and values as they are, and the shapes are
//! the server's (see `docs/databases.md`). Every call sends the admin token when there is one, so
//! `features` can say whether this browser may change anything.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde_json::Value;

use crate::api::ApiError;
pub use crate::state::kb::Features;
pub use crate::state::sessions::encode_component as enc;

const BASE: &str = "/api/v1/databases";

/// HTTP verbs the browsers use.
#[derive(Clone, Copy, Debug)]
pub enum Verb {
    Get,
    Post,
    Delete,
}

async fn check(resp: Response) -> Result<Value, ApiError> {
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    if resp.ok() {
        return serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()));
    }
    let detail = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| resp.status_text());
    Err(ApiError::Http { status, detail })
}

fn with_token(req: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(t) => req.header("X-Admin-Token", t),
        None => req,
    }
}

/// Sends `verb path` (relative to `/api/v1/databases`) with an optional JSON body.
pub async fn call(
    verb: Verb,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> Result<Value, ApiError> {
    let url = format!("{BASE}{path}");
    let req = with_token(
        match verb {
            Verb::Get => Request::get(&url),
            // A custom header: the server takes state-changing requests only with JSON or one (no cross-site form
            // can send either without the browser asking first).
            Verb::Post => Request::post(&url).header("X-Requested-With", "kato-dashboard"),
            Verb::Delete => Request::delete(&url).header("X-Requested-With", "kato-dashboard"),
        },
        token,
    );
    let sent = match body {
        Some(b) => {
            req.json(b)
                .map_err(|e| ApiError::Decode(e.to_string()))?
                .send()
                .await
        }
        None => req.send().await,
    };
    check(sent.map_err(|e| ApiError::Network(e.to_string()))?).await
}

/// `GET path`.
pub async fn get(path: &str, token: Option<&str>) -> Result<Value, ApiError> {
    call(Verb::Get, path, None, token).await
}

/// A query string from pairs, each value percent-encoded; empty values are left out.
pub fn query(pairs: &[(&str, String)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// `GET /databases/features`.
pub async fn features(token: Option<&str>) -> Result<Features, ApiError> {
    Ok(Features::from_json(&get("/features", token).await?))
}
