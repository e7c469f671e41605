"""One credential obtained under a grant, with its secret values behind an explicit accessor.

``repr``/``str`` show kind, path, lease id and times only; pickling is refused;
values come out through :meth:`Lease.secret` / :meth:`Lease.secrets` (or a
DSN / connection built from them).  Database connections opened through
:meth:`Lease.connect` are closed by jitbench when the grant is revoked.
"""
from __future__ import annotations

import base64
import json
import threading
import weakref
from datetime import datetime, timezone
from urllib.parse import quote

from ..errors import AccessError, ParameterError
from .durations import iso, now, parse_iso

KINDS = ("database", "identity-token", "kv", "generic")


class Lease:
    """A credential: ``kind``, ``path``, ``role``, ``lease_id``, ``issued``, ``expires``, ``renewable``,
    ``revocable_early``, ``state``; values only through :meth:`secret` and :meth:`secrets`.

    >>> pg = grant.lease_database("readonly")           # doctest: +SKIP
    >>> conn = pg.connect("db.internal", 5432, "shop")  # closed when the grant is revoked
    """

    def __init__(self, *, kind: str, path: str, role: str | None, lease_id: str, issued: datetime,
                 expires: datetime | None, renewable: bool, revocable_early: bool, data: dict,
                 grant_id: str, static: bool = False):
        self.kind = kind
        self.path = path
        self.role = role
        self.lease_id = lease_id
        self.issued = issued
        self.expires = expires
        self.renewable = renewable
        self.revocable_early = revocable_early
        self.static = static
        self.grant_id = grant_id
        self.state = "active"
        self._data = dict(data)
        self._connections: list[weakref.ref] = []
        self._lock = threading.Lock()

    # -- secret values: explicit accessors only ---------------------------------
    def secret(self, name: str) -> str:
        """The value ``name`` of this lease (e.g. ``"password"``); :class:`ParameterError` if there is none."""
        self._check_usable()
        try:
            return self._data[name]
        except KeyError:
            raise ParameterError(f"lease {self.path} has no value {name!r}",
                                 hint=f"it has: {', '.join(sorted(self._data)) or 'nothing'}") from None

    def secrets(self) -> dict:
        """A copy of every value of this lease."""
        self._check_usable()
        return dict(self._data)

    def _check_usable(self) -> None:
        if self.state == "revoked":
            raise AccessError(f"lease {self.path} was revoked", hint="take a new lease under an active grant")

    def dsn(self, host: str, port: int = 5432, database: str = "postgres") -> str:
        """A libpq URL with this lease's database credentials (a secret: don't print it)."""
        if self.kind != "database":
            raise ParameterError(f"lease {self.path} is a {self.kind} lease, not database credentials")
        return (f"postgresql://{quote(self.secret('username'), safe='')}:{quote(self.secret('password'), safe='')}"
                f"@{host}:{int(port)}/{database}")

    def connect(self, host: str, port: int = 5432, database: str = "postgres", **kwargs):
        """A psycopg connection with these credentials, closed by jitbench when the grant is revoked."""
        import psycopg
        if self.kind != "database":
            raise ParameterError(f"lease {self.path} is a {self.kind} lease, not database credentials")
        try:
            conn = psycopg.connect(host=host, port=int(port), dbname=database, user=self.secret("username"),
                                   password=self.secret("password"), **kwargs)
        except psycopg.OperationalError as err:
            # psycopg's text names host and user, never the password; the user is leased too
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            first = first.replace(self._data.get("username") or "\0", "<leased user>")
            raise AccessError(f"cannot connect to {host}:{port}/{database} with lease {self.role}: {first}",
                              hint="check the host, and that the lease is still active") from None
        with self._lock:
            self._connections.append(weakref.ref(conn))
        return conn

    def close_connections(self) -> int:
        """Close every connection opened through :meth:`connect`; returns how many were open."""
        with self._lock:
            refs, self._connections = self._connections, []
        closed = 0
        for ref in refs:
            conn = ref()
            if conn is not None and not conn.closed:
                try:
                    conn.close()
                except Exception:  # a connection the server already dropped
                    pass
                closed += 1
        return closed

    # -- time --------------------------------------------------------------------
    def remaining(self) -> float | None:
        """Seconds until this lease expires (None for a static KV read)."""
        return None if self.expires is None else (self.expires - now()).total_seconds()

    # -- what may be shown -------------------------------------------------------
    def to_state(self) -> dict:
        """The lease as recorded in ``grants/<id>.json`` (no values)."""
        return {"lease_id": self.lease_id, "kind": self.kind, "path": self.path, "role": self.role,
                "issued": iso(self.issued), "expires": iso(self.expires), "renewable": self.renewable,
                "revocable_early": self.revocable_early, "static": self.static, "state": self.state}

    @classmethod
    def from_state(cls, rec: dict, grant_id: str) -> "Lease":
        """A value-less lease rebuilt from the local state (for revoking or listing)."""
        lease = cls(kind=rec["kind"], path=rec["path"], role=rec.get("role"), lease_id=rec.get("lease_id", ""),
                    issued=parse_iso(rec.get("issued")), expires=parse_iso(rec.get("expires")),
                    renewable=bool(rec.get("renewable")), revocable_early=bool(rec.get("revocable_early")),
                    data={}, grant_id=grant_id, static=bool(rec.get("static")))
        lease.state = rec.get("state", "active")
        return lease

    def __repr__(self) -> str:
        until = "static" if self.expires is None else f"expires={iso(self.expires)}"
        early = "" if self.revocable_early or self.static else ", cannot be revoked early"
        return (f"<Lease {self.kind} {self.path} lease_id={self.lease_id!r} {until} "
                f"state={self.state}{early}>")

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        raise TypeError("a Lease holds secret values and cannot be pickled; pass lease.dsn(...) where needed")


def jwt_expiry(jwt_text: str) -> datetime | None:
    """The ``exp`` claim of a JWT as an aware UTC datetime (None when it has none); the signature is not checked."""
    try:
        payload = jwt_text.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return datetime.fromtimestamp(int(claims["exp"]), tz=timezone.utc)
    except (IndexError, KeyError, ValueError):
        return None
