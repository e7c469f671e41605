"""Checks the access tests share: can a leased user log in, which tokens and leases exist."""
from __future__ import annotations

import hvac
import psycopg


def can_login(pg, lease_or_user, password=None) -> bool:
    """Whether a leased database user can open a new session right now."""
    if password is None:
        user, password = lease_or_user.secret("username"), lease_or_user.secret("password")
    else:
        user = lease_or_user
    try:
        psycopg.connect(host=pg.host, port=pg.port, dbname="postgres", user=user, password=password,
                        connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


def token_accessors(root) -> set[str]:
    """Accessors of every token that exists in Vault now."""
    return set(root.list("auth/token/accessors")["data"]["keys"])


def db_leases(root, role="readonly") -> set[str]:
    """Full ids of the live leases under database/creds/<role>, listed with the root token."""
    prefix = f"database/creds/{role}/"
    try:
        found = root.list(f"sys/leases/lookup/{prefix}")
    except hvac.exceptions.InvalidPath:
        return set()
    return {prefix + key for key in (found or {}).get("data", {}).get("keys", [])}
