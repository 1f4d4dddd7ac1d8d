//! Container up/down events as the dashboard publishes them, and the mapping from the engine's
//! event actions (`start`, `die`, `health_status: healthy`, …) to them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time::serde_rfc3339;

/// What happened to a monitored container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerEventKind {
    Created,
    Started,
    Restarted,
    /// The main process exited (also after `kill` and `stop`); carries the exit code.
    Died,
    Stopped,
    /// A signal was sent; `died` follows if the process exits.
    Killed,
    Paused,
    Unpaused,
    /// The kernel's OOM killer hit the container.
    Oom,
    /// The health check's verdict changed; see `health`.
    Health,
    Renamed,
    Destroyed,
    /// A monitored name has no container (never created, or gone while the collector was away).
    Missing,
}

impl ContainerEventKind {
    /// Maps an engine event action; `None` for actions the dashboard ignores (`exec_start: …`,
    /// `attach`, `top`, …).
    pub fn from_action(action: &str) -> Option<Self> {
        let verb = action.split(':').next().unwrap_or(action).trim();
        Some(match verb {
            "create" => Self::Created,
            "start" => Self::Started,
            "restart" => Self::Restarted,
            "die" => Self::Died,
            "stop" => Self::Stopped,
            "kill" => Self::Killed,
            "pause" => Self::Paused,
            "unpause" => Self::Unpaused,
            "oom" => Self::Oom,
            "health_status" => Self::Health,
            "rename" => Self::Renamed,
            "destroy" => Self::Destroyed,
            _ => return None,
        })
    }

    /// The container's status after this event, or `None` when it does not change it.
    pub fn status_after(self) -> Option<&'static str> {
        match self {
            Self::Created => Some("created"),
            Self::Started | Self::Restarted | Self::Unpaused => Some("running"),
            Self::Died | Self::Stopped => Some("exited"),
            Self::Paused => Some("paused"),
            Self::Destroyed | Self::Missing => Some("missing"),
            Self::Killed | Self::Oom | Self::Health | Self::Renamed => None,
        }
    }

    /// Whether the container's processes stopped running with this event.
    pub fn is_down(self) -> bool {
        matches!(
            self,
            Self::Died | Self::Stopped | Self::Destroyed | Self::Missing
        )
    }

    /// Whether the container's processes (re)started with this event.
    pub fn is_up(self) -> bool {
        matches!(self, Self::Started | Self::Restarted | Self::Unpaused)
    }
}

/// The health verdict in a `health_status: healthy` action.
pub fn health_from_action(action: &str) -> Option<&str> {
    let (verb, health) = action.split_once(':')?;
    (verb.trim() == "health_status").then(|| health.trim())
}

/// One change of a monitored container, published as it happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerEvent {
    /// Container name (after a rename, the new one).
    pub name: String,
    /// Full container id; `None` for `missing`.
    pub id: Option<String>,
    pub kind: ContainerEventKind,
    /// Status after the event (`running`, `exited`, `missing`, …).
    pub status: String,
    /// Health after the event, when the container has a health check.
    pub health: Option<String>,
    /// Exit code, for `died`.
    pub exit_code: Option<i64>,
    /// Signal, for `killed` (e.g. `9`, `15`).
    pub signal: Option<String>,
    /// Previous name, for `renamed`.
    pub old_name: Option<String>,
    /// When the engine saw it (or when the collector noticed, for `missing`).
    #[serde(with = "serde_rfc3339")]
    pub at: DateTime<Utc>,
    /// The engine, when the dashboard watches several (`name` and `old_name` are then `<name>@<engine>`);
    /// absent with one engine, so that wire is unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}
