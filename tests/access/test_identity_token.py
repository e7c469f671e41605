"""Identity tokens (signed JWTs) for an observability gateway, taken under a userpass user's grant."""
from __future__ import annotations

import jwt
import pytest
import requests

from jitbench.access import Grant, journal
from jitbench.access.durations import iso
from jitbench.errors import LeaseOutlivesGrant


def test_identity_token_verifies_against_the_servers_published_keys(user, dev, root):
    with Grant.open(user, incident="INC-20", reason="query tempo", ttl="2m") as grant:
        lease = grant.lease_token(dev.token_role)
        assert lease.kind == "identity-token" and not lease.revocable_early
        assert "cannot be revoked early" in repr(lease)
        assert lease.expires <= grant.expires
        keys = requests.get(f"{dev.addr}/v1/identity/oidc/.well-known/keys", timeout=5).json()
        token = lease.secret("token")
        header = jwt.get_unverified_header(token)
        key = jwt.PyJWKSet.from_dict(keys)[header["kid"]]
        claims = jwt.decode(token, key=key.key, algorithms=["RS256"], audience=lease.secret("client_id"))
        entity = user.auth.token.lookup_self()["data"]["entity_id"]
        assert claims["sub"] == entity
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"), key=key.key,
                       algorithms=["RS256"], audience=lease.secret("client_id"))


def test_an_identity_token_that_would_outlive_the_grant_is_refused(user, root):
    root.write("identity/oidc/role/access-long", key="jitbench", ttl="1h")
    with Grant.open(user, incident="INC-21", reason="too long", ttl="1m") as grant:
        with pytest.raises(LeaseOutlivesGrant) as err:
            grant.lease_token("access-long")
        text = str(err.value)
        assert iso(grant.expires) in text and "cannot be revoked early" in text
        assert len(text.splitlines()) == 1
        assert grant.leases == []
        assert journal.read(grant.id)[-1]["event"] == "error"
