//! One module per route: Dashboard, Sessions (list and detail), Alerts, Databases, and the not-found page.

pub mod alerts;
pub mod dashboard;
pub mod dashboard_parts;
pub mod databases;
pub mod not_found;
pub mod session_detail;
pub mod sessions;
pub mod sessions_row;
