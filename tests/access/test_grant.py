"""Grants and database leases against the real OpenBao and PostgreSQL."""
from __future__ import annotations

import json
import os
import stat
import time

import psycopg
import pytest

from jitbench import config
from jitbench.access import Grant, journal, state
from jitbench.errors import (GrantRevoked, JournalError, ParameterError, RoleMissing, WindowTooLong)

from access_checks import Creds, can_login, db_leases, token_accessors


def test_leased_credentials_log_in_and_stop_working_when_the_grant_is_revoked(user, postgres, root):
    grant = Grant.open(user, incident="INC-1", reason="checkout 5xx", ttl="5m")
    lease = grant.lease_database("readonly")
    assert can_login(postgres, lease)
    creds = Creds(lease.secret("username"), lease.secret("password"))
    early = lease.connect(postgres.host, postgres.port)
    # a raw session jitbench does not know about: only the revocation statements can end it
    raw = psycopg.connect(host=postgres.host, port=postgres.port, dbname="postgres",
                          user=creds.user, password=creds.password)
    assert raw.execute("select count(*) from pg_roles").fetchone()[0] > 0
    meta = root.auth.token.lookup_accessor(grant.accessor)["data"]["meta"]
    assert meta == {"incident": "INC-1", "reason": "checkout 5xx", "user": "access-tester", "tool": "jitbench"}

    grant.revoke()

    assert grant.state == "revoked" and lease.state == "revoked"
    assert lease.lease_id not in db_leases(root)           # confirmed gone when revoke() returned
    assert not can_login(postgres, creds)
    assert early.closed
    with pytest.raises(psycopg.OperationalError):
        raw.execute("select 1")
    with pytest.raises(GrantRevoked):
        grant.lease_database("readonly")
    rec = state.read_grant(grant.id)
    assert rec["state"] == "revoked" and rec["leases"][0]["state"] == "revoked"
    assert [e["event"] for e in journal.read(grant.id)] == ["grant", "lease", "revoke"]
    journal.verify()


@pytest.mark.parametrize("missing", ["incident", "reason"])
def test_missing_incident_or_reason_creates_nothing_in_vault(user, root, missing):
    before_tokens, before_leases = token_accessors(root), db_leases(root)
    kwargs = {"incident": "INC-2", "reason": "why", "ttl": "5m", missing: "  "}
    with pytest.raises(ParameterError, match=f"{missing} is required"):
        Grant.open(user, **kwargs)
    kwargs.pop(missing)
    with pytest.raises(ParameterError, match=f"{missing} is required"):
        Grant.open(user, **kwargs)
    assert token_accessors(root) == before_tokens
    assert db_leases(root) == before_leases
    assert not config.journal_path().exists() and state.list_grants() == []


def test_a_window_longer_than_the_users_token_is_an_error_not_a_cap(user, root):
    before = token_accessors(root)
    with pytest.raises(WindowTooLong, match="outlive your own token"):
        Grant.open(user, incident="INC-3", reason="long", ttl="9h")       # userpass tokens live 8h
    with pytest.raises(WindowTooLong, match="at most 768h"):
        Grant.open(root, incident="INC-3", reason="longer than the system max", ttl="1000h")
    assert token_accessors(root) == before


def test_the_journal_fails_closed(user, root):
    config.home().mkdir(parents=True, exist_ok=True)
    config.journal_path().mkdir()                       # a directory where the journal file should be
    before = token_accessors(root)
    with pytest.raises(JournalError, match="journal"):
        Grant.open(user, incident="INC-4", reason="no journal", ttl="5m")
    assert token_accessors(root) == before


def test_no_lease_is_issued_when_the_journal_breaks_mid_grant(user, root):
    grant = Grant.open(user, incident="INC-4", reason="journal breaks later", ttl="5m")
    path = config.journal_path()
    path.rename(path.with_suffix(".bak"))
    path.mkdir()
    before = db_leases(root)
    with pytest.raises(JournalError):
        grant.lease_database("readonly")
    assert db_leases(root) == before and grant.leases == []
    path.rmdir()
    path.with_suffix(".bak").rename(path)
    grant.revoke()


def test_renew_extends_leases_inside_the_window_and_never_beyond(user, root, postgres):
    root.secrets.database.create_role(name="access-short", db_name="jitbench-postgres", mount_point="database",
                                      creation_statements=["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD "
                                                           "'{{password}}' VALID UNTIL '{{expiration}}';"],
                                      revocation_statements=["DROP ROLE IF EXISTS \"{{name}}\";"],
                                      default_ttl="4s", max_ttl="1h")
    grant = Grant.open(user, incident="INC-5", reason="renew", ttl="20s", max_ttl="40s")
    lease = grant.lease_database("access-short")
    first = lease.expires
    assert lease.remaining() < 6
    grant.renew("30s")
    assert lease.expires > first
    assert grant.expires <= grant.max_expires and lease.expires <= grant.expires
    server_ttl = root.sys.read_lease(lease.lease_id)["data"]["ttl"]
    assert 20 < server_ttl <= 31 and (grant.expires - grant.issued).total_seconds() <= 41
    grant.renew("10m")                                   # asks for far more than the window allows
    assert abs((grant.expires - grant.max_expires).total_seconds()) <= 1
    assert root.auth.token.lookup_accessor(grant.accessor)["data"]["ttl"] <= 40
    assert root.sys.read_lease(lease.lease_id)["data"]["ttl"] <= grant.remaining() + 1
    assert [e["event"] for e in journal.read(grant.id)].count("renew") == 2
    grant.revoke()


def test_an_unknown_role_is_role_missing(user):
    with Grant.open(user, incident="INC-6", reason="typo", ttl="1m") as grant:
        with pytest.raises(RoleMissing, match="database/creds/no-such-role"):
            grant.lease_database("no-such-role")


def test_cli_grants_keep_a_0600_token_file_deleted_at_revoke(user):
    grant = Grant.open(user, incident="INC-7", reason="cli", ttl="1m", origin="cli")
    path = state.token_path(grant.id)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(state.grant_path(grant.id).read_text())["origin"] == "cli"
    grant.revoke()
    assert not path.exists()


def test_revoke_returns_quickly_even_with_a_session_open(user, postgres):
    grant = Grant.open(user, incident="INC-8", reason="timing", ttl="1m")
    lease = grant.lease_database("readonly")
    lease.connect(postgres.host, postgres.port)
    t0 = time.monotonic()
    grant.revoke(wait=10)
    # not a timing assertion on speed, only that the bounded wait was not exhausted
    assert time.monotonic() - t0 < 10


def test_permission_denied_names_the_path_and_the_policies(user):
    from jitbench.errors import PermissionDenied
    with Grant.open(user, incident="INC-9", reason="forbidden path", ttl="1m") as grant:
        with pytest.raises(PermissionDenied) as err:
            grant.read("secret/data/payments/db")
    text = str(err.value)
    assert "secret/data/payments/db" in text and "jitbench-oncall" in text and len(text.splitlines()) == 1


def test_a_sealed_or_absent_vault_is_a_one_line_error():
    from jitbench.access import connect
    from jitbench.dev import DevOpenBao, free_port
    from jitbench.errors import VaultSealed, VaultUnreachable
    with DevOpenBao() as bao:
        root = connect(bao.addr, bao.root_token)
        root.sys.seal()
        with pytest.raises(VaultSealed, match="sealed") as err:
            Grant.open(root, incident="INC-10", reason="sealed", ttl="1m")
        assert "bao operator unseal" in str(err.value) and len(str(err.value).splitlines()) == 1
    with pytest.raises(VaultUnreachable, match="did not answer"):
        Grant.open(connect(f"http://127.0.0.1:{free_port()}", "s.nothing"), incident="INC-10", reason="down", ttl="1m")


def test_a_generic_read_of_a_leased_path_is_revoked_with_the_grant(user, root):
    grant = Grant.open(user, incident="INC-11", reason="generic", ttl="1m")
    lease = grant.read("database/creds/readonly")     # how cloud engines (AWS STS...) are reached
    assert lease.kind == "generic" and lease.revocable_early and not lease.static
    assert lease.lease_id in db_leases(root) and lease.expires <= grant.expires
    assert set(lease.secrets()) == {"username", "password"}
    grant.revoke()
    assert lease.lease_id not in db_leases(root)
