"""The service map as a layered graph: callers left, callees right, edges labelled with calls and errors."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from jitbench.plots.palette import colour_of


def _layers(edges: pd.DataFrame) -> dict[str, int]:
    """Longest distance from an entry service, cycle-safe (a node is placed at most once per pass)."""
    nodes = list(dict.fromkeys(list(edges["caller"]) + list(edges["callee"])))
    layer = {n: 0 for n in nodes}
    pairs = [(a, b) for a, b in zip(edges["caller"], edges["callee"]) if a != b]
    for _ in range(len(nodes)):  # Bellman-Ford style relaxation; a cycle just stops growing
        changed = False
        for a, b in pairs:
            if layer[b] < layer[a] + 1 and layer[a] + 1 < len(nodes):
                layer[b], changed = layer[a] + 1, True
        if not changed:
            break
    return layer


def service_map(edges: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """A network figure of :func:`jitbench.analysis.service_map`: nodes are services (squares for
    external peers), edge width grows with calls, red edges carry errors; hover for p50/p95.

    >>> service_map(an.service_map(store))                          # doctest: +SKIP
    """
    layer = _layers(edges)
    by_layer: dict[int, list[str]] = {}
    for node, lvl in sorted(layer.items(), key=lambda kv: (kv[1], kv[0])):
        by_layer.setdefault(lvl, []).append(node)
    pos = {n: (lvl, -(i - (len(ns) - 1) / 2)) for lvl, ns in by_layer.items() for i, n in enumerate(ns)}
    fig = go.Figure()
    top = max(edges["calls"].max(), 1) if len(edges) else 1
    annotations = []
    for e in edges.itertuples():
        (x0, y0), (x1, y1) = pos[e.caller], pos[e.callee]
        colour = "#d62728" if e.errors else "#888"
        annotations.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                                showarrow=True, arrowhead=3, arrowsize=1, standoff=14, startstandoff=14,
                                arrowwidth=1 + 4 * e.calls / top, arrowcolor=colour, text=""))
        fig.add_trace(go.Scatter(
            x=[(x0 + x1) / 2], y=[(y0 + y1) / 2], mode="text", textposition="top center", showlegend=False,
            text=[f"{e.calls}" + (f" / {e.errors} err" if e.errors else "")], textfont=dict(color=colour),
            hovertext=[f"{e.caller} → {e.callee}: {e.calls} calls, {e.errors} errors ({e.error_rate:.1%}), "
                       f"p50 {e.p50_ms:.1f} ms, p95 {e.p95_ms:.1f} ms"], hoverinfo="text"))
    external = set(edges.loc[edges["callee_kind"] == "external", "callee"]) - set(edges["caller"])
    names = list(pos)
    fig.add_trace(go.Scatter(
        x=[pos[n][0] for n in names], y=[pos[n][1] for n in names], mode="markers+text", text=names,
        textposition="top center", showlegend=False, hoverinfo="text",
        marker=dict(size=26, color=[colour_of(n) for n in names], line=dict(color="#333", width=1),
                    symbol=["square" if n in external else "circle" for n in names])))
    fig.update_layout(title=title or "Service map", annotations=annotations, plot_bgcolor="white",
                      xaxis=dict(visible=False), yaxis=dict(visible=False),
                      height=max(350, 90 * max((len(v) for v in by_layer.values()), default=1) + 150))
    return fig
