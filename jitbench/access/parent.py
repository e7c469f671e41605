"""The user's own token: looked up once per token, for the window check and the grant's ``user``."""
from __future__ import annotations

import getpass
import hashlib
from datetime import timedelta

import hvac

from .client import vault_errors
from .durations import now

_parents: dict[tuple[str, str], dict] = {}


def parent_info(client: hvac.Client, fresh: bool = False) -> dict:
    """The user token's lookup-self, once per token: its expiry and identity do not change on their own."""
    key = (client.url, hashlib.sha256((client.token or "").encode()).hexdigest())
    info = _parents.get(key)
    if fresh or info is None or (info["expires"] and info["expires"] <= now()):
        with vault_errors("auth/token/lookup-self", client):
            data = client.auth.token.lookup_self()["data"]
        ttl = data.get("ttl") or 0
        # keep no copy of the token itself ("id"): the client already holds it
        info = {**{k: v for k, v in data.items() if k != "id"}, "expires": now() + timedelta(seconds=ttl) if ttl else None}
        _parents[key] = info
    return info


def user_of(info: dict) -> str:
    """Who the token belongs to: the userpass/AppRole name, else its display name, else the OS user."""
    meta = info.get("meta") or {}
    return meta.get("username") or meta.get("role_name") or info.get("display_name") or getpass.getuser()
