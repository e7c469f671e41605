"""The keeper against the real OpenBao: outages, external revokes, near-expiry, expiry, lease renewal."""
from __future__ import annotations

import threading
import time

import pytest

from jitbench.access import Grant, Keeper, connect, journal, login_userpass, revoke_grant, state
from jitbench.errors import VaultUnreachable

from tcp_proxy import CuttableProxy


class Events:
    """Collects keeper events; wait_for() blocks until one of a type arrives."""

    def __init__(self):
        self.seen: list[dict] = []
        self._cond = threading.Condition()

    def __call__(self, event: dict) -> None:
        with self._cond:
            self.seen.append(event)
            self._cond.notify_all()

    def types(self) -> list[str]:
        return [e["type"] for e in self.seen]

    def wait_for(self, kind: str, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for e in self.seen:
                    if e["type"] == kind:
                        return e
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"no {kind!r} event within {timeout} s; saw {self.types()}")
                self._cond.wait(left)


def test_vault_stopped_mid_session_is_a_clear_error_and_the_keeper_recovers(openbao, dev):
    proxy = CuttableProxy(openbao.port)
    try:
        client = login_userpass(connect(proxy.addr), dev.user, dev.password)
        grant = Grant.open(client, incident="INC-40", reason="outage", ttl="2m")
        events = Events()
        keeper = Keeper(grant, interval=0.3, revoke_on_exit=False)
        keeper.subscribe(events)
        keeper.start()
        proxy.cut()
        with pytest.raises(VaultUnreachable, match=f"Vault at {proxy.addr} did not answer") as err:
            grant.lease_database("readonly")
        assert len(str(err.value).splitlines()) == 1
        error = events.wait_for("error")
        assert error["error_type"] == "VaultUnreachable"
        time.sleep(1)
        assert keeper._thread.is_alive()
        proxy.restore()
        events.wait_for("recovered")
        lease = grant.lease_database("readonly")           # usable again
        assert lease.state == "active"
        keeper.close()
        assert grant.state == "revoked" and events.types()[-1] == "revoked"
    finally:
        proxy.close()


def test_a_revoke_from_outside_is_noticed_and_closes_connections(user, postgres):
    grant = Grant.open(user, incident="INC-41", reason="revoked elsewhere", ttl="2m")
    conn = grant.lease_database("readonly").connect(postgres.host, postgres.port)
    events = Events()
    keeper = Keeper(grant, interval=60, revoke_on_exit=False)
    keeper.subscribe(events)
    revoke_grant(grant.id, client=user)                 # what `jitbench access revoke` and the lab panel do
    keeper.tick()
    assert events.types() == ["external_revoke"]
    assert grant.state == "revoked" and conn.closed
    assert state.read_grant(grant.id)["state"] == "revoked"


def test_near_expiry_then_expired_events(user):
    grant = Grant.open(user, incident="INC-42", reason="short", ttl="5s")
    events = Events()
    keeper = Keeper(grant, interval=0.25, near_expiry=3.5, revoke_on_exit=False)
    keeper.subscribe(events)
    keeper.start()
    events.wait_for("expired", timeout=15)
    assert events.types().index("near_expiry") < events.types().index("expired")
    assert state.read_grant(grant.id)["state"] == "expired"
    assert journal.read(grant.id)[-1]["event"] == "expire"
    keeper.stop()


def test_keeper_renews_short_leases_up_to_the_grant_end_only(user, root):
    root.secrets.database.create_role(name="access-short", db_name="jitbench-postgres", mount_point="database",
                                      creation_statements=["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD "
                                                           "'{{password}}' VALID UNTIL '{{expiration}}';"],
                                      revocation_statements=["DROP ROLE IF EXISTS \"{{name}}\";"],
                                      default_ttl="3s", max_ttl="1h")
    grant = Grant.open(user, incident="INC-43", reason="keep alive", ttl="15s")
    lease = grant.lease_database("access-short")
    events = Events()
    with Keeper(grant, interval=0.5) as keeper:
        keeper.subscribe(events)
        events.wait_for("renewed", timeout=10)
        assert lease.expires <= grant.expires
        assert root.sys.read_lease(lease.lease_id)["data"]["ttl"] <= grant.remaining() + 1
    assert grant.state == "revoked"
