"""Charts of tables: timelines, the incident-vs-baseline ranking, first signals, new log templates."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from jitbench.errors import ParameterError
from jitbench.plots.palette import colour_of

_SIGNAL_SYMBOLS = {"version change": "star", "latency breach": "triangle-up", "first error": "x"}


def _group_label(df: pd.DataFrame) -> pd.Series:
    if "name" in df.columns:
        return df["service_name"].fillna("?") + ": " + df["name"].fillna("?")
    if "service_name" in df.columns:
        return df["service_name"].fillna("unknown")
    return pd.Series(["all"] * len(df), index=df.index)


def timeline(df: pd.DataFrame, metric: str = "p99_ms", *, title: str | None = None) -> go.Figure:
    """Lines of ``metric`` (a latency percentile) over time per group, above the request and error rates.

    Takes the result of :func:`jitbench.analysis.timeline`.

    >>> timeline(an.timeline(store, window=("13:45", "14:30")), "p90_ms")          # doctest: +SKIP
    """
    if metric not in df.columns:
        raise ParameterError(f"timeline metric {metric!r} is not a column",
                             hint="use p50_ms, p90_ms, p99_ms, error_rate or rate_per_s")
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.05, row_heights=[0.5, 0.25, 0.25],
                        subplot_titles=(metric, "requests per second", "error rate"))
    labels = _group_label(df)
    for label, part in df.assign(_g=labels).groupby("_g", sort=True):
        svc = part["service_name"].iloc[0] if "service_name" in part.columns else label
        colour = colour_of(svc if "name" not in part.columns else label)
        for row, col in ((1, metric), (2, "rate_per_s"), (3, "error_rate")):
            fig.add_trace(go.Scatter(x=part["bucket"], y=part[col], mode="lines+markers", name=label,
                                     legendgroup=label, showlegend=row == 1, line=dict(color=colour),
                                     marker=dict(size=4)), row=row, col=1)
    fig.update_yaxes(tickformat=".0%", row=3, col=1)
    fig.update_layout(title=title or "Timeline", height=650, hovermode="x unified")
    return fig


def compare(ranked: pd.DataFrame, top: int = 15, *, title: str | None = None) -> go.Figure:
    """Bars of the selection's vs the baseline's share for the ``top`` attribute values of a comparison.

    Takes the result of :func:`jitbench.analysis.compare`; the most over-represented value is on top.

    >>> compare(an.compare(store, baseline=("13:00", "13:45")))                  # doctest: +SKIP
    """
    head = ranked.head(top)
    labels = head["key"].astype(str) + " = " + head["value"].astype(str)
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=head["selected_pct"], orientation="h", name="selection", marker_color="#d62728",
                         customdata=head["selected"], hovertemplate="%{y}: %{x:.1f}% (%{customdata})<extra></extra>"))
    fig.add_trace(go.Bar(y=labels, x=head["baseline_pct"], orientation="h", name="baseline", marker_color="#7f7f7f",
                         customdata=head["baseline"], hovertemplate="%{y}: %{x:.1f}% (%{customdata})<extra></extra>"))
    fig.update_layout(barmode="group", title=title or "What sets the selection apart", xaxis_title="% of rows",
                      yaxis=dict(autorange="reversed"), height=max(300, 40 * len(head) + 120))
    return fig


def signals(df: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """What happened first: one marker per signal on a time axis, a row per service.

    Takes the result of :func:`jitbench.analysis.first_signals`.

    >>> signals(an.first_signals(store, ("14:00", "14:30")))                      # doctest: +SKIP
    """
    fig = go.Figure()
    for kind, part in df.groupby("signal", sort=False):
        fig.add_trace(go.Scatter(x=part["time"], y=part["service_name"].fillna("unknown"), mode="markers",
                                 name=kind, text=part["detail"],
                                 marker=dict(symbol=_SIGNAL_SYMBOLS.get(kind, "circle"), size=14),
                                 hovertemplate="%{y} %{x}<br>%{text}<extra>" + kind + "</extra>"))
    fig.update_layout(title=title or "First signals", xaxis_title="time (UTC)", height=max(300, 60 * df["service_name"].nunique() + 150))
    return fig


def templates(df: pd.DataFrame, top: int = 15, *, title: str | None = None) -> go.Figure:
    """Rates per minute of new and surged log templates, window vs baseline.

    Takes the result of :func:`jitbench.analysis.new_log_templates`.

    >>> templates(an.new_log_templates(store, ("14:00", "14:30")))                 # doctest: +SKIP
    """
    head = df.head(top)
    labels = [f"[{s}] {t[:80]}" for s, t in zip(head["status"], head["template"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=head["window_per_min"], orientation="h", name="window", marker_color="#d62728"))
    fig.add_trace(go.Bar(y=labels, x=head["baseline_per_min"], orientation="h", name="baseline", marker_color="#7f7f7f"))
    fig.update_layout(barmode="group", title=title or "New and surging log templates", xaxis_title="lines per minute",
                      yaxis=dict(autorange="reversed"), height=max(300, 40 * len(head) + 120))
    return fig
