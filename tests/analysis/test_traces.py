"""Worst traces, the span tree, the critical path and trace comparison on traces with a known answer."""
from __future__ import annotations

import pandas as pd
import pytest

from jitbench import analysis as an
from jitbench.errors import ParameterError

from analysis_builders import T0, TraceBuilder, add_traces, checkout_trace


def test_slow_db_call_is_on_the_critical_path_with_its_self_time(store):
    slow = checkout_trace(db_ms=800)
    add_traces(store, checkout_trace(), slow, checkout_trace(T0 + pd.Timedelta("1s")))
    worst = an.worst_traces(store, limit=2)
    assert worst.trace_id[0] == slow.trace_id
    assert worst.loc[0, "root_service"] == "frontend" and worst.loc[0, "spans"] == 6

    cp = an.critical_path(store, slow.trace_id)
    top = cp.sort_values("critical_ms", ascending=False).iloc[0]
    assert (top.service_name, top["name"]) == ("checkout", "SELECT orders")
    assert top.critical_ms == pytest.approx(800.0)
    # the blocking chain: root, client, server, then db and payment (sequential), cart before them
    assert set(cp["name"]) == {"GET /checkout", "POST checkout", "POST /checkout", "GET /cart",
                               "SELECT orders", "POST /charge"}
    # self times along the path add up to the end-to-end latency
    assert cp["critical_ms"].sum() == pytest.approx(860.0)


def test_parallel_children_only_the_latest_finishing_blocks(store):
    b = TraceBuilder()
    root = b.span("api", "GET /", 0, 100, kind="SERVER")
    b.span("api", "fast", 10, 20, root)
    b.span("api", "slow", 10, 80, root)       # overlaps fast; finishes last
    b.span("api", "early", 0, 5, root)
    add_traces(store, b)
    cp = an.critical_path(store, b.trace_id)
    assert set(cp["name"]) == {"GET /", "slow", "early"}
    assert "fast" not in set(cp["name"])
    assert cp.set_index("name").loc["slow", "critical_ms"] == pytest.approx(80.0)
    assert cp["critical_ms"].sum() == pytest.approx(100.0)


def test_tree_survives_shared_ids_duplicates_orphans_missing_times_and_loops(store):
    b = TraceBuilder()
    root = b.span("a", "get", 0, 100, kind="SERVER")
    client = b.span("a", "post", 10, 80, root, kind="CLIENT")
    b.rows.append({**b.rows[-1], "service_name": "b", "kind": "SERVER", "start_time": T0 + pd.Timedelta("12ms"),
                   "end_time": T0 + pd.Timedelta("85ms"), "duration_ns": 73_000_000})   # zipkin shared half
    b.span("b", "async", 20, 30, client)
    b.rows.append(dict(b.rows[-1]))                                  # byte-identical duplicate
    b.span("c", "orphan", 30, 10, "ffffffffffffffff")
    b.span("d", "no times", 0, 0, root)
    b.rows[-1].update(start_time=None, end_time=None, duration_ns=None)
    x = b.span("e", "loop-x", 40, 1, "0")
    y = b.span("e", "loop-y", 41, 1, x)
    b.rows[-2]["parent_span_id"] = y
    add_traces(store, b)
    tree = an.trace_tree(store, b.trace_id)
    assert len(tree) == len(b.rows) - 1                              # the duplicate is kept once
    by_name = tree.set_index(["service_name", "name"])
    # the serving half nests under the calling half; the async child under the serving half
    assert by_name.loc[("b", "post"), "depth"] == 2 and by_name.loc[("b", "async"), "depth"] == 3
    assert bool(by_name.loc[("c", "orphan"), "orphan"]) and by_name.loc[("c", "orphan"), "depth"] == 0
    assert pd.isna(by_name.loc[("d", "no times"), "duration_ms"])
    assert {"loop-x", "loop-y"} <= set(tree["name"])
    cp = an.critical_path(store, b.trace_id)
    assert cp.iloc[0]["name"] == "get" and cp["critical_ms"].sum() == pytest.approx(100.0)


def test_compare_traces_shows_what_appeared_and_grew(store):
    good = checkout_trace()
    bad = checkout_trace(T0 + pd.Timedelta("5s"), db_ms=500)
    retry_parent = bad.rows[2]["span_id"]
    bad.span("checkout", "retry payment", 560, 5, retry_parent)
    add_traces(store, good, bad)
    diff = an.compare_traces(store, good.trace_id, bad.trace_id).set_index("name")
    assert diff.loc["SELECT orders", "change"] == "grew"
    assert diff.loc["SELECT orders", "delta_ms"] == pytest.approx(480.0)
    assert diff.loc["retry payment", "change"] == "appeared"
    assert diff.loc["GET /cart", "change"] == "same"


def test_bad_input_is_one_clear_line(store):
    add_traces(store, checkout_trace())
    with pytest.raises(ParameterError, match="not in the store") as err:
        an.critical_path(store, "deadbeef")
    assert "\n" not in str(err.value)
    with pytest.raises(ParameterError, match="by='latency' is not known"):
        an.worst_traces(store, "latency")
    with pytest.raises(ParameterError, match="ends .* before it starts"):
        an.worst_traces(store, window=("14:30", "14:00"))
