"""The notebook facade in-process: grant + store + journal, against the real OpenBao and PostgreSQL."""
from __future__ import annotations

import json
import sys

import pytest

import jitbench
from jitbench import access
from jitbench.errors import ConfigError, ParameterError

from runbook_checks import lease_exists, token_accessors, token_alive

pytestmark = [pytest.mark.vault, pytest.mark.postgres]


def test_import_is_lazy():
    import subprocess
    code = "import sys, jitbench; print('jitbench.investigation' in sys.modules, 'hvac' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    assert jitbench.investigate.__module__ == "jitbench.investigation"


def test_investigation_ties_grant_store_and_journal(tmp_path, vault_user, root_client, postgres):
    logs = tmp_path / "app.jsonl"
    logs.write_text("\n".join(json.dumps({"time": f"2026-11-29T14:0{i}:00Z", "level": "error",
                                          "service": "checkout", "message": f"boom {i}"}) for i in range(3)))
    inv = jitbench.investigate("INC-8", reason="checkout 5xx", window=("2026-11-29T13:45Z", "2026-11-29T14:30Z"),
                               access="5m")
    try:
        assert inv.grant.incident == "INC-8" and 0 < inv.grant.remaining() <= 300
        assert inv.window[0].isoformat() == "2026-11-29T13:45:00+00:00"
        summary = inv.load(str(logs))
        assert summary.rows == 3
        assert inv.sql("select count(*) as n from logs").n[0] == 3
        pg = inv.lease_database("readonly")
        with pg.connect(postgres.host, postgres.port, "postgres") as conn:
            assert conn.execute("select current_setting('transaction_read_only')").fetchone()
        written = inv.export_evidence(tmp_path / "evidence")
        assert {p.name for p in written} >= {"logs.parquet", "sources.parquet"}
        assert "INC-8" in repr(inv) and pg.secret("password") not in repr(inv)
    finally:
        inv.close()
    inv.close()  # twice is harmless
    rec = access.state.read_grant(inv.grant.id)
    assert rec["state"] == "revoked" and not token_alive(root_client, rec["accessor"])
    assert not lease_exists(root_client, rec["leases"][0]["lease_id"])
    loads = [e for e in access.journal.read(grant_id=inv.grant.id) if e["event"] == "data_load"]
    assert len(loads) == 1 and loads[0]["rows"] == 3 and loads[0]["uri"].endswith("app.jsonl")
    fingerprints = list((access.state.grant_path(inv.grant.id).parents[1] / "fingerprints").glob("*.json"))
    assert fingerprints and inv.grant.id in fingerprints[0].name


@pytest.mark.parametrize("kwargs, message", [
    ({"reason": ""}, "reason is required"),
    ({"reason": "r", "window": ("2026-11-29T14:30Z", "2026-11-29T13:45Z")}, "is not after start"),
    ({"reason": "r", "window": ("yesterday", "today")}, "window start: expected an ISO 8601 time"),
])
def test_bad_arguments_open_nothing(kwargs, message, vault_user, root_client):
    before = token_accessors(root_client)
    with pytest.raises(ParameterError, match=message):
        jitbench.investigate("INC-9", **kwargs)
    assert token_accessors(root_client) == before


def test_attaching_to_another_incidents_grant_is_refused(vault_user, monkeypatch):
    grant = access.Grant.open(access.connect(), incident="INC-1", reason="runner", ttl="5m", origin="runbook")
    try:
        monkeypatch.setenv("JITBENCH_GRANT", grant.handoff_env()["JITBENCH_GRANT"])
        with pytest.raises(ConfigError, match="runs under grant .* for 'INC-1', not 'INC-2'"):
            jitbench.investigate("INC-2", reason="r")
    finally:
        grant.close()
