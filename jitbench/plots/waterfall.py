"""The waterfall of one trace: a bar per span, services coloured, errors and the critical path marked."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from jitbench.plots.palette import colour_map

ERROR = "#d62728"


def waterfall(tree: pd.DataFrame, critical: pd.DataFrame | None = None, events: pd.DataFrame | None = None,
              *, title: str | None = None) -> go.Figure:
    """A Gantt-style waterfall of ``trace_tree(...)``; ``critical`` (``critical_path(...)``) hatches
    the spans on the critical path and ``events`` (``trace_events(...)``) adds a marker per event.

    Failing spans get a red outline and a red cross at their end.  Rows follow the tree's
    depth-first order, indented by depth.

    >>> waterfall(an.trace_tree(store, t), an.critical_path(store, t), an.trace_events(store, t))  # doctest: +SKIP
    """
    tree = tree.sort_values("order").reset_index(drop=True)
    fig = go.Figure()
    rows = list(range(len(tree)))
    labels = ["\u00a0\u00a0" * int(d) + f"{s or '?'}: {n or '?'}"
              for d, s, n in zip(tree["depth"], tree["service_name"], tree["name"])]
    on_path = set(critical["span_id"]) if critical is not None and len(critical) else set()
    colours = colour_map(tree["service_name"].fillna("unknown"))
    tree = tree.assign(row=rows, svc=tree["service_name"].fillna("unknown"))
    for svc, part in tree.groupby("svc", sort=False):
        crit = part["span_id"].isin(on_path)
        fig.add_trace(go.Bar(
            y=part["row"], x=part["duration_ms"].fillna(0), base=part["offset_ms"].fillna(0), orientation="h",
            name=svc, marker=dict(color=colours[svc],
                                  line=dict(color=[ERROR if e else colours[svc] for e in part["is_error"]],
                                            width=[2.5 if e else 0.5 for e in part["is_error"]]),
                                  pattern=dict(shape=["/" if c else "" for c in crit], fgcolor="#222")),
            customdata=list(zip(part["name"].fillna("?"), part["self_ms"].fillna(0), part["status_code"].fillna(""),
                                part["status_message"].fillna(""), ["yes" if c else "no" for c in crit])),
            hovertemplate=(f"<b>{svc}</b> %{{customdata[0]}}<br>start +%{{base:.1f}} ms, %{{x:.1f}} ms "
                           "(self %{customdata[1]:.1f} ms)<br>status %{customdata[2]} %{customdata[3]}"
                           "<br>critical path: %{customdata[4]}<extra></extra>")))
    failed = tree[tree["is_error"]]
    if len(failed):
        fig.add_trace(go.Scatter(x=failed["offset_ms"] + failed["duration_ms"].fillna(0), y=failed["row"],
                                 mode="markers", name="error", marker=dict(symbol="x", color=ERROR, size=10),
                                 text=failed["status_message"].fillna(""), hovertemplate="error: %{text}<extra></extra>"))
    if events is not None and len(events) and tree["start_ns"].notna().any():
        row_of = dict(zip(tree["span_id"], tree["row"]))
        t0 = pd.to_datetime(tree["start_time"]).min()
        ev = events[events["span_id"].isin(row_of)]
        if len(ev):
            fig.add_trace(go.Scatter(
                x=(pd.to_datetime(ev["time"]) - t0).dt.total_seconds() * 1e3, y=ev["span_id"].map(row_of),
                mode="markers", name="event", marker=dict(symbol="diamond", color="#333", size=8),
                text=ev["name"], hovertemplate="event: %{text} at +%{x:.1f} ms<extra></extra>"))
    fig.update_layout(barmode="overlay", title=title or "Trace waterfall", xaxis_title="ms since trace start",
                      height=max(300, 22 * len(tree) + 120), legend_title_text="service",
                      yaxis=dict(tickmode="array", tickvals=rows, ticktext=labels, autorange="reversed"))
    return fig
