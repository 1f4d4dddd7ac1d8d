//! The sections must not change a single key: every key, set alone in the environment under its upper-case name,
//! lands in the section field the table names, shows under its flat name in the dump, and the table covers
//! exactly [`Config::keys`].

#![allow(clippy::unwrap_used)]

use std::{collections::BTreeSet, path::PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::{Config, LoadOptions};

/// A value as the environment would spell it (`null` → empty).
fn text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value).unwrap() {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `(ENV_NAME, a value unlike the default, the field it must land in)`.
type Row = (&'static str, &'static str, fn(&Config) -> String);

macro_rules! keys {
    ($($key:literal = $value:literal => $($field:ident).+;)*) => {
        [$(($key, $value, (|c: &Config| text(&c.$($field).+)) as fn(&Config) -> String)),*]
    };
}

fn table() -> Vec<Row> {
    keys! {
        "HOST" = "127.0.0.2" => server.host;
        "PORT" = "8081" => server.port;
        "STATIC_DIR" = "/srv/app" => server.static_dir;
        "DATA_DIR" = "/var/lib/kd" => server.data_dir;
        "SHUTDOWN_GRACE_SECONDS" = "2.5" => server.shutdown_grace_seconds;
        "HTTP_MAX_CONNECTIONS" = "123" => http.max_connections;
        "HTTP_HEADER_TIMEOUT_SECONDS" = "3.5" => http.header_timeout_seconds;
        "HTTP_STALL_TIMEOUT_SECONDS" = "7.5" => http.stall_timeout_seconds;
        "CORS_ORIGINS" = "http://a.test" => http.cors_origins;
        "ALLOWED_HOSTS" = "dash.test" => http.allowed_hosts;
        "LOG_LEVEL" = "debug" => log.level;
        "LOG_FORMAT" = "json" => log.format;
        "KATO_API_URL" = "http://127.0.0.1:9001/" => kato.api_url;
        "KATO_TIMEOUT_SECONDS" = "1.5" => kato.timeout_seconds;
        "KATO_EVENTS_ENABLED" = "false" => kato.events_enabled;
        "KATO_METRICS_INTERVAL_SECONDS" = "4.5" => kato.metrics_interval_seconds;
        "KATO_STATS_INTERVAL_SECONDS" = "11.5" => kato.stats_interval_seconds;
        "CACHE_TTL_SECONDS" = "3.25" => kato.cache_ttl_seconds;
        "MAX_CACHE_SIZE" = "77" => kato.max_cache_size;
        "KATO_API_URLS" = "http://127.0.0.1:9002/,http://127.0.0.1:9003/" => fleet.api_urls;
        "KATO_DISCOVERY" = "dns:kato.test:8000" => fleet.discovery;
        "KATO_DISCOVERY_INTERVAL_SECONDS" = "2.5" => fleet.discovery_interval_seconds;
        "KATO_DISCOVERY_HOSTS_FILE" = "/etc/kato-hosts" => fleet.discovery_hosts_file;
        "ALERT_MIN_HEALTHY_INSTANCES" = "2" => fleet.min_healthy_instances;
        "ALERT_INSTANCE_ERROR_RATIO" = "7.5" => fleet.instance_error_ratio;
        "DOCKER_ENABLED" = "false" => docker.enabled;
        "DOCKER_HOST" = "tcp://127.0.0.1:2376" => docker.host;
        "DOCKER_HOSTS" = "unix:///tmp/a.sock,tcp://127.0.0.1:2377#id=b" => docker.hosts;
        "MONITORED_CONTAINERS" = "a,b" => docker.monitored_containers;
        "DOCKER_LABELS" = "team=kato" => docker.labels;
        "DOCKER_COMPOSE_PROJECT" = "kato-x" => docker.compose_project;
        "DOCKER_RESCAN_INTERVAL_SECONDS" = "12.5" => docker.rescan_interval_seconds;
        "MONGO_URL" = "mongodb://127.0.0.1:27018" => mongo.url;
        "MONGO_DATABASES" = "app,logs" => mongo.databases;
        "QDRANT_URL" = "http://127.0.0.1:6335" => qdrant.url;
        "QDRANT_GRPC_URL" = "http://127.0.0.1:6336" => qdrant.grpc_url;
        "QDRANT_API_KEY" = "qdrant-key" => qdrant.api_key;
        "REDIS_URL" = "redis://127.0.0.1:6380" => redis.url;
        "SESSION_RECONCILE_INTERVAL_SECONDS" = "6.5" => redis.session_reconcile_interval_seconds;
        "CLICKHOUSE_URL" = "http://127.0.0.1:8124" => clickhouse.url;
        "CLICKHOUSE_DATABASE" = "kato2" => clickhouse.database;
        "CLICKHOUSE_USER" = "reader" => clickhouse.user;
        "CLICKHOUSE_PASSWORD" = "ch-pass" => clickhouse.password;
        "ADMIN_TOKEN" = "0012345678" => auth.admin_token;
        "DATABASE_READ_ONLY" = "true" => auth.database_read_only;
        "MONGO_READ_ONLY" = "false" => auth.mongo_read_only;
        "ADMIN_USERNAME" = "admin" => auth.admin_username;
        "ADMIN_PASSWORD" = "admin-pw" => auth.admin_password;
        "SECRET_KEY" = "sk" => auth.secret_key;
        "ALGORITHM" = "HS256" => auth.algorithm;
        "ACCESS_TOKEN_EXPIRE_MINUTES" = "30" => auth.access_token_expire_minutes;
        "WEBSOCKET_ENABLED" = "false" => ws.enabled;
        "WEBSOCKET_CONTAINER_STATS" = "false" => ws.container_stats;
        "WEBSOCKET_SESSION_EVENTS" = "false" => ws.session_events;
        "WEBSOCKET_SYSTEM_ALERTS" = "false" => ws.system_alerts;
        "WEBSOCKET_SELECTIVE_SUBSCRIPTIONS" = "false" => ws.selective_subscriptions;
        "BROADCAST_INTERVAL" = "0.5" => ws.broadcast_interval_seconds;
        "WS_MAX_CONNECTIONS" = "99" => ws.max_connections;
        "WS_ALLOWED_ORIGINS" = "http://b.test" => ws.allowed_origins;
        "TRUSTED_PROXIES" = "10.0.0.0/8" => ws.trusted_proxies;
        "WS_HEARTBEAT_SECONDS" = "16.5" => ws.heartbeat_seconds;
        "WS_SEND_TIMEOUT_SECONDS" = "9.5" => ws.send_timeout_seconds;
        "WS_REPLAY_BUFFER_SIZE" = "55" => ws.replay_buffer_size;
        "WS_REPLAY_MAX_AGE_SECONDS" = "300.5" => ws.replay_max_age_seconds;
        "WS_EVENT_QUEUE" = "33" => ws.event_queue;
        "ALERT_CPU_THRESHOLD" = "70.5" => alerts.cpu_threshold;
        "ALERT_MEMORY_THRESHOLD" = "75.5" => alerts.memory_threshold;
        "ALERT_ERROR_RATE_THRESHOLD" = "0.25" => alerts.error_rate_threshold;
        "ALERT_COOLDOWN_SECONDS" = "30.5" => alerts.cooldown_seconds;
        "ALERT_CPU_CRITICAL" = "91.5" => alerts.cpu_critical;
        "ALERT_MEMORY_CRITICAL" = "96.5" => alerts.memory_critical;
        "ALERT_ERROR_RATE_CRITICAL" = "0.5" => alerts.error_rate_critical;
        "ALERT_SESSIONS_THRESHOLD" = "500.5" => alerts.sessions_threshold;
        "ALERT_PENDING_SECONDS" = "2.5" => alerts.pending_seconds;
        "ALERT_RULES" = "high_sessions.enabled=false" => alerts.rules;
        "ALERT_DATA_DIR" = "/var/lib/kd/alerts" => alerts.data_dir;
        "ALERT_RETENTION_DAYS" = "7.5" => alerts.retention_days;
        "ALERT_RETENTION_MAX_EVENTS" = "500" => alerts.retention_max_events;
        "ALERT_WEBHOOK_URL" = "https://hooks.test/x" => alerts.webhook_url;
        "ALERT_WEBHOOK_FORMAT" = "slack" => alerts.webhook_format;
        "ALERT_WEBHOOK_TIMEOUT_SECONDS" = "4.5" => alerts.webhook_timeout_seconds;
        "ALERT_WEBHOOK_MAX_RETRIES" = "2" => alerts.webhook_max_retries;
        "ALERT_WEBHOOK_QUEUE" = "64" => alerts.webhook_queue;
        "HISTORY_ENABLED" = "false" => history.enabled;
        "HISTORY_DATA_DIR" = "/var/lib/kd/history" => history.data_dir;
        "HISTORY_DISK_BUDGET_MB" = "50.5" => history.disk_budget_mb;
        "HISTORY_RAW_HOURS" = "2.5" => history.raw_hours;
        "HISTORY_MINUTE_DAYS" = "7.5" => history.minute_days;
        "HISTORY_HOUR_DAYS" = "90.5" => history.hour_days;
        "HISTORY_SAMPLE_SECONDS" = "2.5" => history.sample_seconds;
        "HISTORY_KB_SAMPLE_SECONDS" = "60.5" => history.kb_sample_seconds;
    }
    .into()
}

fn load(key: &str, value: &str) -> Config {
    Config::load(LoadOptions {
        file: None,
        dotenv: Some(PathBuf::from("/nonexistent/.env")),
        env: Some([(key.to_owned(), value.to_owned())].into()),
    })
    .unwrap_or_else(|e| panic!("{key}={value}: {e}"))
}

#[test]
fn the_table_covers_every_key_once() {
    let table = table();
    let listed: BTreeSet<String> = table.iter().map(|(k, ..)| k.to_lowercase()).collect();
    assert_eq!(listed.len(), table.len(), "a key is listed twice");
    assert_eq!(listed, Config::keys());
}

#[test]
fn every_key_loads_from_the_environment_into_its_section_field() {
    let defaults = Config::default();
    let default_dump = serde_json::to_value(&defaults).unwrap();
    for (key, value, field) in table() {
        assert_ne!(
            field(&defaults),
            value,
            "{key}: pick a value unlike the default"
        );
        let config = load(key, value);
        assert_eq!(field(&config), value, "{key} lands in the wrong field");
        let mut dump = serde_json::to_value(&config).unwrap();
        let shown = dump[key.to_lowercase()].take();
        assert_eq!(text(&shown), value, "{key} in the dump");
        // Nothing else moved: the key set one field, not two.
        dump[key.to_lowercase()] = default_dump[key.to_lowercase()].clone();
        assert_eq!(dump, default_dump, "{key} changed another key too");
    }
}

#[test]
fn the_flat_dump_reads_back() {
    let config = load("WS_EVENT_QUEUE", "33");
    let dump = serde_json::to_value(&config).unwrap();
    let back: Config = serde_json::from_value(dump.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), dump);
}

#[test]
fn docker_hosts_are_checked_at_load() {
    let err = |value: &str| {
        Config::load(LoadOptions {
            file: None,
            dotenv: Some(PathBuf::from("/nonexistent/.env")),
            env: Some([("DOCKER_HOSTS".to_owned(), value.to_owned())].into()),
        })
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
    };
    let e = err("unix:///var/run/docker.sock,ssh://me@box");
    assert!(
        e.contains("DOCKER_HOSTS") && e.contains("ssh://me@box"),
        "{e}"
    );
    let e = err("tcp://10.0.0.5:2376#certs=/nonexistent/kd-certs");
    assert!(e.contains("/nonexistent/kd-certs/ca.pem"), "{e}");
    let config = load("DOCKER_HOSTS", "unix:///a.sock, tcp://10.0.0.5:2375#id=b");
    assert_eq!(config.docker.engines().unwrap().len(), 2);
}
