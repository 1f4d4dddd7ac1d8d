//! `KatoClient`: the request pipeline shared by every endpoint method.
//!
//! One call = build URL → send (bounded by the configured timeout, body included) → read at
//! most [`MAX_BODY_BYTES`] → classify: transport errors, non-2xx (with KATO's error body),
//! 2xx fallback bodies with a non-null `error`, undecodable bodies → [`KatoError`]; then
//! count the outcome in the client's [`RequestStats`].

use crate::accounting::{Counters, RequestStats};
use crate::config::{KatoClientConfig, redacted};
use crate::error::{KatoError, NotFoundKind, snippet};
use crate::path::ApiPath;
use kato_dashboard_core::kato::{KatoErrorBody, KatoGeneration, fallback_error};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use url::Url;

/// Larger bodies are refused (a `/stats` body is a few hundred KB at most).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Characters of an unexpected body quoted in errors.
const SNIPPET_CHARS: usize = 200;

/// Async KATO REST client. Cheap to clone (an `Arc` inside); clones share the connection
/// pool, the detected generation and the request counters.
#[derive(Clone, Debug)]
pub struct KatoClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    config: KatoClientConfig,
    /// 0 = not detected, else `encode_generation`.
    generation: AtomicU8,
    counters: Counters,
}

/// What a call is about, so a 404 can be told apart (missing session vs missing route).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    Plain,
    Session(&'a str),
    Metric(&'a str),
}

fn encode_generation(g: KatoGeneration) -> u8 {
    match g {
        KatoGeneration::V1 => 1,
        KatoGeneration::V3 => 2,
        KatoGeneration::Unknown => 3,
    }
}

impl KatoClient {
    /// Builds a client. Fails only for a base URL that is not `http(s)://host…`.
    pub fn new(config: KatoClientConfig) -> Result<Self, KatoError> {
        let base = &config.base_url;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(KatoError::InvalidRequest(format!(
                "KATO base URL must be http(s)://host[:port]: {}",
                redacted(base)
            )));
        }
        let builder = || {
            reqwest::Client::builder()
                .timeout(config.timeout)
                .connect_timeout(config.connect_timeout.min(config.timeout))
                .user_agent(concat!("kato-dashboard/", env!("CARGO_PKG_VERSION")))
                .tcp_nodelay(true)
        };
        let client_error =
            |e: reqwest::Error| KatoError::InvalidRequest(format!("HTTP client: {e}"));
        let http = builder().build().map_err(client_error)?;
        // Validated once here, so building a one-connection client per worker sample cannot fail later.
        builder()
            .pool_max_idle_per_host(1)
            .build()
            .map_err(client_error)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                generation: AtomicU8::new(0),
                counters: Counters::default(),
            }),
        })
    }

    /// KATO's base URL.
    pub fn base_url(&self) -> &Url {
        &self.inner.config.base_url
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &KatoClientConfig {
        &self.inner.config
    }

    /// Counters of every call made through this client (and its clones).
    pub fn request_stats(&self) -> RequestStats {
        self.inner.counters.snapshot()
    }

    /// The generation found by the last detection, if any.
    pub fn cached_generation(&self) -> Option<KatoGeneration> {
        match self.inner.generation.load(Ordering::Relaxed) {
            1 => Some(KatoGeneration::V1),
            2 => Some(KatoGeneration::V3),
            3 => Some(KatoGeneration::Unknown),
            _ => None,
        }
    }

    /// Forgets the detected generation (e.g. after KATO restarted: it may have been upgraded).
    pub fn invalidate_generation(&self) {
        self.inner.generation.store(0, Ordering::Relaxed);
    }

    pub(crate) fn store_generation(&self, g: KatoGeneration) {
        self.inner
            .generation
            .store(encode_generation(g), Ordering::Relaxed);
    }

    /// One typed call, counted.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: Result<ApiPath, KatoError>,
        target: Target<'_>,
    ) -> Result<T, KatoError> {
        let result = self.call_uncounted(method, path, target).await;
        self.record(&result);
        result
    }

    /// One typed call, not yet counted (for methods that reinterpret errors first).
    pub(crate) async fn call_uncounted<T: DeserializeOwned>(
        &self,
        method: Method,
        path: Result<ApiPath, KatoError>,
        target: Target<'_>,
    ) -> Result<T, KatoError> {
        let path = path?;
        let shown = path.display();
        let url = path.url(self.base_url());
        let value = self.fetch_value(method, url, &shown, target).await?;
        decode(&shown, value)
    }

    pub(crate) fn record<T>(&self, result: &Result<T, KatoError>) {
        self.inner.counters.record(result);
    }

    /// Sends the request and classifies the answer into a JSON value or an error.
    pub(crate) async fn fetch_value(
        &self,
        method: Method,
        url: Url,
        shown: &str,
        target: Target<'_>,
    ) -> Result<Value, KatoError> {
        self.fetch_value_via(&self.inner.http, method, url, shown, target)
            .await
    }

    /// `GET /health` then `GET /metrics` on one new connection, so both come from the same KATO worker process:
    /// its uptime tells which worker the counters belong to. Both calls are counted.
    pub async fn sample_worker(&self) -> (Result<Value, KatoError>, Result<Value, KatoError>) {
        let config = &self.inner.config;
        let one = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout.min(config.timeout))
            .user_agent(concat!("kato-dashboard/", env!("CARGO_PKG_VERSION")))
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1)
            .build()
            .unwrap_or_else(|_| self.inner.http.clone());
        let mut out = Vec::with_capacity(2);
        for path in ["/health", "/metrics"] {
            let result = match crate::path::resolve_raw(self.base_url(), path) {
                Ok(url) => {
                    self.fetch_value_via(&one, Method::GET, url, path, Target::Plain)
                        .await
                }
                Err(e) => Err(e),
            };
            self.record(&result);
            out.push(result);
        }
        let metrics = out
            .pop()
            .unwrap_or_else(|| Err(KatoError::InvalidRequest("no answer".into())));
        let health = out
            .pop()
            .unwrap_or_else(|| Err(KatoError::InvalidRequest("no answer".into())));
        (health, metrics)
    }

    async fn fetch_value_via(
        &self,
        http: &reqwest::Client,
        method: Method,
        url: Url,
        shown: &str,
        target: Target<'_>,
    ) -> Result<Value, KatoError> {
        let mut response = http
            .request(method, url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.transport_error(&e, shown))?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e, shown))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(KatoError::Decode {
                    path: shown.to_owned(),
                    reason: format!("body larger than {MAX_BODY_BYTES} bytes"),
                    snippet: snippet(&body, SNIPPET_CHARS),
                });
            }
            body.extend_from_slice(&chunk);
        }
        interpret(shown, status, &body, target)
    }

    fn transport_error(&self, e: &reqwest::Error, shown: &str) -> KatoError {
        let config = &self.inner.config;
        if e.is_timeout() {
            let timeout = if e.is_connect() {
                config.connect_timeout.min(config.timeout)
            } else {
                config.timeout
            };
            return KatoError::Timeout {
                path: shown.to_owned(),
                timeout,
            };
        }
        KatoError::Unreachable {
            url: redacted(&config.base_url),
            reason: transport_reason(e),
        }
    }
}

/// Why a request got no answer, for a person: a failed connection is "cannot connect: " and the innermost cause
/// (the OS or resolver message, e.g. "Connection refused (os error 111)"), since the URL is shown beside it
/// anyway; anything else is the whole chain.
fn transport_reason(e: &reqwest::Error) -> String {
    if !e.is_connect() {
        return error_chain(e);
    }
    let mut innermost: &(dyn std::error::Error + 'static) = e;
    while let Some(s) = innermost.source() {
        innermost = s;
    }
    format!("cannot connect: {innermost}")
}

/// `e` and its sources, e.g. "error sending request: client error (Connect): Connection
/// refused (os error 111)".
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Classifies a finished HTTP exchange.
pub(crate) fn interpret(
    shown: &str,
    status: u16,
    body: &[u8],
    target: Target<'_>,
) -> Result<Value, KatoError> {
    if (200..300).contains(&status) {
        let value: Value = serde_json::from_slice(body).map_err(|e| KatoError::Decode {
            path: shown.to_owned(),
            reason: e.to_string(),
            snippet: snippet(body, SNIPPET_CHARS),
        })?;
        if let Some(message) = fallback_error(&value) {
            return Err(KatoError::Upstream {
                path: shown.to_owned(),
                message,
            });
        }
        return Ok(value);
    }
    let parsed = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| KatoErrorBody::from_value(&v).ok());
    if status == 404 {
        let not_found = match (target, &parsed) {
            (Target::Session(id), Some(b)) if b.is_session_not_found() => {
                Some((NotFoundKind::Session, id))
            }
            (Target::Metric(name), Some(b)) if b.is_metric_without_data() => {
                Some((NotFoundKind::Metric, name))
            }
            _ => None,
        };
        if let Some((kind, id)) = not_found {
            return Err(KatoError::NotFound {
                kind,
                id: id.to_owned(),
                body: parsed,
            });
        }
    }
    let message = match &parsed {
        Some(b) => b.message(),
        None if body.is_empty() => "(empty body)".to_owned(),
        None => snippet(body, SNIPPET_CHARS),
    };
    Err(KatoError::Http {
        status,
        path: shown.to_owned(),
        message,
        body: parsed,
    })
}

/// Turns a JSON value into the expected model.
pub(crate) fn decode<T: DeserializeOwned>(shown: &str, value: Value) -> Result<T, KatoError> {
    let text = value.to_string();
    serde_json::from_value(value).map_err(|e| KatoError::Decode {
        path: shown.to_owned(),
        reason: e.to_string(),
        snippet: snippet(text.as_bytes(), SNIPPET_CHARS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: u16, body: &str, target: Target<'_>) -> Result<Value, KatoError> {
        interpret("/p", status, body.as_bytes(), target)
    }

    #[test]
    fn interpret_table() {
        let session_404 =
            r#"{"error":{"code":"SESSION_NOT_FOUND","message":"m","session_id":"s"}}"#;
        let detail_404 = r#"{"detail":"Session s not found or expired"}"#;
        let route_404 = r#"{"detail":"Not Found"}"#;
        let metric_404 = r#"{"detail":"No data available for metric 'x' in the last 10 minutes"}"#;
        assert!(run(200, r#"{"a":1,"error":null}"#, Target::Plain).is_ok());
        assert!(
            matches!(run(200, r#"{"error":"boom"}"#, Target::Plain), Err(KatoError::Upstream { message, .. }) if message == "boom")
        );
        assert!(
            matches!(run(200, "<html>", Target::Plain), Err(KatoError::Decode { snippet, .. }) if snippet == "<html>")
        );
        assert!(matches!(
            run(200, "", Target::Plain),
            Err(KatoError::Decode { .. })
        ));
        for body in [session_404, detail_404] {
            let e = run(404, body, Target::Session("s")).unwrap_err();
            assert!(e.is_session_not_found(), "{e}");
        }
        let e = run(404, route_404, Target::Session("s")).unwrap_err();
        assert!(
            matches!(&e, KatoError::Http { status: 404, body: Some(b), .. } if b.is_route_not_found())
        );
        let e = run(404, metric_404, Target::Metric("x")).unwrap_err();
        assert!(matches!(
            e,
            KatoError::NotFound {
                kind: NotFoundKind::Metric,
                ..
            }
        ));
        // A session-shaped 404 on a non-session call stays an HTTP error.
        assert!(matches!(
            run(404, session_404, Target::Plain),
            Err(KatoError::Http { .. })
        ));
        let e = run(500, "Internal Server Error", Target::Plain).unwrap_err();
        assert!(
            matches!(&e, KatoError::Http { status: 500, message, body: None, .. } if message == "Internal Server Error")
        );
        let e = run(502, "", Target::Plain).unwrap_err();
        assert!(matches!(&e, KatoError::Http { message, .. } if message == "(empty body)"));
    }
}
