"""Incident vs baseline on a scenario with a known answer: checkout 1.5.0 in eu-west-1."""
from __future__ import annotations

import pandas as pd
import pytest

from jitbench import analysis as an
from jitbench.errors import ParameterError, StoreError
from jitbench.store import Store

from analysis_builders import BASELINE, INCIDENT, incident_scenario


@pytest.fixture(scope="module")
def incident():
    """One scenario store for the module: the analysis only reads it."""
    store = Store()
    incident_scenario(store)
    yield store
    store.close()


def test_bad_version_in_one_region_tops_the_baseline_comparison(incident):
    ranked = an.compare(incident, baseline=BASELINE, window=INCIDENT)
    top = ranked.iloc[0]
    assert (top.key, top.value) == ("service.version", "1.5.0")
    assert top.baseline == 0 and top.lift == float("inf") and top.score > 0
    # within the incident window, failing spans vs the rest: the version and the region explain them
    failing = an.compare(incident, window=INCIDENT, selection="errors")
    first_two = set(zip(failing.key[:3], failing.value[:3]))
    assert ("service.version", "1.5.0") in first_two
    assert failing.set_index(["key", "value"]).loc[("cloud.region", "eu-west-1"), "selected_pct"] == 100.0
    # the same with only the keys asked for (the fast path) ranks the same way
    keyed = an.compare(incident, baseline=BASELINE, keys=["service.version", "cloud.region", "http.route"])
    assert (keyed.key[0], keyed.value[0]) == ("service.version", "1.5.0")
    slow = an.compare(incident, BASELINE, window=INCIDENT, selection="slow", keys=["cloud.region", "k8s.pod.name"])
    assert (slow.key[0], slow.value[0]) == ("cloud.region", "eu-west-1")


def test_compare_rejects_a_missing_baseline_and_bad_sql_in_one_line(incident):
    with pytest.raises(ParameterError, match="needs a baseline window or a selection"):
        an.compare(incident)
    with pytest.raises(StoreError) as err:
        an.compare(incident, selection="no_such_column > 1")
    assert "\n" not in str(err.value)
    with pytest.raises(ParameterError, match="needs the incident window"):
        an.first_signals(incident, None)


def test_timeline_shows_the_latency_and_errors_of_the_incident(incident):
    tl = an.timeline(incident, "operation", bucket="10min")
    co = tl[(tl.service_name == "checkout") & (tl["name"] == "POST /checkout")].set_index("bucket")
    before, during = co.loc[pd.Timestamp("2026-11-29 13:30")], co.loc[pd.Timestamp("2026-11-29 14:10")]
    assert before.requests == 40 and before.errors == 0 and before.p99_ms < 100
    assert during.requests == 40 and during.errors == 5 and during.p99_ms > 900
    assert during.rate_per_s == pytest.approx(40 / 600)
    auto = an.timeline(incident)
    assert auto.bucket.nunique() <= 120 and set(auto.service_name) == {"frontend", "checkout", "cart", "payment"}


def test_first_signals_name_the_deploy_the_breach_and_the_errors(incident):
    sig = an.first_signals(incident, INCIDENT, baseline=BASELINE)
    checkout = sig[sig.service_name == "checkout"].set_index("signal")
    assert set(checkout.index) == {"version change", "latency breach", "first error"}
    assert "1.5.0 first seen (baseline: 1.4.0)" in checkout.loc["version change", "detail"]
    assert checkout.loc["version change", "time"] <= checkout.loc["latency breach", "time"]
    assert checkout.loc["first error", "time"] < pd.Timestamp("2026-11-29 14:01")
    assert "POST /checkout" in checkout.loc["latency breach", "detail"]
    assert "cart" not in set(sig.service_name)     # healthy services raise nothing


def test_service_map_counts_calls_errors_and_the_database(incident):
    edges = an.service_map(incident).set_index(["caller", "callee"])
    assert edges.loc[("frontend", "checkout"), "calls"] == 360
    assert edges.loc[("checkout", "payment"), "errors"] == 15
    db = edges.loc[("checkout", "postgresql")]
    assert db.callee_kind == "external" and db.p95_ms == pytest.approx(900.0)
    window_only = an.service_map(incident, window=INCIDENT).set_index(["caller", "callee"])
    assert window_only.loc[("frontend", "checkout"), "calls"] == 120


def test_worst_failing_traces_are_the_eu_west_checkouts(incident):
    worst = an.worst_traces(incident, "errors", limit=50)
    assert len(worst) == 15 and (worst.errors == 2).all()
    slow = an.worst_traces(incident, window=INCIDENT, service="payment", limit=30)
    assert len(slow) == 30 and slow.duration_ms.iloc[0] > 900


def test_compare_works_on_logs_too(incident):
    ranked = an.compare(incident, baseline=BASELINE, window=INCIDENT, table="logs")
    assert (ranked.key[0], ranked.value[0]) == ("severity", "ERROR")
    assert ranked.selected[0] == 30 and ranked.baseline[0] == 0


def test_analysis_is_pure_no_vault_no_files(tmp_path, monkeypatch, jitbench_home):
    import subprocess
    import sys
    code = ("import sys, jitbench.analysis, jitbench.plots; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('hvac', 'requests')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "[]"
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    store = Store()
    incident_scenario(store)
    an.first_signals(store, INCIDENT)
    an.new_log_templates(store, INCIDENT)
    an.root_cause(store, an.worst_traces(store, "errors").trace_id[0])
    assert list(work.iterdir()) == [] and not jitbench_home.exists()
