"""Each shipped template runs end to end and publishes a bundle whose report has its figures.

Real OpenBao and PostgreSQL (the database check leases read-only credentials),
generated incident telemetry (jitbench.demo), a real kernel per template.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest

from jitbench import access
from jitbench.runbooks import RunResult, run

pytestmark = [pytest.mark.vault, pytest.mark.postgres, pytest.mark.slow]

SHOP_DB = "jitbench_runbooks"


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def incident(tmp_path_factory, postgres):
    """A small generated incident (traces, logs) and its shop database in a database of our own."""
    from jitbench.demo.generate import generate
    from jitbench.demo.shop import seed

    inc = generate(tmp_path_factory.mktemp("incident"), traces_per_minute=4, baseline_minutes=10,
                   incident_minutes=10)
    with psycopg.connect(postgres.dsn(), autocommit=True) as con:
        if not con.execute("select 1 from pg_database where datname = %s", [SHOP_DB]).fetchone():
            con.execute(f"create database {SHOP_DB}")
    seed(postgres.dsn(SHOP_DB), inc, customers=50, orders_per_minute=3)
    return inc


def _params(inc, **extra) -> dict:
    return {"incident_id": "INC-7", "reason": "checkout 5xx since the payment rollout",
            "start": _iso(inc.window[0]), "end": _iso(inc.window[1]), **extra}


def _slowest_trace(inc) -> str:
    from jitbench.analysis import worst_traces
    from jitbench.store import Store

    store = Store()
    store.load(str(inc.traces_path))
    tid = worst_traces(store, "duration", window=inc.window, limit=1).trace_id.iloc[0]
    store.close()
    return tid


def _check_bundle(result, min_figures: int = 1) -> dict:
    manifest = json.loads((result.bundle / "manifest.json").read_text())
    assert manifest["outcome"]["status"] == "ok"
    assert manifest["report"]["figures"] >= min_figures
    html = (result.bundle / "report.html").read_text()
    # nothing fetched from elsewhere: no external script or stylesheet
    assert not re.findall(r"<(?:script|link)[^>]+(?:src|href)=\"https?://", html)
    assert html.count("Plotly.newPlot(") == manifest["report"]["figures"]
    assert html.count("plotly.js v") <= 2  # the library's banner comment, embedded once
    assert "jitbench-grant-static" in html  # the grant widget's static card stands in for the live widget
    for name, info in manifest["files"].items():
        assert (result.bundle / name).stat().st_size == info["bytes"]
    assert access.state.read_grant(result.grant_id)["state"] == "revoked"
    return manifest


@pytest.mark.parametrize("template", ["latency-spike", "error-burst", "trace-deep-dive", "postmortem-summary"])
def test_telemetry_templates(template, incident, tmp_path, vault_user):
    extra = {"traces": str(incident.traces_path)}
    if template in ("error-burst", "postmortem-summary"):
        extra["logs"] = str(incident.logs_path)
    if template == "trace-deep-dive":
        extra["trace_id"] = _slowest_trace(incident)
    if template == "postmortem-summary":
        extra["baseline_start"], extra["baseline_end"] = map(_iso, incident.baseline)
    if template == "error-burst":  # through the command line, as an on-call engineer would
        from click.testing import CliRunner
        from jitbench.cli import main

        params = _params(incident, **extra)
        window_file = tmp_path / "window.yaml"  # some parameters from a file, the rest from -p
        window_file.write_text(f"start: '{params.pop('start')}'\nend: '{params.pop('end')}'\n")
        args = [a for k, v in params.items() for a in ("-p", k, v)]
        invoked = CliRunner().invoke(main, ["run", template, *args, "-f", str(window_file),
                                            "--out", str(tmp_path / "out"), "--no-progress"])
        assert invoked.exit_code == 0, invoked.output
        bundle = Path(invoked.output.split("ok: ")[1].split(" (grant ")[0])
        grant_id = invoked.output.split("(grant ")[1].split()[0]
        result = RunResult(bundle, "ok", grant_id)
    else:
        result = run(template, _params(incident, **extra), out=tmp_path / "out", progress=False)
    manifest = _check_bundle(result)
    assert result.bundle.parent.name == "INC-7" and result.bundle.name.startswith(template + "-")
    assert manifest["evidence"], "evidence extracts missing"
    assert "evidence/spans.parquet" in manifest["evidence"]
    if template == "latency-spike":
        # the report opens offline in a real browser and draws every figure
        from runbook_checks import render_offline
        seen = render_offline(result.bundle / "report.html")
        assert seen["figures"] == manifest["report"]["figures"] >= 2
        assert seen["svg"] >= seen["figures"]
        assert seen["blocked"] == [] and seen["errors"] == []


def test_database_check_template(incident, tmp_path, vault_user, root_client, postgres):
    result = run("db-check", _params(incident, db_port=str(postgres.port), db_name=SHOP_DB),
                 out=tmp_path / "out", progress=False)
    _check_bundle(result)
    nb = (result.bundle / "db-check.ipynb").read_text()
    assert "orders stuck in pending_payment" in nb
    rec = access.state.read_grant(result.grant_id)
    [lease] = [l for l in rec["leases"] if l["kind"] == "database"]
    from runbook_checks import lease_exists
    assert not lease_exists(root_client, lease["lease_id"])
