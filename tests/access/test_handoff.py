"""A grant handed to another process (a papermill kernel) through JITBENCH_GRANT, and revoked by id."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jitbench.access import Grant, attach, journal, renew_grant, revoke_grant, state
from jitbench.errors import AccessError, ConfigError, GrantRevoked

from access_checks import Creds, can_login, db_leases

KERNEL = """
import json, sys
from jitbench.access import attach
g = attach()                       # JITBENCH_GRANT from the environment
lease = g.lease_database("readonly")
json.dump({"lease_id": lease.lease_id, "user": lease.secret("username"), "password": lease.secret("password")},
          open(sys.argv[1], "w"))
g.close()                          # revokes only what this process took
json.dump({"lease_id": lease.lease_id, "state": g.state}, open(sys.argv[2], "w"))
"""


def test_a_child_process_attaches_through_the_env_and_takes_leases_under_the_grant(user, root, postgres, tmp_path):
    import json
    grant = Grant.open(user, incident="INC-60", reason="runbook", ttl="2m", origin="runbook")
    env = dict(os.environ, **grant.handoff_env())
    assert env["JITBENCH_GRANT"] == grant.id and grant._token not in env.values()
    creds, after = tmp_path / "creds.json", tmp_path / "after.json"
    done = subprocess.run([sys.executable, "-c", KERNEL, str(creds), str(after)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    taken = json.loads(creds.read_text())
    assert json.loads(after.read_text())["state"] == "active"       # the grant stays the runner's
    assert taken["lease_id"] not in db_leases(root)                  # the kernel's own lease is gone
    creds = Creds(taken.pop("user"), taken.pop("password"))
    assert not can_login(postgres, creds)
    assert grant.state == "active" and grant.lease_database("readonly").state == "active"
    assert taken["lease_id"] in {rec["lease_id"] for rec in state.read_grant(grant.id)["leases"]}
    assert "attach" in [e["event"] for e in journal.read(grant.id)]
    grant.revoke()
    assert state.load_token(grant.id) is None
    with pytest.raises(GrantRevoked):
        attach(grant.id)


def test_attach_needs_a_grant_and_a_token_file(user, monkeypatch):
    with pytest.raises(ConfigError, match="JITBENCH_GRANT is not set"):
        attach()
    with Grant.open(user, incident="INC-61", reason="kernel grant", ttl="1m") as grant:
        with pytest.raises(AccessError, match="keeps no token file"):
            attach(grant.id)


def test_renew_and_revoke_by_id_with_the_users_token_only(user, root):
    grant = Grant.open(user, incident="INC-62", reason="lab panel", ttl="30s", max_ttl="2m")
    lease = grant.lease_database("readonly")
    before = state.read_grant(grant.id)["expires"]
    rec = renew_grant(grant.id, client=user)                         # no token file: renewed by accessor
    assert rec["expires"] > before
    assert 60 < root.auth.token.lookup_accessor(grant.accessor)["data"]["ttl"] <= 120
    revoke_grant(grant.id, client=user)
    assert lease.lease_id not in db_leases(root)
    assert state.read_grant(grant.id)["state"] == "revoked"
    revoke_grant(grant.id, client=user)                              # twice is harmless
