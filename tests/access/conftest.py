"""Access tests run against the session's real OpenBao and PostgreSQL, configured once by configure_dev."""
from __future__ import annotations

import hvac
import pytest

from jitbench.access import connect, login_userpass
from jitbench.access.setup import configure_dev

USER = "access-tester"  # a user of our own: other parts may re-run configure_dev with theirs
TOKEN_ROLE = "access-gateway"


@pytest.fixture(scope="session")
def dev(openbao, postgres):
    """The OpenBao dev server configured for jitbench (database engine, userpass, identity key)."""
    root = hvac.Client(url=openbao.addr, token=openbao.root_token)
    return configure_dev(root, postgres, user=USER, token_role=TOKEN_ROLE, token_ttl="20s")


@pytest.fixture
def root(openbao, dev):
    return hvac.Client(url=openbao.addr, token=openbao.root_token)


@pytest.fixture
def user(dev):
    """A client logged in by userpass (so its tokens carry an entity), with the jitbench-oncall policy."""
    return login_userpass(connect(dev.addr), dev.user, dev.password)
