"""Logs joined to spans, and drain3 templates that are new in the incident window."""
from __future__ import annotations

import pandas as pd
import pytest

from jitbench import analysis as an
from jitbench.errors import ParameterError

from analysis_builders import BASELINE, INCIDENT, T0, add_traces, checkout_trace, incident_scenario, insert, log


def test_logs_join_by_span_id_by_trace_id_and_by_time_within_tolerance(store):
    b = checkout_trace(error=True)
    add_traces(store, b)
    srv, pay = b.rows[2], b.rows[5]
    insert(store, "logs", [
        log(srv["start_time"] + pd.Timedelta("1ms"), "checkout started", trace_id=b.trace_id, span_id=srv["span_id"]),
        log(pay["start_time"] + pd.Timedelta("2ms"), "card declined", service="payment", trace_id=b.trace_id),
        log(pay["end_time"] + pd.Timedelta("400ms"), "retry budget exhausted", service="payment"),   # clock skew
        log(pay["end_time"] + pd.Timedelta("5s"), "unrelated later line", service="payment"),
        log(srv["start_time"], "another trace", trace_id="ab" * 16, span_id="cd" * 8),
    ])
    joined = an.logs_for_spans(store, b.trace_id).set_index("body")
    assert joined.loc["checkout started", "match"] == "span" and joined.loc["checkout started", "span_name"] == "POST /checkout"
    assert joined.loc["card declined", "match"] == "trace" and joined.loc["card declined", "span_name"] == "POST /charge"
    assert joined.loc["retry budget exhausted", "match"] == "time"
    assert joined.loc["retry budget exhausted", "shift_ms"] == pytest.approx(400.0)
    assert "unrelated later line" not in joined.index and "another trace" not in joined.index
    tight = an.logs_for_spans(store, b.trace_id, tolerance="100ms")
    assert "retry budget exhausted" not in set(tight.body)
    # default selection: the failing spans only (payment and checkout server spans)
    failing = an.logs_for_spans(store)
    assert set(failing.span_name) == {"POST /checkout", "POST /charge"}


def test_a_new_log_template_appears_only_in_the_window(store):
    incident_scenario(store)
    new = an.new_log_templates(store, INCIDENT, baseline=BASELINE)
    assert list(new.status) == ["new"]
    row = new.iloc[0]
    assert row.template.startswith("pool exhausted: waited <*> ms for a connection to <*>")
    assert row.window_count == 30 and row.baseline_count == 0
    assert row.first_seen >= pd.Timestamp("2026-11-29 14:00")
    # the recurring lines collapse into one template each, across their variable parts
    allt = an.log_templates(store)
    assert len(allt) == 3
    assert allt.set_index("template")["count"].sum() == 360 * 2 + 30
    base_only = an.new_log_templates(store, BASELINE, baseline=("2026-11-29T12:00Z", "2026-11-29T13:00Z"))
    assert "pool exhausted" not in " ".join(base_only.template)


def test_a_surge_is_reported_with_its_rate_ratio(store):
    rows = [log(T0 - pd.Timedelta(minutes=m), f"slow query {m} ms") for m in range(1, 61)]
    rows += [log(T0 + pd.Timedelta(seconds=10 * s), f"slow query {s} ms") for s in range(60)]  # 6x the rate
    rows += [log(T0 + pd.Timedelta(seconds=s), f"heartbeat {s}") for s in range(0, 600, 60)]
    rows += [log(T0 - pd.Timedelta(seconds=s), f"heartbeat {s}") for s in range(60, 3600, 60)]
    insert(store, "logs", rows)
    out = an.new_log_templates(store, ("2026-11-29T14:00Z", "2026-11-29T14:10Z"), surge=3)
    assert list(out.template) == ["slow query <*> ms"] and out.status[0] == "surged"
    assert out.ratio[0] == pytest.approx(6.0, rel=0.05)


def test_template_errors_are_one_line(store):
    with pytest.raises(ParameterError, match="needs a window"):
        an.new_log_templates(store, None)
    with pytest.raises(ParameterError, match="tolerance 'soon' is not a duration"):
        an.logs_for_spans(store, tolerance="soon")
