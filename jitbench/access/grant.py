"""A grant: one investigation's child token, and the leases taken with it.

The token is a child of the user's token (``auth/token/create``) whose ``meta``
carries incident, reason, user and ``tool=jitbench`` — so Vault's audit log
records the reason on every request made under it.  Every lease is taken with
the grant's token, so revoking (or the expiry of) the grant revokes them all.
Each step is journaled, and the journal fails closed: no grant or lease is
issued when it cannot be written.
"""
from __future__ import annotations

import os
import secrets
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta

import hvac

from .. import config
from ..errors import (AccessError, AuthenticationError, GrantExpired, GrantRevoked, JournalError, LeaseOutlivesGrant, ParameterError,
                      PermissionDenied, RoleMissing, WindowTooLong)
from . import journal, state
from .client import child_client, vault_errors
from .durations import human, iso, now, parse_duration
from .held import remember
from .lease import Lease, jwt_expiry
from .parent import parent_info, user_of
from .revocation import confirm_gone, revoke_lease

ORIGINS = ("cli", "kernel", "runbook")


def _required(name: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParameterError(f"{name} is required for a grant",
                             hint=f"pass {name}=... (e.g. incident='INC-7', reason='checkout 5xx since 14:02')")
    return value.strip()


class Grant:
    """An access window for one incident: a child token plus the leases taken with it.

    >>> with Grant.open(client, incident="INC-7", reason="checkout 5xx", ttl="15m") as g:  # doctest: +SKIP
    ...     pg = g.lease_database("readonly")
    """

    def __init__(self, *, id: str, token: str, accessor: str, incident: str, reason: str, user: str,
                 issued: datetime, expires: datetime, max_expires: datetime, renewable: bool, origin: str,
                 client: hvac.Client, parent: hvac.Client | None, owner: bool, leases: list[Lease] | None = None):
        self.id = id
        self.accessor = accessor
        self.incident = incident
        self.reason = reason
        self.user = user
        self.issued = issued
        self.expires = expires
        self.max_expires = max_expires
        self.renewable = renewable
        self.origin = origin
        self.owner = owner
        self.state = "active"
        self.leases: list[Lease] = list(leases or [])
        self._token = token
        self._client = client
        self._parent = parent
        self._lock = threading.RLock()
        self._closers: list = []
        self.policies: list[str] = []

    # -- opening -----------------------------------------------------------------
    @classmethod
    def open(cls, client: hvac.Client, *, incident: str | None = None, reason: str | None = None,
             ttl: str | float | timedelta | None = None, max_ttl: str | float | timedelta | None = None,
             user: str | None = None, origin: str = "kernel", policies: list[str] | None = None,
             keep_token: bool | None = None) -> "Grant":
        """Create a child token of ``client``'s token for ``incident`` and ``reason``, valid ``ttl`` (default 30m).

        ``max_ttl`` (default: ``ttl``) bounds every renewal. A window longer than
        the parent token or Vault's policy allows raises :class:`WindowTooLong`
        instead of being cut silently. ``origin="cli"`` (or ``keep_token=True``)
        keeps the token in a 0600 file so other processes can :func:`attach`.
        """
        incident, reason = _required("incident", incident), _required("reason", reason)
        if origin not in ORIGINS:
            raise ParameterError(f"origin={origin!r} is not one of {', '.join(ORIGINS)}")
        seconds = parse_duration(ttl if ttl is not None else config.default_access_window(), "ttl")
        max_seconds = parse_duration(max_ttl, "max_ttl") if max_ttl is not None else seconds
        if max_seconds < seconds:
            raise ParameterError(f"max_ttl ({human(max_seconds)}) is shorter than ttl ({human(seconds)})",
                                 hint="make max_ttl at least as long as ttl")
        if not client.token:
            raise AuthenticationError(f"no Vault token to open a grant on {client.url} with",
                                      hint="set VAULT_TOKEN, run `bao login`, or log in with login_userpass/approle/jwt")
        journal.ensure_writable()
        info = parent_info(client)
        parent_ttl = (info["expires"] - now()).total_seconds() if info["expires"] else 0
        if parent_ttl and max_seconds > parent_ttl:  # the token may have been renewed since: ask again
            info = parent_info(client, fresh=True)
            parent_ttl = (info["expires"] - now()).total_seconds() if info["expires"] else 0
        if parent_ttl and max_seconds > parent_ttl:
            raise WindowTooLong(f"a {human(max_seconds)} grant would outlive your own token ({human(parent_ttl)} left)",
                                hint="log in again for a longer session, or ask for a shorter window")
        user = user or user_of(info)
        meta = {"incident": incident, "reason": reason, "user": user, "tool": "jitbench"}
        with vault_errors("auth/token/create", client):
            auth = client.auth.token.create(
                policies=policies, meta=meta, ttl=f"{int(seconds)}s", explicit_max_ttl=f"{int(max_seconds)}s",
                renewable=max_seconds > seconds, display_name=f"jitbench-{incident}"[:60])["auth"]
        token, accessor = auth["client_token"], auth["accessor"]
        remember(token)
        child = child_client(client, token)
        if auth["lease_duration"] < int(seconds) - 1:
            with vault_errors("auth/token/revoke-self", client):
                child.auth.token.revoke_self()
            raise WindowTooLong(f"Vault allows at most {human(auth['lease_duration'])} for this grant, "
                                f"{human(seconds)} was asked", hint="ask for a shorter window (the policy caps it)")
        issued = now()
        grant = cls(id="g-" + secrets.token_hex(6), token=token, accessor=accessor, incident=incident,
                    reason=reason, user=user, issued=issued, expires=issued + timedelta(seconds=auth["lease_duration"]),
                    max_expires=issued + timedelta(seconds=max_seconds), renewable=bool(auth.get("renewable")),
                    origin=origin, client=child, parent=client, owner=True)
        grant.policies = sorted(auth.get("policies") or [])
        try:
            journal.append("grant", grant_id=grant.id, accessor=accessor, incident=incident, reason=reason,
                           user=user, origin=origin, issued=iso(grant.issued), expires=iso(grant.expires),
                           max_expires=iso(grant.max_expires), vault_addr=client.url)
            if keep_token or (keep_token is None and origin == "cli"):
                state.save_token(grant.id, token)
            grant._save()
        except (JournalError, OSError) as err:
            # fail closed: a grant that cannot be journaled must not exist
            with vault_errors("auth/token/revoke-self", client):
                child.auth.token.revoke_self()
            state.delete_token(grant.id)
            if isinstance(err, JournalError):
                raise
            raise JournalError(f"cannot write the grant state in {config.grants_dir()} ({err.strerror})") from None
        return grant

    # -- time and state ---------------------------------------------------------------
    def remaining(self) -> float:
        """Seconds until the grant expires (negative once it has)."""
        return (self.expires - now()).total_seconds()

    @property
    def vault_addr(self) -> str:
        return self._client.url

    def to_state(self) -> dict:
        """The grant as recorded in ``grants/<id>.json`` (no values)."""
        return {"id": self.id, "accessor": self.accessor, "incident": self.incident, "reason": self.reason,
                "user": self.user, "vault_addr": self.vault_addr, "origin": self.origin, "pid": os.getpid(),
                "issued": iso(self.issued), "expires": iso(self.expires), "max_expires": iso(self.max_expires),
                "renewable": self.renewable, "state": self.state,
                "leases": [lease.to_state() for lease in self.leases]}

    def _save(self) -> None:
        mine = self.to_state()

        def merge(data: dict) -> dict:
            # another process attached to this grant may have added leases of its own;
            # only the owner's view of the grant itself counts
            ours = {rec["lease_id"] or rec["path"] for rec in mine["leases"]}
            theirs = [rec for rec in data.get("leases", []) if (rec.get("lease_id") or rec.get("path")) not in ours]
            if self.owner or "accessor" not in data:
                top = mine
            else:  # an attached process may only move the expiry (a renewal it made)
                top = {**{k: v for k, v in data.items() if k != "leases"}, "expires": mine["expires"]}
            return {**top, "leases": theirs + mine["leases"]}

        state.update_grant(self.id, merge)

    @contextmanager
    def _vault(self, path: str):
        """Calls made with the grant's token: refuse when the grant is over, name the path otherwise."""
        if self.state == "revoked":
            raise GrantRevoked(f"grant {self.id} ({self.incident}) was revoked")
        if self.remaining() <= 0 or self.state == "expired":
            raise GrantExpired(f"grant {self.id} ({self.incident}) expired at {iso(self.expires)}")
        try:
            with vault_errors(path, self._client):
                yield
        except PermissionDenied as err:
            if self.remaining() <= 0:
                raise GrantExpired(f"grant {self.id} ({self.incident}) expired at {iso(self.expires)}") from None
            if not self.policies:
                raise
            message = str(err).split(" — ")[0]
            raise PermissionDenied(f"{message}; grant policies: {', '.join(self.policies)}") from None

    def _add(self, lease: Lease, data: dict) -> Lease:
        remember(data)
        try:
            journal.append("lease", grant_id=self.id, lease_id=lease.lease_id, kind=lease.kind, path=lease.path,
                           role=lease.role, issued=iso(lease.issued), expires=iso(lease.expires),
                           revocable_early=lease.revocable_early, static=lease.static)
        except JournalError:
            self._drop_unjournaled(lease)
            raise
        with self._lock:
            self.leases.append(lease)
        self._save()
        return lease

    def _drop_unjournaled(self, lease: Lease) -> None:
        if lease.lease_id and lease.revocable_early:
            try:
                revoke_lease(self._client, lease.lease_id)
            except AccessError:
                pass  # the grant's expiry still bounds it

    def _lease_expiry(self, issued: datetime, duration: int | None) -> datetime:
        if not duration:
            return self.expires
        return min(issued + timedelta(seconds=duration), self.expires)

    # -- leases ------------------------------------------------------------------------
    def lease_database(self, role: str, mount: str = "database") -> Lease:
        """Dynamic database credentials ``<mount>/creds/<role>`` (``username``, ``password``), a child of the grant."""
        path = f"{mount}/creds/{role}"
        journal.ensure_writable()
        with self._vault(path):
            resp = self._client.secrets.database.generate_credentials(name=role, mount_point=mount)
        issued = now()
        lease = Lease(kind="database", path=path, role=role, lease_id=resp["lease_id"], issued=issued,
                      expires=self._lease_expiry(issued, resp.get("lease_duration")),
                      renewable=bool(resp.get("renewable")), revocable_early=True, data=resp["data"],
                      grant_id=self.id)
        return self._add(lease, resp["data"])

    def lease_token(self, role: str) -> Lease:
        """A signed identity JWT ``identity/oidc/token/<role>`` for an API gateway (value ``token``).

        A JWT cannot be revoked early, so it is issued only when it expires
        before the grant does; otherwise :class:`LeaseOutlivesGrant` names both times.
        """
        path = f"identity/oidc/token/{role}"
        journal.ensure_writable()
        try:
            with self._vault(f"identity/oidc/role/{role}"):
                found = self._client.read(f"identity/oidc/role/{role}")
            if found is None:
                raise RoleMissing(f"role missing at identity/oidc/role/{role}")
            role_ttl = found["data"].get("ttl")
        except PermissionDenied:
            role_ttl = None  # not allowed to read the role: the token's own exp claim decides below
        if role_ttl:
            would_end = now() + timedelta(seconds=parse_duration(role_ttl, "role ttl"))
            if would_end > self.expires:
                self._refuse_outliving(path, would_end)
        with self._vault(path):
            resp = self._client.secrets.identity.generate_signed_id_token(name=role)
        jwt_text = resp["data"]["token"]
        remember(jwt_text)
        ends = jwt_expiry(jwt_text)
        if ends is None or ends > self.expires:
            self._refuse_outliving(path, ends)
        lease = Lease(kind="identity-token", path=path, role=role, lease_id="", issued=now(), expires=ends,
                      renewable=False, revocable_early=False, data=resp["data"], grant_id=self.id)
        return self._add(lease, resp["data"])

    def _refuse_outliving(self, path: str, ends: datetime | None) -> None:
        journal.append("error", grant_id=self.id, path=path, error="credential would outlive the grant")
        raise LeaseOutlivesGrant(f"{path} would be valid until {iso(ends) if ends else 'an unknown time'} "
                                 f"but grant {self.id} ends at {iso(self.expires)}; it cannot be revoked early")

    def read_kv(self, path: str, mount: str = "secret", version: int = 2) -> Lease:
        """A KV read (static: recorded as such, never presented as just-in-time)."""
        full = f"{mount}/data/{path}" if version == 2 else f"{mount}/{path}"
        journal.ensure_writable()
        with self._vault(full):
            resp = self._client.read(full)
        if not resp:
            raise AccessError(f"nothing at {full}", hint="check the KV mount, its version and the path")
        data = resp["data"]["data"] if version == 2 else resp["data"]
        lease = Lease(kind="kv", path=full, role=None, lease_id="", issued=now(), expires=None, renewable=False,
                      revocable_early=False, data=data, grant_id=self.id, static=True)
        return self._add(lease, data)

    def read(self, path: str) -> Lease:
        """A generic read of any path that returns a lease (e.g. a cloud engine's credentials)."""
        journal.ensure_writable()
        with self._vault(path):
            resp = self._client.read(path)
        if not resp:
            raise AccessError(f"nothing at {path}", hint="check the path")
        issued = now()
        lease_id = resp.get("lease_id") or ""
        duration = resp.get("lease_duration") or 0
        ends = issued + timedelta(seconds=duration) if duration else None
        if not lease_id and ends and ends > self.expires:
            self._refuse_outliving(path, ends)
        lease = Lease(kind="generic", path=path, role=None, lease_id=lease_id, issued=issued,
                      expires=min(ends, self.expires) if ends and lease_id else ends,
                      renewable=bool(resp.get("renewable")), revocable_early=bool(lease_id),
                      data=resp.get("data") or {}, grant_id=self.id, static=not lease_id and not duration)
        return self._add(lease, resp.get("data") or {})

    # -- renew -------------------------------------------------------------------------
    def renew(self, increment: str | float | timedelta | None = None, reason: str | None = None) -> "Grant":
        """Extend the grant toward its ``max_ttl`` and its renewable leases up to the grant's end, never beyond.

        ``reason`` (why more time is needed) is journaled with the renewal.
        """
        journal.ensure_writable()
        with self._lock:
            if self.renewable:
                room = (self.max_expires - now()).total_seconds()
                want = parse_duration(increment, "increment") if increment is not None else room
                step = int(min(want, room))
                # Vault sets the TTL to `step` from now: asking for less than is left would shorten the grant
                if step > self.remaining():
                    with self._vault("auth/token/renew-self"):
                        auth = self._client.auth.token.renew_self(increment=f"{step}s")["auth"]
                    self.expires = min(now() + timedelta(seconds=auth["lease_duration"]), self.max_expires)
            renewed = self.renew_leases()
        journal.append("renew", grant_id=self.id, expires=iso(self.expires), leases=renewed,
                       **({"reason": reason} if reason else {}))
        self._save()
        return self

    def renew_leases(self, only_below: float | None = None) -> list[str]:
        """Renew active renewable leases up to the grant's end (those with less than ``only_below`` s left).

        Returns the renewed lease ids. Vault may grant less than asked (a role's max); never more.
        """
        done = []
        for lease in list(self.leases):
            if lease.state != "active" or not lease.renewable or not lease.lease_id:
                continue
            left = lease.remaining() or 0
            if only_below is not None and left > only_below:
                continue
            room = int(self.remaining())
            if room <= 0 or left >= room - 1:
                continue
            with self._vault("sys/leases/renew"):
                resp = self._client.sys.renew_lease(lease_id=lease.lease_id, increment=room)
            lease.expires = self._lease_expiry(now(), resp.get("lease_duration"))
            done.append(lease.lease_id)
        return done

    # -- revoke ------------------------------------------------------------------------
    def revoke(self, wait: float = 10.0) -> None:
        """Revoke the grant and every lease, and return once Vault confirms the leases are gone.

        Database connections opened through the leases are closed first. A
        grant attached from another process revokes only the leases it took.
        Raises :class:`RevocationUnconfirmed` when the leases still exist after ``wait`` seconds.
        """
        with self._lock:
            if self.state != "active":
                return
            for lease in self.leases:
                lease.close_connections()
            for closer in self._closers:
                closer()
            lease_ids = [lease.lease_id for lease in self.leases
                         if lease.state == "active" and lease.lease_id and lease.revocable_early]
            if not self.owner and not any(lease.state == "active" for lease in self.leases):
                return  # an attached process has nothing of its own left to give back
            if self.owner:
                if self.remaining() > 0:
                    try:
                        with vault_errors("auth/token/revoke-self", self._client):
                            self._client.auth.token.revoke_self()
                    except PermissionDenied:
                        # already revoked or expired in Vault; the parent revokes by accessor to be sure
                        if self._parent is not None:
                            with vault_errors("auth/token/revoke-accessor", self._parent):
                                _revoke_accessor_quietly(self._parent, self.accessor)
                checker = self._parent or self._client
                ids = lease_ids + [rec["lease_id"] for rec in _stored_leases(self.id) if rec.get("lease_id")
                                   and rec.get("revocable_early") and rec["lease_id"] not in lease_ids]
            else:
                for lease_id in lease_ids:
                    with self._vault("sys/leases/revoke"):
                        revoke_lease(self._client, lease_id)
                checker, ids = self._client, lease_ids
            confirm_gone(checker, ids, wait)
            for lease in self.leases:
                if lease.state == "active":
                    lease.state = "revoked"
            if self.owner:
                # past its TTL Vault had already ended it: say so rather than claim a revoke
                self.state = "revoked" if self.remaining() > 0 else "expired"
                state.delete_token(self.id)
            journal.append("revoke", grant_id=self.id, leases=ids, by="owner" if self.owner else "attached",
                           pid=os.getpid())
            self._save()

    def mark_ended(self, how: str) -> None:
        """Record that the grant ended without our revoke: ``"expired"``, or ``"revoked"`` from outside.

        Closes the database connections opened through its leases, deletes the
        token file and journals ``expire`` / ``revoke``.
        """
        with self._lock:
            if self.state != "active":
                return
            for lease in self.leases:
                lease.close_connections()
                if lease.state == "active":
                    lease.state = how
            for closer in self._closers:
                closer()
            self.state = how
            if self.owner:
                state.delete_token(self.id)
            journal.append("expire" if how == "expired" else "revoke", grant_id=self.id, by="external",
                           pid=os.getpid())
            self._save()

    def close(self) -> None:
        """Revoke what this process holds (the whole grant when it opened it); safe to call twice."""
        if self.state == "active":
            self.revoke()

    def on_revoke(self, callback) -> None:
        """Call ``callback()`` when the grant is revoked (e.g. to close a store's connections)."""
        self._closers.append(callback)

    def handoff_env(self) -> dict:
        """``{"JITBENCH_GRANT": id}`` for a child process (papermill kernel) to :func:`attach` to this grant.

        The token is kept in the 0600 ``grants/<id>.token`` file (never in the
        environment or a parameter), deleted when the grant is revoked.
        """
        if state.load_token(self.id) is None:
            state.save_token(self.id, self._token)
        return {"JITBENCH_GRANT": self.id}

    def __enter__(self) -> "Grant":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    keeper = None  # the Keeper watching this grant, if any; set by Keeper (its widget follows the events)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Show the grant as the countdown widget (live in JupyterLab, a static card in exported HTML)."""
        from ..widgets import grant_mimebundle
        return grant_mimebundle(self, self.keeper, include=include, exclude=exclude)

    def __repr__(self) -> str:
        return (f"<Grant {self.id} incident={self.incident!r} user={self.user!r} state={self.state} "
                f"expires={iso(self.expires)} ({human(self.remaining())} left) leases={len(self.leases)}>")

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        raise TypeError("a Grant holds a Vault token and cannot be pickled; pass grant.id and attach() instead")


def _stored_leases(grant_id: str) -> list[dict]:
    try:
        return state.read_grant(grant_id).get("leases", [])
    except AccessError:
        return []


def _revoke_accessor_quietly(client: hvac.Client, accessor: str) -> None:
    try:
        client.auth.token.revoke_accessor(accessor)
    except hvac.exceptions.InvalidRequest:
        pass  # the token is already gone
