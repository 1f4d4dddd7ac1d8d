//! The app: services, the shell and the routes. Every path the server's SPA fallback answers with `index.html`
//! (`/sessions/<id>` included) is routed here.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

use crate::components::shell::Shell;
use crate::pages::databases::{
    DatabasesHome, kb::KnowledgeBasesPage, mongo::MongoPage, qdrant::QdrantPage, redis::RedisPage,
};
use crate::pages::{
    alerts::AlertsPage, analytics::AnalyticsPage, dashboard::Dashboard, instances::InstancesPage,
    not_found::NotFound, session_detail::SessionDetail, sessions::Sessions,
};
use crate::services::{
    fallback::start_fallback, provide_clock, provide_live, provide_settings, provide_theme,
};
use crate::ws::provide_ws;

/// Replaces the loading placeholder of `index.html` with the app.
pub fn mount() {
    if let Some(boot) = document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

/// The root component.
#[component]
pub fn App() -> impl IntoView {
    provide_clock();
    provide_theme();
    provide_settings();
    let live = provide_live();
    let ws = provide_ws(live);
    start_fallback(ws, live);
    view! {
        <Router>
            <Shell>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=Dashboard/>
                    <Route path=path!("/analytics") view=AnalyticsPage/>
                    <Route path=path!("/instances") view=InstancesPage/>
                    <Route path=path!("/sessions") view=Sessions/>
                    <Route path=path!("/sessions/:id") view=SessionDetail/>
                    <Route path=path!("/alerts") view=AlertsPage/>
                    <Route path=path!("/databases") view=DatabasesHome/>
                    <Route path=path!("/databases/mongodb") view=MongoPage/>
                    <Route path=path!("/databases/clickhouse") view=KnowledgeBasesPage/>
                    <Route path=path!("/databases/qdrant") view=QdrantPage/>
                    <Route path=path!("/databases/redis") view=RedisPage/>
                </Routes>
            </Shell>
        </Router>
    }
}
