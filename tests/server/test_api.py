"""The /jitbench/ REST API against a real Jupyter server, real OpenBao and real PostgreSQL leases.

Proves: Jupyter auth is required (403 without it), XSRF is required on a
mutating call made with a browser session cookie, renew and revoke reach
Vault (checked with Vault's own lookups), a grant revoked behind jitbench's
back is shown as such, and no value the test process ever held (grant token,
database username and password, root token) appears in a response or the
server log.
"""
from __future__ import annotations

import json

import pytest
import requests

from jitbench import access

pytestmark = [pytest.mark.vault, pytest.mark.postgres]


@pytest.fixture
def grant(openbao, vault_access, server_home):
    """A CLI-style grant with a real database lease, 1 minute long, renewable up to 10 minutes."""
    root = access.connect(openbao.addr, token=openbao.root_token)
    g = access.Grant.open(root, incident="INC-42", reason="checkout 5xx since 14:02", ttl="60s",
                          max_ttl="10m", origin="cli")
    lease = g.lease_database(vault_access.db_role)
    assert lease.secret("password")
    yield g
    try:
        access.revoke_grant(g.id, client=root)
    except Exception:
        pass


def root_client(openbao):
    return access.connect(openbao.addr, token=openbao.root_token)


def token_alive(openbao, accessor: str) -> bool:
    try:
        root_client(openbao).auth.token.lookup_accessor(accessor)
        return True
    except Exception:
        return False


def api(server, method: str, path: str, **kw) -> requests.Response:
    kw.setdefault("headers", server.auth_headers)
    return requests.request(method, f"{server.url}/jitbench/{path}", timeout=30, **kw)


def assert_no_secret(*texts: str) -> None:
    held = access.held_secrets()
    assert held, "the test process should have held the grant token and the database password"
    for text in texts:
        for value in held:
            assert value not in text, "a held secret value appears in a response or the log"


def test_unauthenticated_requests_are_refused(jupyter_server, grant, openbao):
    for method, path in [("GET", "grants"), ("GET", "templates"), ("POST", f"grants/{grant.id}/revoke"),
                         ("POST", f"grants/{grant.id}/renew"), ("POST", "investigations")]:
        reply = api(jupyter_server, method, path, headers={})
        assert reply.status_code == 403, (method, path, reply.status_code)
        bad = api(jupyter_server, method, path, headers={"Authorization": "token not-the-token"})
        assert bad.status_code == 403, (method, path, bad.status_code)
    assert token_alive(openbao, grant.accessor)


def test_mutating_call_with_session_cookie_needs_xsrf(jupyter_server, grant, openbao):
    browser = requests.Session()
    login = browser.get(f"{jupyter_server.url}/login", timeout=10)
    xsrf = browser.cookies.get("_xsrf")
    assert login.ok and xsrf
    browser.post(f"{jupyter_server.url}/login", data={"password": jupyter_server.token, "_xsrf": xsrf},
                 timeout=10, allow_redirects=False)
    assert browser.get(f"{jupyter_server.url}/jitbench/grants", timeout=10).status_code == 200

    refused = browser.post(f"{jupyter_server.url}/jitbench/grants/{grant.id}/revoke", timeout=10)
    assert refused.status_code == 403
    assert token_alive(openbao, grant.accessor), "a request without XSRF token must not revoke"

    allowed = browser.post(f"{jupyter_server.url}/jitbench/grants/{grant.id}/revoke", timeout=30,
                           headers={"X-XSRFToken": xsrf})
    assert allowed.status_code == 200, allowed.text
    assert not token_alive(openbao, grant.accessor)


def test_list_shows_grant_and_leases_without_secrets(jupyter_server, grant):
    reply = api(jupyter_server, "GET", "grants")
    assert reply.status_code == 200
    body = reply.json()
    [shown] = [g for g in body["grants"] if g["id"] == grant.id]
    assert shown["incident"] == "INC-42" and shown["reason"] == "checkout 5xx since 14:02"
    assert shown["state"] == "active" and shown["verified"] is True
    assert [(lease["kind"], lease["role"]) for lease in shown["leases"]] == [("database", "readonly")]
    assert body["near_expiry_seconds"] == 120
    assert_no_secret(reply.text, jupyter_server.log_text())


def test_renew_extends_the_grant_in_vault(jupyter_server, grant, openbao):
    before = root_client(openbao).auth.token.lookup_accessor(grant.accessor)["data"]["ttl"]
    reply = api(jupyter_server, "POST", f"grants/{grant.id}/renew")
    assert reply.status_code == 200, reply.text
    after = root_client(openbao).auth.token.lookup_accessor(grant.accessor)["data"]["ttl"]
    assert after > before + 60, (before, after)
    assert reply.json()["grant"]["expires"] > grant.expires.isoformat()[:19]
    assert_no_secret(reply.text)


def test_revoke_removes_token_and_database_lease(jupyter_server, grant, openbao):
    lease_id = grant.leases[0].lease_id
    reply = api(jupyter_server, "POST", f"grants/{grant.id}/revoke")
    assert reply.status_code == 200, reply.text
    assert reply.json()["grant"]["state"] == "revoked"
    assert not token_alive(openbao, grant.accessor)
    with pytest.raises(Exception):
        root_client(openbao).sys.read_lease(lease_id)
    listed = api(jupyter_server, "GET", "grants").json()["grants"]
    assert [g["state"] for g in listed if g["id"] == grant.id] == ["revoked"]
    assert_no_secret(reply.text, jupyter_server.log_text())


def test_grant_revoked_outside_jitbench_is_shown_as_gone(jupyter_server, grant, openbao):
    root_client(openbao).auth.token.revoke_accessor(grant.accessor)
    [shown] = [g for g in api(jupyter_server, "GET", "grants").json()["grants"] if g["id"] == grant.id]
    assert shown["verified"] is False and shown["state"] == "revoked"


def test_unreachable_vault_lists_local_state_unverified(jupyter_server, server_home):
    from jitbench.dev.ports import free_port

    access.state.write_grant({"id": "g-offline", "accessor": "acc-offline", "incident": "INC-9", "reason": "r",
                              "vault_addr": f"http://127.0.0.1:{free_port()}", "issued": "2026-01-01T00:00:00Z",
                              "expires": "2999-01-01T00:00:00Z", "state": "active", "leases": []})
    [shown] = [g for g in api(jupyter_server, "GET", "grants").json()["grants"] if g["id"] == "g-offline"]
    assert shown["state"] == "active" and shown["verified"] is None


def test_state_file_secrets_never_reach_the_browser(jupyter_server, server_home):
    access.state.write_grant({"id": "g-leaky", "accessor": "a", "incident": "INC-1", "reason": "r",
                              "state": "revoked", "token": "s.leaked-token-value", "leases": [
                                  {"lease_id": "database/creds/readonly/x", "kind": "database",
                                   "password": "leaked-password-value"}]})
    text = api(jupyter_server, "GET", "grants").text
    assert "g-leaky" in text
    assert "leaked-token-value" not in text and "leaked-password-value" not in text


def test_unknown_grant_is_a_one_line_404(jupyter_server, server_home):
    reply = api(jupyter_server, "POST", "grants/g-nope/revoke")
    assert reply.status_code == 404
    message = reply.json()["message"]
    assert "g-nope" in message and "\n" not in message


def test_new_investigation_creates_a_notebook(jupyter_server, server_home):
    import nbformat

    first = api(jupyter_server, "POST", "investigations", data=json.dumps({"path": ""}))
    second = api(jupyter_server, "POST", "investigations", data=json.dumps({"path": ""}))
    assert first.status_code == second.status_code == 201, first.text
    paths = [first.json()["path"], second.json()["path"]]
    assert paths[0] != paths[1]
    nb = nbformat.read(jupyter_server.root_dir / paths[0], as_version=4)
    assert nb.nbformat == 4 and nb.metadata.kernelspec.name == "python3"
    assert any("jb.investigate(" in c.source for c in nb.cells)
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)

    bad = api(jupyter_server, "POST", "investigations", data=json.dumps({"template": "../etc/passwd"}))
    assert bad.status_code == 400 and "template" in bad.json()["message"]
    missing = api(jupyter_server, "POST", "investigations", data=json.dumps({"path": "no/such/dir"}))
    assert missing.status_code == 400 and "no/such/dir" in missing.json()["message"]


def test_renewing_an_expired_grant_is_a_one_line_409(jupyter_server, server_home):
    access.state.write_grant({"id": "g-old", "accessor": "acc-old", "incident": "INC-3", "reason": "r",
                              "issued": "2026-01-01T00:00:00Z", "expires": "2026-01-01T00:30:00Z",
                              "state": "active", "renewable": True, "leases": []})
    reply = api(jupyter_server, "POST", "grants/g-old/renew")
    assert reply.status_code == 409, reply.text
    message = reply.json()["message"]
    assert "g-old" in message and "expired" in message and "\n" not in message
