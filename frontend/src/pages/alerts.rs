//! Alerts: what is firing now and the full history with filters and read state.

use kato_dashboard_core::protocol::Topic;
use leptos::prelude::*;

use crate::api::ALERT_ACTIONS_AVAILABLE;
use crate::components::alert_history::AlertHistory;
use crate::components::cards::{Banner, Panel};
use crate::pages::dashboard_parts::{CurrentAlerts, KatoTimelinePanel};
use crate::ws::use_topics;

/// The page.
#[component]
pub fn AlertsPage() -> impl IntoView {
    use_topics(&[Topic::SystemAlerts, Topic::KatoEvents, Topic::Metrics]);
    view! {
        <div class="page alerts">
            {(!ALERT_ACTIONS_AVAILABLE).then(|| view! {
                <Banner tone="info" title="Acknowledge and silence need the alert engine".to_string()
                    detail="This server does not run it yet: alerts show here, the buttons stay disabled.".to_string()/>
            })}
            <div class="split">
                <CurrentAlerts/>
                <KatoTimelinePanel/>
            </div>
            <Panel title="Alert history" testid="alert-history-page">
                <AlertHistory/>
            </Panel>
        </div>
    }
}
