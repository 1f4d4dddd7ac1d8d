//! One module per route: Dashboard, Instances (the KATO fleet), Sessions (list and detail), Alerts, Databases, and
//! the not-found page.

pub mod alerts;
pub mod analytics;
pub mod analytics_parts;
pub mod dashboard;
pub mod dashboard_charts;
pub mod dashboard_fleet;
pub mod dashboard_parts;
pub mod databases;
pub mod history_feed;
pub mod instance_drawer;
pub mod instance_row;
pub mod instances;
pub mod not_found;
pub mod session_detail;
pub mod sessions;
pub mod sessions_row;
