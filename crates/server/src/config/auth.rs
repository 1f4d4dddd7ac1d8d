//! The admin section: the token that guards destructive operations, the read-only switches, and the old
//! dashboard's login keys, which are accepted so old `.env` files load but do nothing. Plain data; no I/O.

use serde::{Deserialize, Serialize};

/// Who may do destructive operations, and whether anyone may.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Token required (header `X-Admin-Token` or `Authorization: Bearer`) for destructive operations.
    /// Unset: destructive operations are off.
    pub admin_token: Option<String>,
    /// Refuse every destructive database operation, even with an admin token.
    pub database_read_only: Option<bool>,
    /// Legacy name of `database_read_only`.
    pub mongo_read_only: Option<bool>,
    /// Legacy, unused by the old dashboard too; accepted so old `.env` files load. A warning is logged.
    pub admin_username: Option<String>,
    /// Legacy, see `admin_username`.
    pub admin_password: Option<String>,
    /// Legacy, see `admin_username`.
    pub secret_key: Option<String>,
    /// Legacy, see `admin_username`.
    pub algorithm: Option<String>,
    /// Legacy, see `admin_username`.
    pub access_token_expire_minutes: Option<u64>,
}

impl AuthConfig {
    /// Whether destructive database operations are refused whatever the token.
    pub fn read_only(&self) -> bool {
        self.database_read_only
            .or(self.mongo_read_only)
            .unwrap_or(false)
    }

    /// Legacy keys that are set but have no effect (logged once at start).
    pub fn ignored_legacy_keys(&self) -> Vec<&'static str> {
        let set: [(&'static str, bool); 5] = [
            ("ADMIN_USERNAME", self.admin_username.is_some()),
            ("ADMIN_PASSWORD", self.admin_password.is_some()),
            ("SECRET_KEY", self.secret_key.is_some()),
            ("ALGORITHM", self.algorithm.is_some()),
            (
                "ACCESS_TOKEN_EXPIRE_MINUTES",
                self.access_token_expire_minutes.is_some(),
            ),
        ];
        set.into_iter()
            .filter_map(|(key, present)| present.then_some(key))
            .collect()
    }
}
