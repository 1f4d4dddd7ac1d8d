//! Live charts as inline SVG (no chart library): a line chart with area fill, grid, axis labels and a hover
//! read-out, and a small sparkline for cards. The geometry is computed by `state::history` (tested natively).

use leptos::prelude::*;

use crate::services::local_time;
use crate::state::history::{VIEW_H, VIEW_W, geometry, nearest, nice_ceiling};

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    pub name: &'static str,
    /// Colour class (`c1`, `c2`, …).
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// Everything a chart draws at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartData {
    pub series: Vec<ChartSeries>,
    pub from_ms: f64,
    pub to_ms: f64,
    /// Minimum y ceiling (keeps a flat low line from filling the chart); percentages pass 100 via `fixed_max`.
    pub y_floor: f64,
    pub fixed_max: Option<f64>,
}

/// A line chart. `fmt` formats values for the axis and the read-out.
#[component]
pub fn LineChart(
    #[prop(into)] data: Signal<ChartData>,
    fmt: fn(f64) -> String,
    label: &'static str,
) -> impl IntoView {
    let hover = RwSignal::new(None::<f64>);
    let y_max = move || {
        data.with(|d| {
            d.fixed_max.unwrap_or_else(|| {
                let max = d
                    .series
                    .iter()
                    .flat_map(|s| {
                        s.points
                            .iter()
                            .filter(|(t, _)| *t >= d.from_ms)
                            .map(|p| p.1)
                    })
                    .fold(0.0, f64::max);
                nice_ceiling(max, d.y_floor)
            })
        })
    };
    let paths = move || {
        let max = y_max();
        data.with(|d| {
            d.series
                .iter()
                .map(|s| {
                    (
                        s.class,
                        geometry(&s.points, d.from_ms, d.to_ms, max, 15_000.0),
                    )
                })
                .collect::<Vec<_>>()
        })
    };
    let readout = move || {
        let f = hover.get()?;
        data.with(|d| {
            let rows: Vec<(&'static str, &'static str, String, f64)> = d
                .series
                .iter()
                .filter_map(|s| {
                    nearest(&s.points, d.from_ms, d.to_ms, f)
                        .map(|(t, v)| (s.name, s.class, fmt(v), t))
                })
                .collect();
            let t = rows.first().map(|r| r.3)?;
            Some((f, local_time(t), rows))
        })
    };
    let on_move = move |e: leptos::ev::PointerEvent| {
        if let Some(el) = event_target::<web_sys::Element>(&e)
            .closest(".chart-plot")
            .ok()
            .flatten()
        {
            let rect = el.get_bounding_client_rect();
            if rect.width() > 0.0 {
                hover.set(Some(
                    ((e.client_x() as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0),
                ));
            }
        }
    };
    let empty = move || {
        data.with(|d| {
            d.series
                .iter()
                .all(|s| s.points.iter().all(|(t, _)| *t < d.from_ms))
        })
    };
    view! {
        <figure class="chart" aria-label=label>
            <div class="chart-legend">
                {move || data.with(|d| d.series.iter().map(|s| view! {
                    <span class=format!("legend {}", s.class)><i></i>{s.name}</span>
                }).collect_view())}
            </div>
            <div class="chart-body">
                <div class="chart-y num" aria-hidden="true">
                    <span>{move || fmt(y_max())}</span>
                    <span>{move || fmt(y_max() / 2.0)}</span>
                    <span>{move || fmt(0.0)}</span>
                </div>
                <div class="chart-plot" on:pointermove=on_move on:pointerleave=move |_| hover.set(None)>
                    <svg viewBox=format!("0 0 {VIEW_W} {VIEW_H}") preserveAspectRatio="none" role="img" aria-label=label>
                        <line class="grid" x1="0" x2=VIEW_W y1="0.5" y2="0.5"/>
                        <line class="grid" x1="0" x2=VIEW_W y1=VIEW_H / 2.0 y2=VIEW_H / 2.0/>
                        <line class="grid" x1="0" x2=VIEW_W y1=VIEW_H - 0.5 y2=VIEW_H - 0.5/>
                        {move || paths().into_iter().map(|(class, g)| view! {
                            <g class=format!("series {class}")>
                                <path class="area" d=g.area/>
                                <path class="line" d=g.line vector-effect="non-scaling-stroke"/>
                            </g>
                        }).collect_view()}
                        {move || readout().map(|(f, _, _)| view! {
                            <line class="cursor" x1=f * VIEW_W x2=f * VIEW_W y1="0" y2=VIEW_H vector-effect="non-scaling-stroke"/>
                        })}
                    </svg>
                    <Show when=empty>
                        <div class="chart-empty muted">"Waiting for data…"</div>
                    </Show>
                    {move || readout().map(|(f, time, rows)| view! {
                        <div class="chart-tip" class:left={f > 0.6} style=format!("left:{:.1}%", f * 100.0)>
                            <div class="muted small">{time}</div>
                            {rows.into_iter().map(|(name, class, v, _)| view! {
                                <div class=format!("tip-row {class}")><i></i>{name}<b class="num">{v}</b></div>
                            }).collect_view()}
                        </div>
                    })}
                </div>
            </div>
            <div class="chart-x muted small" aria-hidden="true">
                <span>{move || data.with(|d| format!("−{:.0} min", ((d.to_ms - d.from_ms) / 60_000.0).round()))}</span>
                <span>"now"</span>
            </div>
        </figure>
    }
}

/// A small chart without axes, for cards.
#[component]
pub fn Sparkline(
    #[prop(into)] points: Signal<Vec<(f64, f64)>>,
    #[prop(into)] window: Signal<(f64, f64)>,
) -> impl IntoView {
    let g = move || {
        let (from, to) = window.get();
        points.with(|p| {
            let max = p
                .iter()
                .filter(|(t, _)| *t >= from)
                .map(|x| x.1)
                .fold(0.0, f64::max);
            geometry(p, from, to, nice_ceiling(max, 5.0), 15_000.0)
        })
    };
    view! {
        <svg class="spark" viewBox=format!("0 0 {VIEW_W} {VIEW_H}") preserveAspectRatio="none" aria-hidden="true">
            <path class="area" d=move || g().area/>
            <path class="line" d=move || g().line vector-effect="non-scaling-stroke"/>
        </svg>
    }
}
