//! The typed KATO endpoints a dashboard uses, plus raw JSON pass-through.
//!
//! Notes that matter to callers:
//! * `GET /metrics/{name}?minutes=N` applies N as **seconds** (KATO bug):
//!   [`KatoClient::metric_history`] sends the raw value, [`KatoClient::metric_history_window`]
//!   converts a duration for you.
//! * At v3, `GET /sessions/{id}` and `/stm` extend the session's TTL: never poll them; use
//!   [`KatoClient::session_exists`].
//! * `/sessions/{id}/exists` does not exist at v1: the answer is
//!   [`SessionExistence::Unsupported`], not an error.

use crate::client::{KatoClient, Target, decode};
use crate::error::{KatoError, NotFoundKind};
use crate::path::{ApiPath, resolve_raw};
use kato_dashboard_core::kato::{
    CacheStats, Concurrency, ConnectionPools, DistributedStmStats, Health, KatoGeneration,
    MetricHistory, Metrics, ServiceInfo, Session, SessionCount, SessionDeleted, SessionExists,
    Stats, Status, Stm,
};
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

/// Answer of [`KatoClient::session_exists`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionExistence {
    /// KATO answered (v3), or said the session is missing (v1 middleware 404).
    Known(SessionExists),
    /// This KATO has no `/sessions/{id}/exists` (v1: `{"detail":"Not Found"}`).
    Unsupported,
}

fn fixed(path: &'static str) -> Result<ApiPath, KatoError> {
    Ok(ApiPath::fixed(path))
}

impl KatoClient {
    /// `GET /`: service info (the version).
    pub async fn service_info(&self) -> Result<ServiceInfo, KatoError> {
        self.call(Method::GET, fixed("/"), Target::Plain).await
    }

    /// `GET /health` (HTTP 200 even when unhealthy).
    pub async fn health(&self) -> Result<Health, KatoError> {
        self.call(Method::GET, fixed("/health"), Target::Plain)
            .await
    }

    /// `GET /status` (per worker).
    pub async fn status(&self) -> Result<Status, KatoError> {
        self.call(Method::GET, fixed("/status"), Target::Plain)
            .await
    }

    /// `GET /metrics`. A fallback body with a non-null `error` is [`KatoError::Upstream`];
    /// the zero-filled collector fallback is returned (see `Metrics::is_fallback`).
    pub async fn metrics(&self) -> Result<Metrics, KatoError> {
        self.call(Method::GET, fixed("/metrics"), Target::Plain)
            .await
    }

    /// `GET /stats?minutes=N` (here N really is minutes).
    pub async fn stats(&self, minutes: u32) -> Result<Stats, KatoError> {
        let path = ApiPath::fixed("/stats").query("minutes", minutes);
        self.call(Method::GET, Ok(path), Target::Plain).await
    }

    /// `GET /metrics/{name}?minutes=N`, sending `minutes` **raw**: KATO applies it as
    /// **seconds**, so `minutes = 600` covers ten minutes. An empty window (or an unknown
    /// name) is [`KatoError::NotFound`] with [`NotFoundKind::Metric`].
    pub async fn metric_history(
        &self,
        name: &str,
        minutes: u32,
    ) -> Result<MetricHistory, KatoError> {
        let path = ApiPath::fixed("/metrics")
            .param(name)
            .map(|p| p.query("minutes", minutes));
        self.call(Method::GET, path, Target::Metric(name)).await
    }

    /// [`Self::metric_history`] for a real duration (whole seconds, at least 1).
    pub async fn metric_history_window(
        &self,
        name: &str,
        window: Duration,
    ) -> Result<MetricHistory, KatoError> {
        let seconds = u32::try_from(window.as_secs().max(1)).unwrap_or(u32::MAX);
        self.metric_history(name, seconds).await
    }

    /// `GET /cache/stats`: disabled, enabled or error (the error case is data, not `Err`).
    pub async fn cache_stats(&self) -> Result<CacheStats, KatoError> {
        self.call(Method::GET, fixed("/cache/stats"), Target::Plain)
            .await
    }

    /// `GET /connection-pools`.
    pub async fn connection_pools(&self) -> Result<ConnectionPools, KatoError> {
        self.call(Method::GET, fixed("/connection-pools"), Target::Plain)
            .await
    }

    /// `GET /distributed-stm/stats`.
    pub async fn distributed_stm_stats(&self) -> Result<DistributedStmStats, KatoError> {
        self.call(Method::GET, fixed("/distributed-stm/stats"), Target::Plain)
            .await
    }

    /// `GET /concurrency` (per worker).
    pub async fn concurrency(&self) -> Result<Concurrency, KatoError> {
        self.call(Method::GET, fixed("/concurrency"), Target::Plain)
            .await
    }

    /// `GET /sessions/count` → `active_session_count` (up to 5 s stale at v3.10.1).
    pub async fn session_count(&self) -> Result<u64, KatoError> {
        let count: SessionCount = self
            .call(Method::GET, fixed("/sessions/count"), Target::Plain)
            .await?;
        Ok(count.active_session_count)
    }

    /// `GET /sessions/{id}`. **Extends the session's TTL at v3**: do not poll.
    pub async fn session(&self, id: &str) -> Result<Session, KatoError> {
        let path = ApiPath::fixed("/sessions").param(id);
        self.call(Method::GET, path, Target::Session(id)).await
    }

    /// `GET /sessions/{id}/exists` (v3; does not extend the TTL).
    ///
    /// At v1 the route does not exist: a live session answers 404 `{"detail":"Not Found"}`
    /// → [`SessionExistence::Unsupported`]; a missing one answers the middleware's
    /// `SESSION_NOT_FOUND` → `Known(exists: false)`.
    pub async fn session_exists(&self, id: &str) -> Result<SessionExistence, KatoError> {
        let path = ApiPath::fixed("/sessions")
            .param(id)
            .map(|p| p.lit("exists"));
        let result = match self
            .call_uncounted::<SessionExists>(Method::GET, path, Target::Session(id))
            .await
        {
            Ok(exists) => Ok(SessionExistence::Known(exists)),
            Err(KatoError::Http {
                status: 404,
                body: Some(body),
                ..
            }) if body.is_route_not_found() => Ok(SessionExistence::Unsupported),
            Err(KatoError::NotFound {
                kind: NotFoundKind::Session,
                ..
            }) => Ok(SessionExistence::Known(SessionExists {
                exists: false,
                expired: false,
                session_id: id.to_owned(),
            })),
            Err(e) => Err(e),
        };
        self.record(&result);
        result
    }

    /// `GET /sessions/{id}/stm`. **Extends the session's TTL at v3.**
    pub async fn session_stm(&self, id: &str) -> Result<Stm, KatoError> {
        let path = ApiPath::fixed("/sessions").param(id).map(|p| p.lit("stm"));
        self.call(Method::GET, path, Target::Session(id)).await
    }

    /// `DELETE /sessions/{id}`; a missing or expired session is [`KatoError::NotFound`].
    pub async fn delete_session(&self, id: &str) -> Result<SessionDeleted, KatoError> {
        let path = ApiPath::fixed("/sessions").param(id);
        self.call(Method::DELETE, path, Target::Session(id)).await
    }

    /// `GET <path>` returning KATO's JSON unchanged, for pass-through routes.
    ///
    /// `path` starts with `/`, may carry a query, and must already be percent-encoded (use
    /// [`crate::encode_segment`] for parameters); it cannot leave the base URL. Same error
    /// handling as the typed methods, including fallback bodies with `error` → `Err`.
    pub async fn get_json(&self, path: &str) -> Result<Value, KatoError> {
        let result = match resolve_raw(self.base_url(), path) {
            Ok(url) => {
                self.fetch_value(Method::GET, url, path, Target::Plain)
                    .await
            }
            Err(e) => Err(e),
        };
        self.record(&result);
        result
    }

    /// The KATO generation, detected once via `GET /` and then cached.
    pub async fn detect_generation(&self) -> Result<KatoGeneration, KatoError> {
        match self.cached_generation() {
            Some(g) => Ok(g),
            None => self.refresh_generation().await,
        }
    }

    /// Detects the generation again (KATO may have been upgraded behind us) and caches it.
    ///
    /// `GET /` `version` decides; because releases before 3.9.1 also reported `"1.0.0"`, a
    /// non-v3 answer is confirmed against the shape of `/metrics` (`clickhouse` or v3's
    /// `null` keys mean v3). If that second call fails, the version's verdict stands.
    pub async fn refresh_generation(&self) -> Result<KatoGeneration, KatoError> {
        let mut generation = self.service_info().await?.generation();
        if generation != KatoGeneration::V3 {
            match self.get_json("/metrics").await {
                Ok(body) => match KatoGeneration::from_shape(&body) {
                    KatoGeneration::V3 => generation = KatoGeneration::V3,
                    shape if generation == KatoGeneration::Unknown => generation = shape,
                    _ => {}
                },
                Err(e) => tracing::debug!(error = %e, "generation shape check skipped"),
            }
        }
        self.store_generation(generation);
        Ok(generation)
    }

    /// `GET <path>` decoded into any model (for endpoints without a dedicated method).
    pub async fn get_typed<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, KatoError> {
        let value = self.get_json(path).await?;
        decode(path, value)
    }
}
