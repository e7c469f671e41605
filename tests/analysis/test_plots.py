"""Figures build from real analysis results and render offline (plotly.js embedded, no CDN)."""
from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from jitbench import analysis as an, plots
from jitbench.errors import ParameterError

from analysis_builders import BASELINE, INCIDENT, incident_scenario, insert


def _offline_html(fig: go.Figure) -> str:
    html = fig.to_html(include_plotlyjs=True, full_html=True)
    assert not re.search(r"<script[^>]+src=", html), "the figure must not load a script from anywhere"
    assert len(html) > 1_000_000, "plotly.js must be embedded in the page"
    # nothing in the figure itself points at the network (map tiles, fonts, images)
    assert not re.search(r"https?://", fig.to_json())
    return html


def test_every_figure_builds_and_renders_offline(store):
    incident_scenario(store)
    bad = an.worst_traces(store, "errors").trace_id[0]
    tree, cp = an.trace_tree(store, bad), an.critical_path(store, bad)
    failing = tree[tree.is_error].iloc[0]
    insert(store, "span_events", [{"trace_id": bad, "span_id": failing.span_id, "name": "exception",
                                   "time": failing.end_time, "attributes": '{"exception.type": "Declined"}'}])
    figures = {
        "waterfall": plots.waterfall(tree, cp, an.trace_events(store, bad)),
        "timeline": plots.timeline(an.timeline(store, "operation")),
        "service_map": plots.service_map(an.service_map(store)),
        "compare": plots.compare(an.compare(store, baseline=BASELINE, window=INCIDENT)),
        "signals": plots.signals(an.first_signals(store, INCIDENT, baseline=BASELINE)),
        "templates": plots.templates(an.new_log_templates(store, INCIDENT, baseline=BASELINE)),
    }
    for name, fig in figures.items():
        assert isinstance(fig, go.Figure) and fig.data, name
        _offline_html(fig)
    # the waterfall has one bar per span, the failing ones outlined, the critical ones hatched
    bars = [t for t in figures["waterfall"].data if t.type == "bar"]
    assert sum(len(t.y) for t in bars) == len(tree)
    hatched = sum(s == "/" for t in bars for s in t.marker.pattern.shape)
    assert hatched == len(cp)
    assert any(t.name == "error" for t in figures["waterfall"].data)
    (event,) = [t for t in figures["waterfall"].data if t.name == "event"]
    assert list(event.text) == ["exception"] and event.x[0] == pytest.approx(failing.offset_ms + failing.duration_ms)
    # the service map shows every service and the database
    node_trace = figures["service_map"].data[-1]
    assert {"frontend", "checkout", "cart", "payment", "postgresql"} == set(node_trace.text)
    assert figures["compare"].data[0].y[0] == "service.version = 1.5.0"


def test_timeline_metric_must_be_a_column(store):
    incident_scenario(store)
    with pytest.raises(ParameterError, match="metric 'p999' is not a column"):
        plots.timeline(an.timeline(store), "p999")
