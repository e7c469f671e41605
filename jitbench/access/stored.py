"""Grants known from the local state, acted on from another process: attach, revoke, renew by id.

A notebook or a papermill kernel *attaches* to a CLI or runbook grant through
its 0600 token file (the id comes from ``JITBENCH_GRANT`` or an argument); the
CLI and the Jupyter server extension revoke and renew with the user's own
token and the grant's accessor, so revoking needs no stored token.
"""
from __future__ import annotations

import os
from datetime import timedelta

import hvac

from ..errors import AccessError, AuthenticationError, ConfigError, GrantExpired, GrantRevoked, PermissionDenied
from . import journal, state
from .client import child_client, connect, vault_errors
from .durations import iso, now, parse_duration, parse_iso
from .grant import Grant
from .held import remember
from .revocation import confirm_gone

ENV = "JITBENCH_GRANT"


def _active_record(grant_id: str) -> dict:
    rec = state.read_grant(grant_id)
    if rec.get("state") == "revoked":
        raise GrantRevoked(f"grant {grant_id} ({rec.get('incident')}) was revoked")
    expires = parse_iso(rec.get("expires"))
    if rec.get("state") == "expired" or (expires and expires <= now()):
        raise GrantExpired(f"grant {grant_id} ({rec.get('incident')}) expired at {rec.get('expires')}")
    return rec


def attach(grant_id: str | None = None, client: hvac.Client | None = None) -> Grant:
    """The grant ``grant_id`` (default ``$JITBENCH_GRANT``) opened by another process, for taking leases.

    Uses the grant's 0600 token file. Closing an attached grant revokes only
    the leases taken through it; the grant itself belongs to its opener.

    >>> g = attach()            # in a papermill kernel started by `jitbench run`   # doctest: +SKIP
    """
    grant_id = grant_id or os.environ.get(ENV)
    if not grant_id:
        raise ConfigError(f"no grant to attach to: {ENV} is not set",
                          hint="pass a grant id (see `jitbench access list`) or open a new grant")
    rec = _active_record(grant_id)
    token = state.load_token(grant_id)
    if token is None:
        raise AccessError(f"grant {grant_id} keeps no token file, so another process cannot use it",
                          hint="attach only to CLI or runbook grants, or open a grant in this process")
    remember(token)
    grant_client = child_client(client, token) if client is not None else connect(rec["vault_addr"], token)
    try:
        with vault_errors("auth/token/lookup-self", grant_client):
            info = grant_client.auth.token.lookup_self()["data"]
    except PermissionDenied:
        raise GrantRevoked(f"grant {grant_id} ({rec.get('incident')}) is no longer valid in Vault") from None
    grant = Grant(id=grant_id, token=token, accessor=rec["accessor"], incident=rec["incident"],
                  reason=rec["reason"], user=rec["user"], issued=parse_iso(rec["issued"]),
                  expires=now() + timedelta(seconds=info.get("ttl") or 0),
                  max_expires=parse_iso(rec.get("max_expires")) or parse_iso(rec["expires"]),
                  renewable=bool(rec.get("renewable")), origin=rec.get("origin", "cli"),
                  client=grant_client, parent=None, owner=False)
    journal.append("attach", grant_id=grant_id, pid=os.getpid())
    return grant


def _user_client(rec: dict, client: hvac.Client | None) -> hvac.Client:
    return client if client is not None else connect(rec.get("vault_addr"))


def revoke_grant(grant_id: str, client: hvac.Client | None = None, wait: float = 10.0) -> dict:
    """Revoke grant ``grant_id`` by its accessor with the user's token (``client`` or :func:`connect`).

    Returns once Vault confirms its leases are gone (:class:`RevocationUnconfirmed`
    after ``wait`` s) and the local state says ``revoked``. Revoking twice is harmless.
    """
    rec = state.read_grant(grant_id)
    if rec.get("state") == "revoked":
        return rec
    user = _user_client(rec, client)
    token = state.load_token(grant_id)
    if not user.token and not token:
        raise AuthenticationError(f"no Vault token to revoke grant {grant_id} with",
                                  hint="set VAULT_TOKEN or log in (`bao login`); the grant still ends at its TTL")
    if not user.token and token:
        # no user token around (e.g. the server extension without VAULT_TOKEN): the grant revokes itself
        remember(token)
        own = child_client(user, token)
        try:
            with vault_errors("auth/token/revoke-self", own):
                own.auth.token.revoke_self()
        except PermissionDenied:
            pass  # already expired or revoked in Vault
        user = own
    else:
        with vault_errors("auth/token/revoke-accessor", user):
            try:
                user.auth.token.revoke_accessor(rec["accessor"])
            except hvac.exceptions.InvalidRequest:
                pass  # the token is already gone (expired or revoked); the leases are checked below
    ids = [lease["lease_id"] for lease in rec.get("leases", []) if lease.get("lease_id") and lease.get("revocable_early")]
    if user.token:
        confirm_gone(user, ids, wait)

    def mark(data: dict) -> None:
        data["state"] = "revoked"
        for lease in data.get("leases", []):
            if lease.get("state") == "active":
                lease["state"] = "revoked"

    rec = state.update_grant(grant_id, mark)
    state.delete_token(grant_id)
    journal.append("revoke", grant_id=grant_id, leases=ids, by="accessor", pid=os.getpid())
    return rec


def renew_grant(grant_id: str, client: hvac.Client | None = None, increment: str | float | None = None,
                reason: str | None = None) -> dict:
    """Extend grant ``grant_id`` toward its max window (never beyond); returns its updated record.

    With a token file (CLI grants) its renewable leases are renewed too; otherwise
    the user's token renews the grant by accessor and the holder's keeper renews the leases.
    """
    rec = _active_record(grant_id)
    if state.load_token(grant_id):
        attach(grant_id, client).renew(increment, reason=reason)
        return state.read_grant(grant_id)
    user = _user_client(rec, client)
    max_expires = parse_iso(rec.get("max_expires")) or parse_iso(rec["expires"])
    room = (max_expires - now()).total_seconds()
    step = int(min(parse_duration(increment, "increment") if increment is not None else room, room))
    if step <= 0 or not rec.get("renewable"):
        return rec
    with vault_errors("auth/token/renew-accessor", user):
        auth = user.auth.token.renew_accessor(rec["accessor"], increment=f"{step}s")["auth"]
    expires = min(now() + timedelta(seconds=auth["lease_duration"]), max_expires)

    def extend(data: dict) -> None:
        data["expires"] = iso(expires)

    rec = state.update_grant(grant_id, extend)
    journal.append("renew", grant_id=grant_id, expires=iso(expires), by="accessor",
                   **({"reason": reason} if reason else {}))
    return rec


def expire_overdue() -> list[str]:
    """Mark grants whose TTL has passed as expired, delete their token files, journal ``expire``.

    Nothing runs at a CLI grant's expiry, so the CLI (and ``Grant.open``) sweep
    on the way. Returns the ids that were swept.
    """
    swept = []
    for rec in state.list_grants():
        expires = parse_iso(rec.get("expires"))
        if rec.get("state") == "active" and expires is not None and expires <= now():
            def mark(data: dict) -> None:
                data["state"] = "expired"
                for lease in data.get("leases", []):
                    if lease.get("state") == "active":
                        lease["state"] = "expired"
            state.update_grant(rec["id"], mark)
            state.delete_token(rec["id"])
            journal.append("expire", grant_id=rec["id"], by="sweep", pid=os.getpid())
            swept.append(rec["id"])
    return swept
