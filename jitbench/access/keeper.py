"""The keeper: a background thread that renews, watches and finally revokes one grant.

Every ``interval`` seconds it looks the grant's token up (learning renewals
made elsewhere, noticing a revoke made from outside), checks each lease still
exists, renews leases running low — only up to the grant's end — and emits
``near_expiry`` and ``expired``.  A failing Vault is an ``error`` event, never a
crash; the next successful round emits ``recovered``.  It revokes the grant on
:meth:`close`, context exit, interpreter exit and SIGTERM.
"""
from __future__ import annotations

import atexit
import logging
import signal
import threading
from datetime import timedelta

from .. import config
from ..errors import AccessError, PermissionDenied
from .durations import iso, now
from .grant import Grant
from .revocation import lease_exists

log = logging.getLogger(__name__)
EVENT_TYPES = ("renewed", "near_expiry", "expired", "revoked", "external_revoke", "error", "recovered")


class Keeper:
    """Keep ``grant`` alive inside its window and tell subscribers what happens to it.

    >>> keeper = Keeper(grant).start()                               # doctest: +SKIP
    >>> keeper.subscribe(lambda event: print(event["type"]))
    """

    def __init__(self, grant: Grant, *, interval: float | None = None, near_expiry: float | None = None,
                 revoke_on_exit: bool = True):
        self.grant = grant
        self.interval = interval if interval is not None else max(1.0, min(15.0, grant.remaining() / 20))
        self.near_expiry = near_expiry if near_expiry is not None else config.near_expiry_seconds()
        self.revoke_on_exit = revoke_on_exit
        self._subscribers: list = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self._warned = False
        self._previous_sigterm = None
        grant.keeper = self  # so that displaying the grant shows this keeper's events

    # -- events ------------------------------------------------------------------------
    def subscribe(self, callback):
        """Call ``callback(event: dict)`` for every event; returns a function that unsubscribes."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _emit(self, type_: str, **fields) -> None:
        event = {"type": type_, "grant_id": self.grant.id, "expires": iso(self.grant.expires),
                 "remaining": round(self.grant.remaining(), 1), **fields}
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken widget must not stop the keeper
                log.exception("keeper subscriber failed on %s", type_)

    # -- one round -----------------------------------------------------------------------
    def tick(self) -> None:
        """One round of watching and renewing (the thread calls this every ``interval`` s)."""
        grant = self.grant
        if grant.state != "active":
            return
        if grant.remaining() <= 0:
            self._end("expired")
            return
        try:
            self._check_token()
            if grant.state != "active":
                return
            self._check_leases()
            renewed = grant.renew_leases(only_below=max(3 * self.interval, 10.0))
            if renewed:
                self._emit("renewed", leases=renewed)
        except AccessError as err:
            if grant.remaining() <= 0:
                self._end("expired")
                return
            self._failing = True
            self._emit("error", error=str(err), error_type=type(err).__name__)
            return
        if self._failing:
            self._failing = False
            self._emit("recovered")
        if not self._warned and grant.remaining() <= self.near_expiry:
            self._warned = True
            self._emit("near_expiry")
        elif self._warned and grant.remaining() > self.near_expiry:
            self._warned = False  # renewed (here or from the lab panel): warn again next time

    def _check_token(self) -> None:
        grant = self.grant
        try:
            with grant._vault("auth/token/lookup-self"):
                ttl = grant._client.auth.token.lookup_self()["data"].get("ttl") or 0
        except PermissionDenied:
            self._end("revoked", external=True)
            return
        grant.expires = min(now() + timedelta(seconds=ttl), grant.max_expires)

    def _check_leases(self) -> None:
        for lease in list(self.grant.leases):
            if lease.state == "active" and lease.lease_id and lease.revocable_early:
                if not lease_exists(self.grant._client, lease.lease_id):
                    lease.state = "revoked"
                    lease.close_connections()
                    self._emit("external_revoke", lease_id=lease.lease_id, path=lease.path)

    def _end(self, how: str, external: bool = False) -> None:
        try:
            self.grant.mark_ended(how)
        except AccessError as err:  # the journal could not be written: still report the end
            self._emit("error", error=str(err), error_type=type(err).__name__)
        self._emit("external_revoke" if external else how)
        self._stop.set()

    # -- running -----------------------------------------------------------------------
    def start(self) -> "Keeper":
        """Start the thread, and revoke at interpreter exit and on SIGTERM (when in the main thread)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"jitbench-keeper-{self.grant.id}", daemon=True)
            self._thread.start()
            if self.revoke_on_exit:
                atexit.register(self._at_exit)
                if threading.current_thread() is threading.main_thread():
                    self._previous_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception as err:  # noqa: BLE001 - a bug must not silently end the watch
                log.exception("keeper round failed for grant %s", self.grant.id)
                self._emit("error", error=f"keeper round failed: {type(err).__name__}", error_type=type(err).__name__)

    def stop(self) -> None:
        """Stop watching without revoking."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def close(self) -> None:
        """Stop watching and revoke the grant (what this process holds of it); emits ``revoked``."""
        self.stop()
        if self.grant.state == "active":
            self.grant.close()
            self._emit("revoked")

    def _at_exit(self) -> None:
        try:
            self.close()
        except Exception as err:  # at exit nobody can catch it: the grant's TTL still bounds the access
            log.warning("jitbench could not revoke grant %s at exit: %s", self.grant.id, err)

    def _on_sigterm(self, signum, frame) -> None:
        self._at_exit()
        previous = self._previous_sigterm
        if callable(previous):
            previous(signum, frame)
        else:
            raise SystemExit(128 + signum)

    def __enter__(self) -> "Keeper":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        running = self._thread is not None and self._thread.is_alive()
        return f"<Keeper {self.grant.id} {'running' if running else 'stopped'} every {self.interval:g}s>"
