"""Checks the access tests share: can a leased user log in, which tokens and leases exist."""
from __future__ import annotations

import hvac
import psycopg


class Creds:
    """A leased user name and password whose repr hides both, so a failing assert prints no secret."""

    def __init__(self, user: str, password: str):
        self.user, self.password = user, password

    def __repr__(self) -> str:
        return "Creds(<hidden>)"


def can_login(pg, creds) -> bool:
    """Whether a leased database user (a Lease or Creds) can open a new session right now."""
    if not isinstance(creds, Creds):
        creds = Creds(creds.secret("username"), creds.secret("password"))
    try:
        psycopg.connect(host=pg.host, port=pg.port, dbname="postgres", user=creds.user, password=creds.password,
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
