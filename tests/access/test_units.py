"""Unit tests without a server: durations, connect conventions, error translation, journal chain, state."""
from __future__ import annotations

import json
import multiprocessing
import os
import threading
from datetime import datetime, timezone

import hvac.exceptions as hx
import pytest
import requests

from jitbench import config
from jitbench.access import connect, journal, state
from jitbench.access.client import vault_errors
from jitbench.access.durations import parse_duration
from jitbench.access.lease import Lease
from jitbench.errors import (AccessError, AuthenticationError, ConfigError, JournalError, ParameterError,
                             PermissionDenied, RoleMissing, VaultSealed, VaultUnreachable)


@pytest.mark.parametrize("text,seconds", [("15m", 900), ("1h30m", 5400), ("90s", 90), ("900", 900), (45, 45)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "soon", "-5m", 0, "15 minutes"])
def test_bad_durations_name_the_option(bad):
    with pytest.raises(ParameterError, match="ttl="):
        parse_duration(bad)


def test_connect_follows_the_vault_cli_conventions(monkeypatch, tmp_path):
    (tmp_path / "user-home").mkdir(exist_ok=True)
    (tmp_path / "user-home" / ".vault-token").write_text("s.from-file\n")
    monkeypatch.setenv("VAULT_ADDR", "https://vault.example:8200/")
    client = connect()
    assert client.url == "https://vault.example:8200" and client.token == "s.from-file"
    monkeypatch.setenv("VAULT_TOKEN", "s.from-env")
    monkeypatch.setenv("VAULT_NAMESPACE", "team-a")
    monkeypatch.setenv("VAULT_CACERT", str(tmp_path / "ca.pem"))
    client = connect()
    assert client.token == "s.from-env" and client.adapter.namespace == "team-a"
    assert client.session.verify == str(tmp_path / "ca.pem")
    monkeypatch.setenv("VAULT_SKIP_VERIFY", "true")
    assert connect().session.verify is False
    with pytest.raises(ConfigError, match="VAULT_ADDR"):
        connect("vault.example:8200")


def _raise(exc):
    with vault_errors("database/creds/readonly"):
        raise exc


@pytest.mark.parametrize("exc,kind,text", [
    (requests.exceptions.ConnectionError("refused"), VaultUnreachable, "did not answer"),
    (hx.VaultDown("Vault is sealed", errors=["Vault is sealed"]), VaultSealed, "sealed"),
    (hx.Forbidden("permission denied", errors=["permission denied"]), PermissionDenied,
     "permission denied on database/creds/readonly"),
    (hx.Unauthorized("bad", errors=["bad"]), AuthenticationError, "rejected"),
    (hx.InvalidRequest("unknown role: readonly", errors=["unknown role: readonly"]), RoleMissing, "role missing"),
    (hx.InternalServerError("boom\nmore", errors=["boom\nmore"]), AccessError, "refused database/creds/readonly"),
])
def test_hvac_errors_become_one_line_typed_errors(exc, kind, text):
    with pytest.raises(kind, match=text) as err:
        _raise(exc)
    assert "\n" not in str(err.value)


def test_journal_chain_detects_edits_and_removals():
    for n in range(5):
        journal.append("data_load", grant_id="g-1", rows=n)
    journal.verify()
    path = config.journal_path()
    lines = path.read_text().splitlines()
    assert [json.loads(l)["rows"] for l in lines] == [0, 1, 2, 3, 4]
    path.write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    with pytest.raises(JournalError, match="line 3"):
        journal.verify()
    path.write_text("\n".join(lines[:1] + [lines[1].replace('"rows":1', '"rows":9')] + lines[2:]) + "\n")
    with pytest.raises(JournalError, match="line 3"):
        journal.verify()


def _append_many(home: str, n: int) -> None:
    os.environ["JITBENCH_HOME"] = home
    for i in range(n):
        journal.append("data_load", grant_id=f"g-{os.getpid()}", rows=i)


def test_several_processes_append_without_breaking_the_chain(jitbench_home):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(str(jitbench_home), 20)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert len(journal.read()) == 60
    journal.verify()


def test_concurrent_state_updates_keep_every_lease():
    state.write_grant({"id": "g-x", "state": "active", "leases": []})

    def add(n):
        state.update_grant("g-x", lambda d: d["leases"].append({"lease_id": f"l{n}"}))
    threads = [threading.Thread(target=add, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(l["lease_id"] for l in state.read_grant("g-x")["leases"]) == sorted(f"l{n}" for n in range(20))
    assert [p.name for p in config.grants_dir().iterdir() if p.name.startswith(".tmp")] == []
    with pytest.raises(AccessError, match="no grant g-y"):
        state.read_grant("g-y")
    with pytest.raises(ConfigError):
        state.read_grant("../etc/passwd")


def test_a_lease_shows_no_value_and_refuses_pickling():
    lease = Lease(kind="database", path="database/creds/ro", role="ro", lease_id="database/creds/ro/abc",
                  issued=datetime.now(timezone.utc), expires=None, renewable=True, revocable_early=True,
                  data={"username": "v-user-123", "password": "p4ss-w0rd-xyz"}, grant_id="g-1")
    import pickle
    for text in (repr(lease), str(lease), json.dumps(lease.to_state())):
        assert "p4ss-w0rd-xyz" not in text and "v-user-123" not in text
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(lease)
    assert lease.secret("password") == "p4ss-w0rd-xyz"
    assert "p4ss-w0rd-xyz" not in lease.dsn("db", 5432, "x").split("@")[1]
    with pytest.raises(ParameterError, match="no value 'token'"):
        lease.secret("token")


def test_no_token_at_all_is_said_before_any_call():
    from jitbench.access import Grant
    from jitbench.errors import AuthenticationError
    with pytest.raises(AuthenticationError, match="no Vault token"):
        Grant.open(connect("http://127.0.0.1:1"), incident="INC-1", reason="r", ttl="1m")


class _FakeSys:
    def __init__(self, gone_after: int | None):
        self.calls, self.gone_after = 0, gone_after

    def read_lease(self, lease_id):
        self.calls += 1
        if self.gone_after is not None and self.calls > self.gone_after:
            raise hx.InvalidRequest("invalid lease", errors=["invalid lease"])
        return {"data": {"id": lease_id}}


class _FakeClient:
    url = "http://fake"

    def __init__(self, gone_after):
        self.sys = _FakeSys(gone_after)


def test_revocation_is_reported_only_once_lookups_fail():
    from jitbench.access.revocation import confirm_gone
    from jitbench.errors import RevocationUnconfirmed
    client = _FakeClient(gone_after=3)
    confirm_gone(client, ["database/creds/ro/a"], wait=5)
    assert client.sys.calls == 4                       # kept asking until Vault said the lease is gone
    with pytest.raises(RevocationUnconfirmed, match="1 lease\\(s\\) still exist"):
        confirm_gone(_FakeClient(gone_after=None), ["database/creds/ro/b"], wait=0.2)
