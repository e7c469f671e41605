"""Confirmed revocation: Vault answers a revoke before the database users are dropped.

A revoked token's leases are revoked in the background; until that is done the
credentials still log in.  :func:`confirm_gone` polls ``sys/leases/lookup``
until every lease id is unknown to Vault, within a bounded wait.
"""
from __future__ import annotations

import time

import hvac

from ..errors import AccessError, RevocationUnconfirmed
from .client import vault_errors


def lease_exists(client: hvac.Client, lease_id: str) -> bool:
    """Whether Vault still knows ``lease_id`` (``sys/leases/lookup``; the default policy allows it)."""
    try:
        with vault_errors("sys/leases/lookup", client):
            client.sys.read_lease(lease_id)
    except AccessError as err:
        if "invalid lease" in str(err).lower():
            return False
        raise
    return True


def confirm_gone(client: hvac.Client, lease_ids: list[str], wait: float = 10.0) -> None:
    """Return once no lease of ``lease_ids`` exists; :class:`RevocationUnconfirmed` after ``wait`` seconds."""
    pending = [lid for lid in lease_ids if lid]
    deadline = time.monotonic() + wait
    delay = 0.005
    while pending:
        pending = [lid for lid in pending if lease_exists(client, lid)]
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise RevocationUnconfirmed(
                f"{len(pending)} lease(s) still exist {wait:.0f} s after revoking, e.g. {pending[0]}")
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def revoke_lease(client: hvac.Client, lease_id: str) -> None:
    """Revoke one lease now (synchronously), by the URL form so a policy can scope it by lease prefix."""
    with vault_errors(f"sys/leases/revoke/{lease_id}", client):
        client.adapter.put(f"/v1/sys/leases/revoke/{lease_id}")
