//! Helpers of the Analytics browser tests, the page's side: what a chart shows (legend, drawn points, markers, its
//! note, the hover read-out), pointer drags across a chart as a mouse makes them, the top-patterns bars, the range
//! in the URL and the control, the page's history requests and its uncaught errors. `stores` is the other side:
//! the history API and KATO's recorded stores.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

mod stores;

use kato_dashboard_e2e::{Browser, Tab};
use serde_json::Value;

pub use stores::*;

/// Records the page's uncaught errors (a Rust panic in the app is an "unreachable" `RuntimeError`).
const ERROR_PROBE: &str = "window.__errors = []; \
    window.addEventListener('error', e => window.__errors.push(e.message)); \
    window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));";

/// Opens `url` in a tab that records the page's uncaught errors (see [`page_errors`]).
pub async fn open_watched(browser: &Browser, url: &str) -> Tab {
    let tab = browser.blank().await.unwrap();
    tab.on_new_document(ERROR_PROBE).await.unwrap();
    tab.goto(url).await.unwrap();
    tab
}

/// The uncaught errors of the page since it loaded.
pub async fn page_errors(tab: &Tab) -> Vec<String> {
    tab.eval("window.__errors ?? []").await.unwrap()
}

/// A chart panel's selector (a `data-testid`), as a JavaScript string literal.
fn js(panel: &str) -> String {
    serde_json::to_string(&format!("[data-testid={panel}]")).unwrap()
}

/// The legend of a chart panel, in order.
pub async fn legend(tab: &Tab, testid: &str) -> Vec<String> {
    tab.eval(&format!(
        "[...document.querySelectorAll({} + ' .chart-legend .legend')].map(e => e.textContent.trim())",
        js(testid)
    ))
    .await
    .unwrap()
}

/// How many points the lines of a chart join (`M`/`L` commands of its `path.line`s).
pub async fn line_points(tab: &Tab, testid: &str) -> usize {
    tab.eval(&format!(
        "[...document.querySelectorAll({} + ' path.line')].map(p => (p.getAttribute('d') || '').match(/[ML]/g)?.length ?? 0)\
         .reduce((a, b) => a + b, 0)",
        js(testid)
    ))
    .await
    .unwrap()
}

/// Whether a chart draws at least one point above its baseline (a value above 0).
pub async fn draws_above_zero(tab: &Tab, testid: &str) -> bool {
    tab.eval(&format!(
        "[...document.querySelectorAll({} + ' path.line')].some(p => [...(p.getAttribute('d') || '')\
         .matchAll(/[ML]([\\d.]+) ([\\d.]+)/g)].some(m => parseFloat(m[2]) < 159.5))",
        js(testid)
    ))
    .await
    .unwrap()
}

/// The `<title>`s of a chart's markers and their x (0..600 of the SVG's width).
pub async fn chart_markers(tab: &Tab, testid: &str) -> Vec<(String, f64)> {
    tab.eval(&format!(
        "[...document.querySelectorAll({} + ' g.marker')].map(g => [g.querySelector('title').textContent, \
         parseFloat(g.querySelector('line.mline').getAttribute('x1'))])",
        js(testid)
    ))
    .await
    .unwrap()
}

/// The text of an empty chart's note, if it shows one.
pub async fn chart_note(tab: &Tab, testid: &str) -> Option<String> {
    tab.text(&format!("[data-testid={testid}] .chart-empty"))
        .await
        .unwrap()
}

/// Dispatches pointer events on a chart's plot as a mouse would: `moves` at the given fractions of its width
/// (down at the first and up at the last when `drag`). Returns the fractions the app reads from the whole-pixel
/// `clientX`s, and the plot's width in CSS pixels.
pub async fn pointer(tab: &Tab, testid: &str, moves: &[f64], drag: bool) -> (Vec<f64>, f64) {
    let moves = serde_json::to_string(moves).unwrap();
    tab.eval(&format!(
        "(() => {{ const plot = document.querySelector({} + ' .chart-plot'); plot.scrollIntoView({{block: 'center'}}); \
         const svg = plot.querySelector('svg'); const r = plot.getBoundingClientRect(); const y = Math.round(r.top + r.height / 2); \
         const fire = (type, x) => svg.dispatchEvent(new PointerEvent(type, {{ bubbles: true, cancelable: true, \
           clientX: x, clientY: y, button: 0, buttons: {}, pointerId: 1, pointerType: 'mouse', isPrimary: true }})); \
         const xs = {moves}.map(f => Math.round(r.left + r.width * f)); \
         if ({drag}) fire('pointerdown', xs[0]); xs.forEach(x => fire('pointermove', x)); \
         if ({drag}) fire('pointerup', xs[xs.length - 1]); \
         return [xs.map(x => Math.min(Math.max((x - r.left) / r.width, 0), 1)), r.width]; }})()",
        js(testid),
        u8::from(drag),
    ))
    .await
    .unwrap()
}

/// The rows of a chart's hover read-out while the pointer is at `fraction` of its width: `(name, value)`. The
/// pointer leaves afterwards.
pub async fn hover(tab: &Tab, testid: &str, fraction: f64) -> Vec<(String, String)> {
    pointer(tab, testid, &[fraction], false).await;
    tab.eval(&format!(
        "(() => {{ const rows = [...document.querySelectorAll({0} + ' .chart-tip .tip-row')].map(r => {{ \
         const b = r.querySelector('b'); \
         return [r.textContent.slice(0, r.textContent.length - b.textContent.length).trim(), b.textContent.trim()]; }}); \
         document.querySelector({0} + ' .chart-plot').dispatchEvent(new PointerEvent('pointerleave')); return rows; }})()",
        js(testid)
    ))
    .await
    .unwrap()
}

/// The top-patterns bars: `(pattern, knowledge base or "", frequency)`.
pub async fn top_bars(tab: &Tab) -> Vec<(String, String, String)> {
    tab.eval(
        "[...document.querySelectorAll('[data-testid=top-patterns] li')].map(li => [\
         li.querySelector('.hbar-label').textContent, li.querySelector('.pill')?.textContent ?? '', \
         li.querySelector('b.num').textContent])",
    )
    .await
    .unwrap()
}

/// The server's top patterns in the shape of [`top_bars`] (`with_kb`: the bars name their knowledge base).
pub fn expected_bars(answer: &Value, with_kb: bool) -> Vec<(String, String, String)> {
    answer["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let kb = if with_kb {
                p["processor_id"].as_str().unwrap().to_owned()
            } else {
                String::new()
            };
            (
                p["pattern"].as_str().unwrap().to_owned(),
                kb,
                p["frequency"].to_string(),
            )
        })
        .collect()
}

/// How many history requests of the page asked for exactly `from`..`to` since the resource timings were cleared.
pub async fn history_fetches(tab: &Tab, from: i64, to: i64) -> usize {
    tab.eval(&format!(
        "performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/system/history?from={from}&to={to}&')).length"
    ))
    .await
    .unwrap()
}

/// The page's `?from=&to=`, if it has an absolute range.
pub async fn url_range(tab: &Tab) -> Option<(i64, i64)> {
    let q: Vec<Option<String>> = tab
        .eval("(() => { const q = new URLSearchParams(location.search); return [q.get('from'), q.get('to')]; })()")
        .await
        .unwrap();
    match (q[0].as_deref(), q[1].as_deref()) {
        (Some(f), Some(t)) => Some((f.parse().ok()?, t.parse().ok()?)),
        _ => None,
    }
}

/// The preset the range control marks as chosen (`None` for a custom range), and whether "Custom" is marked.
pub async fn chosen_range(tab: &Tab) -> (Option<String>, bool) {
    tab.eval(
        "[document.querySelector('[data-testid=range-control] [role=radio][aria-checked=true]')?.dataset.range ?? null, \
         document.querySelector('[data-testid=range-custom]').classList.contains('active')]",
    )
    .await
    .unwrap()
}
