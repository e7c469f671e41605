"""The real third-party traces in ../shared/data analyse without error: trees, critical paths, service maps."""
from __future__ import annotations

import math

import pytest

from jitbench import analysis as an, plots
from jitbench.store import Store

TRACE_FILES = [
    "opentelemetry-proto/trace.json",
    "opentelemetry-specification/file-exporter.md.traces.jsonl",
    "jaeger/ui_01.json",
    "jaeger/otlp2jaeger-in.json",
    "jaeger/otlp2jaeger-out.json",
    "jaeger/GetTrace.json",
    "jaeger-ui/otlp2jaeger-multi-in.json.txt",
    "jaeger-ui/oltp2jaeger-multi-out.json",
    "jaeger-ui/otlp2jaeger-in-error.json",
    "zipkin/yelp.json", "zipkin/skew.json", "zipkin/ascend.json", "zipkin/messaging.json",
    "zipkin/messaging2.json", "zipkin/messaging-kafka.json", "zipkin/envoy.json", "zipkin/simple-db-p6.json",
    "zipkin/smartthings-oauth-authorization.json",
]


@pytest.fixture(scope="module")
def real(shared_data):
    store = Store()
    for name in TRACE_FILES:
        store.load(shared_data / name)
    yield store
    store.close()


def test_every_real_trace_gives_a_tree_a_critical_path_and_a_locus(real):
    traces = real.sql("SELECT DISTINCT trace_id FROM spans WHERE trace_id <> '' ORDER BY 1").trace_id
    assert len(traces) == 14          # README of the shared data: 5 OTLP/Jaeger traces + 9 Zipkin traces
    for trace_id in traces:
        rows = real.sql("SELECT count(*) AS n FROM spans WHERE trace_id = ?", [trace_id]).n[0]
        tree = an.trace_tree(real, trace_id)
        assert 1 <= len(tree) <= rows and tree["order"].is_unique
        cp = an.critical_path(real, trace_id)
        if len(cp):
            roots = tree[(tree.parent_node < 0) & tree.duration_ms.notna()]
            longest = roots.duration_ms.max()
            assert math.isclose(cp.critical_ms.sum(), longest, rel_tol=1e-9, abs_tol=1e-6) or \
                cp.critical_ms.sum() <= longest + 1e-6
        an.root_cause(real, trace_id)
        plots.waterfall(tree, cp)


def test_the_production_zipkin_trace(real):
    trace_id = "8ce82b2e9ed820ba"
    tree = an.trace_tree(real, trace_id)
    assert set(tree.service_name.dropna()) >= {"auth", "datamgmt", "stlogin", "pusher", "account", "bouncer"}
    assert (tree.parent_node < 0).sum() == 1                  # one root, the shared halves nested
    cp = an.critical_path(real, trace_id)
    assert cp.iloc[0].depth == 0 and cp.critical_ms.sum() == pytest.approx(tree.duration_ms.iloc[0])
    rc = an.root_cause(real, trace_id)
    assert rc.iloc[0].locus == "error" and "401" in rc.iloc[0].evidence


def test_service_maps_and_worst_traces_of_the_real_data(real):
    edges = an.service_map(real)
    pairs = set(zip(edges.caller, edges.callee))
    assert ("servicea", "serviceb") in pairs and ("frontend", "backend") in pairs
    assert (edges.calls > 0).all()
    plots.service_map(edges)
    worst = an.worst_traces(real, "errors")
    assert "8ce82b2e9ed820ba" in set(worst.trace_id)
    plots.timeline(an.timeline(real))


def test_shared_zipkin_ids_count_each_call_once(shared_data):
    # skew.json: servicea calls serviceb once; the call's client and server halves share an id,
    # and serviceb's own child span must not make a second servicea -> serviceb call
    with Store() as store:
        store.load(shared_data / "zipkin" / "skew.json")
        edges = an.service_map(store).set_index(["caller", "callee"])
        assert edges.loc[("servicea", "serviceb")].calls == 1
        assert len(edges) == 1
