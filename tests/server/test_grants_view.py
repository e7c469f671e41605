"""Unit tests of what the server extension shows of a grant (no server needed)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from jitbench.errors import ConfigError
from jitbench.server import grants, starter


def test_public_view_keeps_only_allow_listed_fields():
    stored = {"id": "g-1", "incident": "INC-1", "token": "s.secret", "client_token": "s.other",
              "leases": [{"lease_id": "database/creds/ro/1", "kind": "database", "password": "pw",
                          "username": "v-user", "revocable_early": True}, "not-a-lease"]}
    view = grants.public_view(stored)
    assert view == {"id": "g-1", "incident": "INC-1",
                    "leases": [{"lease_id": "database/creds/ro/1", "kind": "database", "revocable_early": True}]}


def test_effective_state_applies_the_clock():
    now = datetime(2026, 11, 29, 14, 0, tzinfo=timezone.utc)
    past = (now - timedelta(seconds=1)).isoformat()
    future = (now + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    assert grants.effective_state({"state": "active", "expires": past}, now) == "expired"
    assert grants.effective_state({"state": "active", "expires": future}, now) == "active"
    assert grants.effective_state({"state": "revoked", "expires": future}, now) == "revoked"
    assert grants.effective_state({"state": "active", "expires": "garbage"}, now) == "active"


@pytest.mark.parametrize("bad", ["", "../g-1", "g/1", ".hidden", "g 1", "x" * 200])
def test_grant_ids_that_could_be_paths_are_refused(bad):
    with pytest.raises(ConfigError) as err:
        grants.check_grant_id(bad)
    assert "\n" not in str(err.value)


def test_list_reads_local_state_soonest_first(jitbench_home):
    from jitbench.access import state

    soon = (datetime.now(timezone.utc) + timedelta(minutes=2)).isoformat()
    later = (datetime.now(timezone.utc) + timedelta(minutes=20)).isoformat()
    for gid, expires, st in [("g-later", later, "active"), ("g-done", soon, "revoked"), ("g-soon", soon, "active")]:
        state.write_grant({"id": gid, "incident": gid, "expires": expires, "state": st, "leases": []})
    listed = grants.list_public(verify_with_vault=False)
    assert [g["id"] for g in listed] == ["g-soon", "g-later", "g-done"]


def test_builtin_starter_is_a_papermill_ready_notebook(monkeypatch, tmp_path):
    monkeypatch.setattr(starter, "template_dirs", lambda: [tmp_path])
    nb = starter.starter_notebook()
    assert nb.nbformat == 4
    assert [c.cell_type for c in nb.cells][:2] == ["markdown", "code"]
    assert "parameters" in nb.cells[1].metadata["tags"]
    with pytest.raises(ConfigError, match="no template 'nope'"):
        starter.starter_notebook("nope")


def test_templates_are_offered_and_outputs_dropped(monkeypatch, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1+1", outputs=[
        nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)], execution_count=1)])
    nb.metadata["jitbench"] = {"title": "Latency triage"}
    nbformat.write(nb, tmp_path / "latency-triage.ipynb")
    monkeypatch.setattr(starter, "template_dirs", lambda: [tmp_path])
    assert starter.list_templates() == [{"name": "latency-triage", "title": "Latency triage"}]
    made = starter.starter_notebook("latency-triage")
    assert made.cells[0].outputs == [] and made.cells[0].execution_count is None
