//! Charts as inline SVG (no chart library): a line/bar chart with area fill, grid, axis labels, a hover read-out,
//! event markers (vertical lines with a `<title>` tooltip), gaps where buckets are missing, an explanatory note when
//! there is no data, and drag-to-zoom; and a small sparkline for cards. The geometry is computed by
//! `state::history` and `state::range` (tested natively).

use leptos::prelude::*;

use crate::services::{axis_time, local_datetime, local_time};
use crate::state::history::{VIEW_H, VIEW_W, bars, count_ceiling, geometry, nearest, nice_ceiling};
use crate::state::history_api::Marker;
use crate::state::range::{TimeRange, drag_range, fraction};

/// One line (or bar series) of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    pub name: String,
    /// Colour class (`c1`, `c2`, …).
    pub class: &'static str,
    pub points: Vec<(f64, f64)>,
    /// Occurrences per bucket, drawn as bars `ChartData::bucket_ms` wide.
    pub bars: bool,
}

impl ChartSeries {
    /// A line.
    pub fn line(name: impl Into<String>, class: &'static str, points: Vec<(f64, f64)>) -> Self {
        ChartSeries {
            name: name.into(),
            class,
            points,
            bars: false,
        }
    }
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
    /// Points further apart than this are not joined (missing buckets, a disconnection).
    pub gap_ms: f64,
    /// Width of a bar's bucket.
    pub bucket_ms: f64,
    pub markers: Vec<Marker>,
    /// The window ends now: the right edge reads "now".
    pub live: bool,
    /// What an empty chart says instead of "Waiting for data…", and whether that is an error.
    pub note: Option<String>,
    pub failed: bool,
}

impl ChartData {
    /// A chart of `series` over `[from_ms, to_ms]`, ending now, with the live charts' 15 s gap.
    pub fn new(series: Vec<ChartSeries>, from_ms: f64, to_ms: f64) -> Self {
        ChartData {
            series,
            from_ms,
            to_ms,
            y_floor: 1.0,
            fixed_max: None,
            gap_ms: 15_000.0,
            bucket_ms: 0.0,
            markers: Vec::new(),
            live: true,
            note: None,
            failed: false,
        }
    }
}

/// A chart. `fmt` formats values for the axis and the read-out; with `on_zoom`, dragging across it selects a span.
#[component]
pub fn LineChart(
    #[prop(into)] data: Signal<ChartData>,
    fmt: fn(f64) -> String,
    label: &'static str,
    #[prop(optional, into)] on_zoom: Option<Callback<TimeRange>>,
) -> impl IntoView {
    let hover = RwSignal::new(None::<f64>);
    // Drag-to-zoom: where the drag started and where the pointer is, as fractions of the width.
    let drag = RwSignal::new(None::<(f64, f64)>);
    let y_max = move || {
        data.with(|d| {
            d.fixed_max.unwrap_or_else(|| {
                let max = d
                    .series
                    .iter()
                    .flat_map(|s| {
                        s.points
                            .iter()
                            .filter(|(t, _)| *t >= d.from_ms - d.bucket_ms)
                            .map(|p| p.1)
                    })
                    .fold(0.0, f64::max);
                if d.series.iter().any(|s| s.bars) {
                    count_ceiling(max)
                } else {
                    nice_ceiling(max, d.y_floor)
                }
            })
        })
    };
    let paths = move || {
        let max = y_max();
        data.with(|d| {
            let of = d.series.iter().filter(|s| s.bars).count();
            let mut bar_index = 0;
            d.series
                .iter()
                .map(|s| {
                    if s.bars {
                        bar_index += 1;
                        let path = bars(
                            &s.points,
                            (d.from_ms, d.to_ms),
                            max,
                            d.bucket_ms,
                            bar_index - 1,
                            of,
                        );
                        (s.class, String::new(), String::new(), path)
                    } else {
                        let g = geometry(&s.points, d.from_ms, d.to_ms, max, d.gap_ms);
                        (s.class, g.line, g.area, String::new())
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let markers = move || {
        data.with(|d| {
            let span = (d.to_ms - d.from_ms).max(1.0);
            d.markers
                .iter()
                .filter(|m| m.t_ms >= d.from_ms && m.t_ms <= d.to_ms)
                .map(|m| {
                    let x = (m.t_ms - d.from_ms) / span * VIEW_W;
                    let title = format!("{} · {}", local_datetime(m.t_ms), m.label);
                    view! {
                        <g class=format!("marker tone-{}", m.tone())>
                            <title>{title}</title>
                            <line class="mline" x1=x x2=x y1="0" y2=VIEW_H vector-effect="non-scaling-stroke"/>
                            <line class="mhit" x1=x x2=x y1="0" y2=VIEW_H vector-effect="non-scaling-stroke"/>
                        </g>
                    }
                })
                .collect_view()
        })
    };
    let readout = move || {
        let f = hover.get()?;
        data.with(|d| {
            let rows: Vec<(String, &'static str, String, f64)> = d
                .series
                .iter()
                .filter_map(|s| {
                    nearest(&s.points, d.from_ms - d.bucket_ms, d.to_ms, f)
                        .map(|(t, v)| (s.name.clone(), s.class, fmt(v), t))
                })
                .collect();
            let t = rows.first().map(|r| r.3)?;
            let when = if d.to_ms - d.from_ms > 86_400_000.0 {
                local_datetime(t)
            } else {
                local_time(t)
            };
            Some((f, when, rows))
        })
    };
    let at = move |e: &leptos::ev::PointerEvent| {
        let el = event_target::<web_sys::Element>(e)
            .closest(".chart-plot")
            .ok()
            .flatten()?;
        let rect = el.get_bounding_client_rect();
        (rect.width() > 0.0).then(|| fraction(e.client_x() as f64, rect.left(), rect.width()))
    };
    let on_move = move |e: leptos::ev::PointerEvent| {
        if let Some(f) = at(&e) {
            hover.set(Some(f));
            if drag.with_untracked(Option::is_some) {
                drag.update(|d| {
                    if let Some(d) = d {
                        d.1 = f;
                    }
                });
            }
        }
    };
    let on_down = move |e: leptos::ev::PointerEvent| {
        if on_zoom.is_some()
            && e.button() == 0
            && let Some(f) = at(&e)
        {
            e.prevent_default();
            drag.set(Some((f, f)));
        }
    };
    let on_up = move |_| {
        if let (Some((a, b)), Some(cb)) = (drag.get_untracked(), on_zoom) {
            let (from, to) = data.with_untracked(|d| (d.from_ms, d.to_ms));
            if let Some(r) = drag_range(from, to, a, b) {
                cb.run(r);
            }
        }
        drag.set(None);
    };
    let empty = move || {
        data.with(|d| {
            d.series
                .iter()
                .all(|s| s.points.iter().all(|(t, _)| *t < d.from_ms - d.bucket_ms))
        })
    };
    let note = move || data.with(|d| (d.note.clone(), d.failed));
    let x_labels = move || {
        data.with(|d| {
            let span = d.to_ms - d.from_ms;
            let end = if d.live {
                "now".to_string()
            } else {
                axis_time(d.to_ms, span)
            };
            [
                axis_time(d.from_ms, span),
                axis_time(d.from_ms + span / 2.0, span),
                end,
            ]
        })
    };
    view! {
        <figure class="chart" aria-label=label>
            <div class="chart-legend">
                {move || data.with(|d| d.series.iter().map(|s| view! {
                    <span class=format!("legend {}", s.class)><i class:sq=s.bars></i>{s.name.clone()}</span>
                }).collect_view())}
            </div>
            <div class="chart-body">
                <div class="chart-y num" aria-hidden="true">
                    {move || {
                        let max = y_max();
                        [max, max / 2.0, 0.0].map(|v| view! { <span>{fmt(v)}</span> })
                    }}
                </div>
                <div class="chart-plot" class:zoomable=on_zoom.is_some() on:pointermove=on_move
                    on:pointerdown=on_down on:pointerup=on_up
                    on:pointerleave=move |_| { hover.set(None); drag.set(None); }>
                    <svg viewBox=format!("0 0 {VIEW_W} {VIEW_H}") preserveAspectRatio="none" role="img" aria-label=label>
                        <line class="grid" x1="0" x2=VIEW_W y1="0.5" y2="0.5"/>
                        <line class="grid" x1="0" x2=VIEW_W y1=VIEW_H / 2.0 y2=VIEW_H / 2.0/>
                        <line class="grid" x1="0" x2=VIEW_W y1=VIEW_H - 0.5 y2=VIEW_H - 0.5/>
                        {move || paths().into_iter().map(|(class, line, area, bars)| view! {
                            <g class=format!("series {class}")>
                                <path class="area" d=area/>
                                <path class="line" d=line vector-effect="non-scaling-stroke"/>
                                <path class="bars" d=bars/>
                            </g>
                        }).collect_view()}
                        {markers}
                        {move || drag.get().map(|(a, b)| view! {
                            <rect class="zoom-sel" x=a.min(b) * VIEW_W width=(a - b).abs() * VIEW_W y="0" height=VIEW_H/>
                        })}
                        {move || readout().map(|(f, _, _)| view! {
                            <line class="cursor" x1=f * VIEW_W x2=f * VIEW_W y1="0" y2=VIEW_H vector-effect="non-scaling-stroke"/>
                        })}
                    </svg>
                    <Show when=empty>
                        <div class="chart-empty muted" class:failed=move || note().1>
                            {move || note().0.unwrap_or_else(|| "Waiting for data…".into())}
                        </div>
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
                {move || x_labels().into_iter().map(|l| view! { <span>{l}</span> }).collect_view()}
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
