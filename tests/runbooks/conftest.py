"""Fixtures for runbook tests: a configured OpenBao + PostgreSQL, a logged-in user, notebook builders."""
from __future__ import annotations

import hvac
import pytest

RUNBOOK_USER = "runbook-oncall"  # our own userpass user: other parts may reconfigure theirs


@pytest.fixture(scope="session")
def dev_access(openbao, postgres):
    """The dev server configured for jitbench (database engine, read-only role, userpass user)."""
    from jitbench.access import setup

    root = hvac.Client(url=openbao.addr, token=openbao.root_token)
    return setup.configure_dev(root, postgres, user=RUNBOOK_USER)


@pytest.fixture
def root_client(openbao):
    return hvac.Client(url=openbao.addr, token=openbao.root_token)


@pytest.fixture
def vault_user(dev_access, monkeypatch):
    """VAULT_ADDR/VAULT_TOKEN of a logged-in on-call user (what `jitbench run` reads)."""
    from jitbench import access

    client = access.login_userpass(access.connect(dev_access.addr, token=""), dev_access.user, dev_access.password)
    monkeypatch.setenv("VAULT_ADDR", dev_access.addr)
    monkeypatch.setenv("VAULT_TOKEN", client.token)
    return client
