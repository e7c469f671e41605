"""Root-cause locus: slow call, masked error, sibling errors, plain error."""
from __future__ import annotations

from jitbench import analysis as an

from analysis_builders import TraceBuilder, add_traces, checkout_trace


def test_slow_db_call_is_the_latency_locus(store):
    slow = checkout_trace(db_ms=800)
    add_traces(store, slow)
    rc = an.root_cause(store, slow.trace_id)
    top = rc.iloc[0]
    assert (top.service_name, top["name"], top.locus) == ("checkout", "SELECT orders", "latency")
    assert "800.0 ms" in top.evidence and "critical path" in top.evidence


def test_masked_error_points_at_the_timed_out_child_not_the_proxy(store):
    b = TraceBuilder()
    root = b.span("frontend", "GET /checkout", 0, 5010, kind="SERVER")
    proxy = b.span("edge-proxy", "proxy checkout", 2, 5004, root, kind="SERVER", status="ERROR",
                   message="upstream request timeout")
    b.span("edge-proxy", "auth check", 3, 4, proxy)
    up = b.span("checkout", "POST /checkout", 8, 5000, proxy, kind="SERVER", status="OK")
    b.span("checkout", "validate cart", 10, 5, up)
    b.span("inventory", "reserve stock", 16, 4990, up, kind="CLIENT", status="OK")
    add_traces(store, b)
    rc = an.root_cause(store, b.trace_id)
    top = rc.iloc[0]
    assert top.locus == "masked-error"
    # the deepest blocking span under the timed-out child, not the proxy with the only error status
    assert (top.service_name, top["name"]) == ("inventory", "reserve stock")
    assert "5 s timeout" in top.evidence and "edge-proxy / proxy checkout" in top.evidence
    assert "names a timeout" in top.evidence


def test_masked_error_without_a_message_is_found_by_timing(store):
    b = TraceBuilder()
    proxy = b.span("gateway", "route", 0, 2001, kind="SERVER", status="ERROR", message="upstream failed")
    b.span("search", "query", 1, 2000, proxy, kind="SERVER", status="UNSET")   # a 2 s timeout, ended with it
    add_traces(store, b)
    top = an.root_cause(store, b.trace_id).iloc[0]
    assert (top.service_name, top.locus) == ("search", "masked-error")


def test_sibling_errors_the_earliest_originating_failure_wins(store):
    b = TraceBuilder()
    root = b.span("api", "GET /order", 0, 300, kind="SERVER", status="ERROR", message="500")
    b.span("pricing", "quote", 5, 200, root, kind="CLIENT", status="ERROR", message="connection reset")
    b.span("stock", "check", 5, 40, root, kind="CLIENT", status="ERROR", message="pool exhausted")
    b.span("tax", "rate", 5, 100, root, kind="CLIENT", status="ERROR", message="circuit open")
    b.span("audit", "log", 5, 10, root, kind="CLIENT", status="OK")
    add_traces(store, b)
    rc = an.root_cause(store, b.trace_id)
    assert list(rc["service_name"]) == ["stock", "tax", "pricing"]      # the failing root is not an origin
    assert rc.iloc[0].locus == "error" and "earliest of 3" in rc.iloc[0].evidence
    assert "pool exhausted" in rc.iloc[0].evidence


def test_plain_deep_error_is_its_own_locus(store):
    bad = checkout_trace(error=True)
    add_traces(store, bad)
    top = an.root_cause(store, bad.trace_id).iloc[0]
    assert (top.service_name, top["name"], top.locus) == ("payment", "POST /charge", "error")
