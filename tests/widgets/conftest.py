"""Duck-typed stand-ins for the access layer's Grant and Keeper (unit tests), and real OpenBao clients."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import hvac
import pytest

from jitbench.access import connect, login_userpass
from jitbench.access.setup import configure_dev


@pytest.fixture(scope="session")
def widget_vault(openbao, postgres):
    """OpenBao configured for jitbench (database engine on the test PostgreSQL) with a user of our own."""
    root = hvac.Client(url=openbao.addr, token=openbao.root_token)
    return configure_dev(root, postgres, user="widget-tester", token_role="widget-gateway")


@pytest.fixture
def root(openbao, widget_vault):
    return hvac.Client(url=openbao.addr, token=openbao.root_token)


@pytest.fixture
def user(widget_vault):
    """A userpass login with the jitbench on-call policy: grants are its child tokens."""
    return login_userpass(connect(widget_vault.addr), widget_vault.user, widget_vault.password)


class FakeLease:
    def __init__(self, kind, role, expires, revocable_early=True):
        self.kind, self.role, self.expires = kind, role, expires
        self.revocable_early = revocable_early
        self.state = "active"
        self.lease_id = f"database/creds/{role}/{secrets.token_hex(8)}"
        self.password = "pw-" + secrets.token_hex(12)   # must never reach the widget


class FakeGrant:
    """Has the attributes and methods the widget uses, plus secrets it must not show."""

    def __init__(self, minutes=30):
        now = datetime.now(timezone.utc)
        self.id = "g-" + secrets.token_hex(4)
        self.incident = "INC-7"
        self.reason = "checkout 5xx since 14:02"
        self.expires = now + timedelta(minutes=minutes)
        self.state = "active"
        self.renewable = True
        self.token = "hvs." + secrets.token_urlsafe(24)
        self.accessor = secrets.token_hex(12)
        self.leases = [FakeLease("database", "readonly", now + timedelta(minutes=minutes)),
                       FakeLease("identity-token", "loki-read", now + timedelta(minutes=5), False)]
        self.calls = []
        self.fail_with = None

    def held(self):
        return [self.token, self.accessor] + [lease.password for lease in self.leases]

    def renew(self, increment=None):
        self.calls.append("renew")
        if self.fail_with:
            raise self.fail_with
        self.expires += timedelta(minutes=10)

    def revoke(self):
        self.calls.append("revoke")
        if self.fail_with:
            raise self.fail_with
        self.state = "revoked"
        for lease in self.leases:
            lease.state = "revoked"


class FakeKeeper:
    def __init__(self):
        self.callbacks = []

    def subscribe(self, callback):
        self.callbacks.append(callback)
        return lambda: self.callbacks.remove(callback)

    def emit(self, event):
        for callback in list(self.callbacks):
            callback(event)


@pytest.fixture
def fake_grant():
    return FakeGrant()


@pytest.fixture
def fake_keeper():
    return FakeKeeper()
