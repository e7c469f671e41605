"""The grant countdown widget: one anywidget class, its ES module and CSS.

The browser owns the clock: Python syncs the grant's expiry as epoch
milliseconds and ``grant.js`` counts down with ``setInterval``, so the
countdown keeps moving while the kernel is busy with a long query.  Python
owns the truth: the renew and revoke buttons send a custom message that
reaches the grant, and the keeper's events (renewed, near_expiry, expired,
revoked, external_revoke, error) update the synced traits.  ``expires`` is on
the kernel's clock; the browser measures its own clock's offset with one
round trip (a ``clock`` message), so a skewed laptop clock does not lie.

The widget is duck-typed on the grant (``id``, ``incident``, ``reason``,
``expires``, ``state``, ``renewable``, ``leases``, ``renew()``, ``revoke()``)
and on the keeper (``subscribe(callback)``), so it never imports hvac.
Nothing secret is synced: no token, accessor, lease id or credential.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import anywidget
import traitlets

from jitbench import config
from jitbench.errors import JitbenchError

_HERE = Path(__file__).parent


def epoch_ms(value: Any) -> float:
    """Milliseconds since the epoch for a datetime or ISO-8601 text; 0 for None.

    Naive datetimes are taken as UTC, like every time jitbench writes.

    >>> epoch_ms("1970-01-01T00:00:01Z")
    1000.0
    """
    if value is None or value == "":
        return 0.0
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp() * 1000.0


def _field(obj: Any, name: str, default: Any = None) -> Any:
    # Leases arrive as Lease objects from the access layer or as dicts read
    # from local state; both describe the same thing.
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def lease_summary(lease: Any) -> dict:
    """What the widget shows of a lease: kind, role or path, expiry, state, revocable and static marks.

    Deliberately a short allow-list: a lease's id and its values never reach
    the browser or a saved notebook.
    """
    revocable = _field(lease, "revocable_early", True)
    kind = str(_field(lease, "kind", "") or "")
    return {
        "kind": kind,
        "role": str(_field(lease, "role", "") or ""),
        "path": str(_field(lease, "path", "") or ""),
        "expires": epoch_ms(_field(lease, "expires")),
        "state": str(_field(lease, "state", "") or ""),
        "revocable_early": bool(True if revocable is None else revocable),
        # a KV read is a static secret: shown as such, never as just-in-time
        "static": bool(_field(lease, "static", kind == "kv")),
    }


class GrantWidget(anywidget.AnyWidget):
    """A grant's incident, reason, leases and a browser-side countdown with renew/revoke.

    ``GrantWidget(grant, keeper=None)``; the keeper defaults to
    ``grant.keeper`` when the grant carries one. Displaying it in JupyterLab
    shows the live widget; :func:`jitbench.widgets.grant_mimebundle` adds the
    static fallback that exported HTML shows.

    >>> w = GrantWidget(grant, keeper)      # doctest: +SKIP
    >>> w.renew()                           # what the Renew button does
    """

    _esm = _HERE / "grant.js"
    _css = _HERE / "grant.css"

    grant_id = traitlets.Unicode("").tag(sync=True)
    incident = traitlets.Unicode("").tag(sync=True)
    reason = traitlets.Unicode("").tag(sync=True)
    expires = traitlets.Float(0.0, help="epoch milliseconds").tag(sync=True)
    state = traitlets.Unicode("active").tag(sync=True)
    renewable = traitlets.Bool(True).tag(sync=True)
    leases = traitlets.List(traitlets.Dict()).tag(sync=True)
    near_expiry_seconds = traitlets.Float(120.0).tag(sync=True)
    status = traitlets.Unicode("", help="one line: the outcome of the last action or event").tag(sync=True)
    pending = traitlets.Unicode("", help="'renew' or 'revoke' while one runs").tag(sync=True)

    def __init__(self, grant: Any, keeper: Any = None, *, near_expiry_seconds: float | None = None):
        near = config.near_expiry_seconds() if near_expiry_seconds is None else near_expiry_seconds
        super().__init__(near_expiry_seconds=float(near))
        self._grant = grant
        self._keeper: Any = None
        # Keeper events arrive on the keeper's thread while buttons arrive on
        # the kernel's: one lock keeps a refresh from interleaving with another.
        # It is never held while Vault is called, so neither side waits on it.
        self._lock = threading.RLock()
        self._unsubscribe: Callable[[], Any] | None = None
        self.refresh()
        self.on_msg(self._on_frontend_message)
        self.watch(keeper if keeper is not None else getattr(grant, "keeper", None))

    @property
    def grant(self) -> Any:
        """The grant this widget shows."""
        return self._grant

    def watch(self, keeper: Any) -> None:
        """Follow ``keeper``'s events (once; a second keeper replaces the first)."""
        if keeper is None or keeper is self._keeper:
            return
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._keeper = keeper
        unsubscribe = keeper.subscribe(self.on_keeper_event)
        self._unsubscribe = unsubscribe if callable(unsubscribe) else None

    def refresh(self) -> None:
        """Copy the grant's current incident, expiry, state and leases into the synced traits."""
        g = self._grant
        with self._lock, self.hold_sync():
            self.grant_id = str(_field(g, "id", "") or "")
            self.incident = str(_field(g, "incident", "") or "")
            self.reason = str(_field(g, "reason", "") or "")
            self.expires = epoch_ms(_field(g, "expires"))
            self.state = str(_field(g, "state", "active") or "active")
            self.renewable = bool(_field(g, "renewable", True))
            self.leases = [lease_summary(lease) for lease in (_field(g, "leases") or [])]

    def renew(self) -> None:
        """Renew the grant (what the Renew button does); the outcome goes to ``status``."""
        self._run("renew", self._grant.renew)

    def revoke(self) -> None:
        """Revoke the grant and its leases (the Revoke button); waits for the confirmation."""
        self._run("revoke", self._grant.revoke)

    def on_keeper_event(self, event: dict) -> None:
        """Apply one keeper event (``{"type": ..., "grant_id": ...}``) to the widget.

        Events of other grants are ignored, so one keeper may watch several.
        """
        if not isinstance(event, dict):
            return
        grant_id = event.get("grant_id")
        if grant_id is not None and self.grant_id and grant_id != self.grant_id:
            return
        kind = event.get("type")
        self.refresh()
        with self._lock, self.hold_sync():
            if kind == "renewed":
                self.status = f"renewed by the keeper, expires {self._expiry_text()}"
            elif kind == "near_expiry":
                self.status = f"access expires soon ({self._expiry_text()})"
            elif kind == "expired":
                self.state = "expired"
                self.status = "access expired"
            elif kind == "revoked":
                self.state = "revoked"
                self.status = "revoked"
            elif kind == "external_revoke" and event.get("lease_id"):
                # one lease went away; the grant itself lives on
                self.status = f"lease {event.get('path') or ''} was revoked outside jitbench".replace("  ", " ")
            elif kind == "external_revoke":
                self.state = "revoked"
                self.status = "revoked outside jitbench (token no longer valid in Vault)"
            elif kind == "error":
                self.status = str(event.get("message") or event.get("error") or "keeper error")
            elif kind == "recovered":
                self.status = "Vault reachable again"

    def close(self) -> None:
        """Stop listening to the keeper and close the widget's comm."""
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            finally:
                self._unsubscribe = None
        super().close()

    def __repr__(self) -> str:
        return f"GrantWidget({self.grant_id or '?'}, {self.incident!r}, {self.state})"

    # -- internals --------------------------------------------------------------
    def _on_frontend_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        action = content.get("action") if isinstance(content, dict) else None
        if action == "clock":
            # the browser measures its offset from the kernel's clock, which set `expires`
            self.send({"type": "clock", "now": time.time() * 1000.0})
        elif action == "renew":
            self.renew()
        elif action == "revoke":
            self.revoke()

    def _run(self, action: str, call: Callable[[], Any]) -> None:
        before = self.expires
        self.pending = action
        failure = None
        try:
            call()
        except JitbenchError as err:
            # jitbench errors are one line and secret-free by contract.
            failure = f"{action} failed: {err}"
        except Exception as err:  # noqa: BLE001 - a button must never raise into the comm
            # A foreign message may quote a request; only its type is safe to show.
            failure = f"{action} failed ({type(err).__name__})"
        with self._lock, self.hold_sync():
            self.pending = ""
            self.refresh()
            self.status = failure or self._outcome(action, before)

    def _outcome(self, action: str, expires_before: float) -> str:
        if action == "renew" and self.expires <= expires_before:
            # Vault extends a grant only inside its max_ttl; more time is a new grant
            limit = _field(self._grant, "max_expires")
            until = f" ({_utc_text(epoch_ms(limit))})" if limit else ""
            return f"leases renewed; the grant is at the end of its window{until}: request a new grant"
        if action == "renew":
            return f"renewed, expires {self._expiry_text()}"
        if self.state == "active":
            # an attached grant (runbook, CLI) belongs to the process that opened it
            return ("revoked the leases taken here; the grant belongs to its opener "
                    f"(jitbench access revoke {self.grant_id})")
        return "revoked; leases confirmed gone"

    def _expiry_text(self) -> str:
        return _utc_text(self.expires)


def _utc_text(ms: float) -> str:
    if not ms:
        return "never"
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
