"""Logins other than userpass against the real OpenBao: token, AppRole, and JWT (issued by OpenBao's own OIDC)."""
from __future__ import annotations

import pytest

from jitbench.access import Grant, connect, login_approle, login_jwt
from jitbench.errors import AuthenticationError


def _enable(root, kind: str, path: str) -> None:
    if f"{path}/" not in root.sys.list_auth_methods()["data"]:
        root.sys.enable_auth_method(kind, path=path)


def test_token_from_the_environment_opens_a_grant(user, monkeypatch):
    monkeypatch.setenv("VAULT_ADDR", user.url)
    monkeypatch.setenv("VAULT_TOKEN", user.token)
    with Grant.open(connect(), incident="INC-70", reason="env token", ttl="1m") as grant:
        assert grant.user == "access-tester"


def test_approle_login_for_unattended_runbooks(root, dev):
    _enable(root, "approle", "approle")
    root.write("auth/approle/role/access-runbook", token_policies=[dev.policy], token_ttl="10m")
    role_id = root.read("auth/approle/role/access-runbook/role-id")["data"]["role_id"]
    secret_id = root.write("auth/approle/role/access-runbook/secret-id")["data"]["secret_id"]
    client = login_approle(connect(dev.addr), role_id, secret_id)
    with Grant.open(client, incident="INC-71", reason="runbook", ttl="1m", origin="runbook") as grant:
        assert grant.lease_database("readonly").state == "active"
    with pytest.raises(AuthenticationError, match="auth/approle/login"):
        login_approle(connect(dev.addr), role_id, "wrong-secret-id")


def test_jwt_login_with_a_token_from_an_oidc_issuer(root, user, dev):
    # OpenBao's identity tokens stand in for a hub's JWTs: same discovery document, same signatures
    with Grant.open(user, incident="INC-72", reason="get a hub token", ttl="1m") as grant:
        hub = grant.lease_token(dev.token_role)
        jwt_text, audience = hub.secret("token"), hub.secret("client_id")
        _enable(root, "jwt", "jwt")
        root.write("auth/jwt/config", oidc_discovery_url=f"{dev.addr}/v1/identity/oidc")
        root.write("auth/jwt/role/access-hub", role_type="jwt", user_claim="sub", bound_audiences=[audience],
                   token_policies=[dev.policy], token_ttl="10m")
        client = login_jwt(connect(dev.addr), "access-hub", jwt_text)
        assert dev.policy in client.auth.token.lookup_self()["data"]["policies"]
    with pytest.raises(AuthenticationError, match="auth/jwt/login") as err:
        login_jwt(connect(dev.addr), "access-hub", jwt_text[:-6] + "AAAAAA")
    assert "\n" not in str(err.value)
