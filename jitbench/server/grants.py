"""What the server extension may show of a grant, and how it renews or revokes one.

The extension reads the local state (``grants/<id>.json``) and hands renew and
revoke to :mod:`jitbench.access`, which is the only part that talks to Vault.
Everything returned here passes through :func:`public_view`, an allow-list of
fields, so a secret that ever slipped into a state file could still not reach
the browser.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from .. import config
from ..errors import AccessError, ConfigError, JitbenchError

GRANT_FIELDS = ("id", "accessor", "incident", "reason", "user", "vault_addr", "origin", "pid", "issued",
                "expires", "max_expires", "renewable", "state")
LEASE_FIELDS = ("lease_id", "kind", "path", "role", "issued", "expires", "renewable", "revocable_early",
                "state")
_GRANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class UnknownGrant(JitbenchError):
    """No grant with this id in the local state (404 for the server extension)."""

    hint = "list the grants with `jitbench access list` or refresh the panel"


def check_grant_id(grant_id: str) -> str:
    """Return ``grant_id`` if it is a plain id, else raise :class:`ConfigError`.

    Ids become file names, so anything with a slash or a leading dot is refused
    before it reaches the file system.
    """
    if not _GRANT_ID.match(grant_id or ""):
        raise ConfigError(f"{grant_id!r} is not a grant id", hint="use the id shown by the panel, like g-1a2b")
    return grant_id


def _read_state_files() -> list[dict]:
    """Read ``grants/*.json`` directly; used until :mod:`jitbench.access` is importable."""
    grants = []
    folder = config.grants_dir()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            grants.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue  # a file being replaced atomically or a stray one: skip it, the next poll sees it
    return grants


def _access():
    """The access layer, or ``None`` when it is not installed in this environment."""
    try:
        from .. import access
    except ImportError:
        return None
    return access


def local_grants() -> list[dict]:
    """Every grant of the local state as stored (not yet filtered for the browser)."""
    access = _access()
    state = getattr(access, "state", None) if access else None
    if state is not None and hasattr(state, "list_grants"):
        return list(state.list_grants())
    return _read_state_files()


def public_view(grant: dict) -> dict:
    """Copy of ``grant`` with only the allow-listed fields of the grant and its leases.

    >>> public_view({"id": "g-1", "token": "s.x", "leases": [{"lease_id": "l", "password": "p"}]})
    {'id': 'g-1', 'leases': [{'lease_id': 'l'}]}
    """
    view = {k: grant[k] for k in GRANT_FIELDS if k in grant}
    view["leases"] = [{k: lease[k] for k in LEASE_FIELDS if k in lease}
                      for lease in grant.get("leases") or [] if isinstance(lease, dict)]
    for key in ("verified", "vault_state"):
        if key in grant:
            view[key] = grant[key]
    return view


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def effective_state(grant: dict, now: datetime | None = None) -> str:
    """The grant's state with the clock applied: an ``active`` grant past ``expires`` is ``expired``."""
    state = grant.get("state", "active")
    expires = _parse_time(grant.get("expires"))
    now = now or datetime.now(timezone.utc)
    if state == "active" and expires is not None and expires <= now:
        return "expired"
    return state


def lookup_in_vault(grant: dict, clients: dict | None = None) -> dict | None:
    """Ask Vault about the grant's token by accessor, with the user's token (``VAULT_TOKEN``...).

    Returns ``{"expires": iso}`` when Vault knows the token, ``None`` when Vault
    says the accessor is unknown (revoked or expired); raises a
    :class:`JitbenchError` subclass when Vault cannot be asked (unreachable,
    no or insufficient user token).
    """
    from datetime import timedelta

    from ..access.client import connect, vault_errors

    clients = {} if clients is None else clients
    addr = grant.get("vault_addr")
    if addr not in clients:  # one client (one kept-alive HTTP session) per Vault for a whole listing
        clients[addr] = connect(addr)
    client = clients[addr]
    try:
        with vault_errors("auth/token/lookup-accessor", client):
            data = client.auth.token.lookup_accessor(grant["accessor"])["data"]
    except AccessError as err:
        if type(err) is AccessError:  # Vault answered "invalid accessor": the token is gone
            return None
        raise
    expires = datetime.now(timezone.utc) + timedelta(seconds=float(data.get("ttl") or 0))
    return {"expires": expires.isoformat(timespec="seconds").replace("+00:00", "Z")}


def verify(grant: dict, clients: dict | None = None) -> dict:
    """Check an active grant against Vault when the access layer and Vault are reachable.

    Adds ``verified`` (True: Vault knows the token; False: Vault says it is gone;
    None: could not ask) and, when gone, sets ``state`` to ``expired`` or
    ``revoked`` so the panel does not show a dead grant as live.
    """
    grant = dict(grant)
    grant["state"] = effective_state(grant)
    access = _access()
    if grant["state"] != "active" or access is None or not grant.get("accessor"):
        grant["verified"] = None
        return grant
    lookup = getattr(access, "lookup_grant", None)
    try:
        found = lookup(grant["id"]) if lookup else lookup_in_vault(grant, clients)
    except JitbenchError:
        grant["verified"] = None  # Vault unreachable or no user token: show the local state, unverified
        return grant
    if not found:
        grant["verified"] = False
        grant["state"] = effective_state(dict(grant, state="revoked"))
        return grant
    grant["verified"] = True
    vault_expires, local_expires = _parse_time(found.get("expires") if isinstance(found, dict) else None), _parse_time(grant.get("expires"))
    # Vault's word wins, but a second of lookup jitter is not news worth a re-render in the browser
    if vault_expires and (local_expires is None or abs((vault_expires - local_expires).total_seconds()) > 2):
        grant["expires"] = found["expires"]
    return grant


def list_public(verify_with_vault: bool = True) -> list[dict]:
    """All grants as the browser may see them, soonest expiry first."""
    clients: dict = {}
    grants = [verify(g, clients) if verify_with_vault else dict(g, state=effective_state(g))
              for g in local_grants()]
    grants.sort(key=lambda g: (g.get("state") != "active", g.get("expires") or ""))
    return [public_view(_leases_follow(g)) for g in grants]


def _leases_follow(grant: dict) -> dict:
    # Vault revokes a grant's leases with it: a lease still "active" under a dead grant is not
    if grant.get("state") in ("revoked", "expired"):
        leases = [dict(lease, state=grant["state"]) if lease.get("state", "active") == "active" else lease
                  for lease in grant.get("leases") or [] if isinstance(lease, dict)]
        grant = dict(grant, leases=leases)
    return grant


def find(grant_id: str) -> dict:
    """The stored grant with this id, or :class:`UnknownGrant`."""
    check_grant_id(grant_id)
    for grant in local_grants():
        if grant.get("id") == grant_id:
            return grant
    raise UnknownGrant(f"no grant {grant_id} in {config.grants_dir()}")


def _require_access(action: str):
    access = _access()
    if access is None or not hasattr(access, f"{action}_grant"):
        raise ConfigError(f"cannot {action} from JupyterLab: jitbench.access is not installed",
                          hint="pip install jitbench with its access layer")
    return getattr(access, f"{action}_grant")


def renew(grant_id: str) -> dict:
    """Renew a grant by id through :func:`jitbench.access.renew_grant`; returns its public view."""
    find(grant_id)
    _require_access("renew")(grant_id)
    return public_view(dict(find(grant_id), verified=None))


def revoke(grant_id: str) -> dict:
    """Revoke a grant and its leases through :func:`jitbench.access.revoke_grant` (confirmed)."""
    find(grant_id)
    _require_access("revoke")(grant_id)
    return public_view(dict(find(grant_id), verified=None))
