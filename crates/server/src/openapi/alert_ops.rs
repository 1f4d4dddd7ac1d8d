//! Alert engine operations (docs/alerts.md).

use super::{Op, Param, Upstream, path, query};

const fn op(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    description: &'static str,
    params: &'static [Param],
    body: Option<&'static str>,
    admin: bool,
) -> Op {
    Op {
        method,
        path,
        tag: "alerts",
        summary,
        description,
        params,
        body,
        admin,
        upstream: Upstream::None,
    }
}

const ID: Param = path("id", "Alert id (`alert_id` of a system_alert item)");

pub const OPS: &[Op] = &[
    op(
        "get",
        "/api/v1/alerts/history",
        "Alert history",
        "Stored transitions (fired, repeat, resolved), newest first, with read and acknowledgement state.",
        &[
            query("severity", "string", "info, warning or critical"),
            query(
                "type",
                "string",
                "Rule: high_cpu, high_memory, high_error_rate, container_down, container_cpu, container_memory, container_missing, kato_unreachable, kato_restarted, high_sessions",
            ),
            query("state", "string", "firing, repeat or resolved"),
            query("alert_id", "string", "Only this alert's transitions"),
            query("since", "string", "RFC 3339 start"),
            query("until", "string", "RFC 3339 end"),
            query(
                "after_seq",
                "integer",
                "Only events after this system_alerts sequence number",
            ),
            query("unread", "boolean", "Only unread entries"),
            query("limit", "integer", "Page size (default 100)"),
            query("offset", "integer", "Offset"),
        ],
        None,
        false,
    ),
    op(
        "delete",
        "/api/v1/alerts/history",
        "Clear the history",
        "Removes every stored event (firing alerts stay firing). Admin only; pushed to every tab as `alert_update` cleared.",
        &[],
        None,
        true,
    ),
    op(
        "get",
        "/api/v1/alerts/active",
        "Firing alerts",
        "`{firing: [...]}`: the alerts firing now, with acknowledgement and silence state.",
        &[],
        None,
        false,
    ),
    op(
        "get",
        "/api/v1/alerts/rules",
        "Effective rules",
        "Every rule with its thresholds, hysteresis, pending time, severity bands and repeat interval.",
        &[],
        None,
        false,
    ),
    op(
        "post",
        "/api/v1/alerts/read-all",
        "Mark every alert read",
        "Pushed to every tab as `alert_update` read_all.",
        &[],
        None,
        false,
    ),
    op(
        "post",
        "/api/v1/alerts/{id}/read",
        "Mark one alert read",
        "Covers the alert's events so far; pushed as `alert_update` read.",
        &[ID],
        None,
        false,
    ),
    op(
        "post",
        "/api/v1/alerts/{id}/ack",
        "Acknowledge an alert",
        "Pushed as `alert_update` acknowledged.",
        &[ID],
        Some("`{\"by\": \"who\", \"comment\": \"why\"}` (both optional)"),
        false,
    ),
    op(
        "get",
        "/api/v1/alerts/silences",
        "Silences",
        "Active silences; `all=true` includes expired ones.",
        &[query("all", "boolean", "Include expired silences")],
        None,
        false,
    ),
    op(
        "post",
        "/api/v1/alerts/silences",
        "Create a silence",
        "Matching alerts are still stored but neither toast nor notify the webhook. Admin only.",
        &[],
        Some(
            "`{\"matchers\": {\"type\": …, \"severity\": …, \"container_name\": …, \"alert_id\": …}, \
             \"ends_at\": RFC 3339 | \"duration_seconds\": N, \"comment\": …, \"created_by\": …}`",
        ),
        true,
    ),
    op(
        "delete",
        "/api/v1/alerts/silences/{id}",
        "Expire a silence",
        "Admin only; pushed as `alert_update` silence_expired.",
        &[path("id", "Silence id")],
        None,
        true,
    ),
];
