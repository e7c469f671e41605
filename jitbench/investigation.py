"""The notebook facade: one object tying a grant, a store and the journal.

``jitbench.investigate(...)`` opens (or, under a runbook, attaches to) the
grant, opens the DuckDB store whose loads are journaled under that grant, and
turns on redaction at the source: every value the kernel holds is scrubbed
from its outputs as they are produced, and salted fingerprints of those values
are written for the post-mortem's verification.  Closing it (or the kernel
exiting) revokes what it holds.

Example (in a notebook)::

    import jitbench as jb
    inv = jb.investigate("INC-2041", reason="checkout 5xx since 14:02",
                         window=("2026-11-29T13:45Z", "2026-11-29T14:30Z"), access="30m")
    pg = inv.lease_database("readonly")
    inv.load("traces/*.jsonl.gz")
    inv.sql("select service_name, count(*) from spans group by 1")
    inv.close()
"""
from __future__ import annotations

import atexit
import json
import os
import re
import weakref
from datetime import datetime, timezone
from pathlib import Path

from . import config
from .errors import ConfigError, ParameterError

RUN_DIR_ENV = "JITBENCH_RUN_DIR"  # set by `jitbench run`: where fingerprints and evidence go
PII_ENV = "JITBENCH_REDACT_PII"
PII_SALT_ENV = "JITBENCH_REDACT_SALT"  # hex; the runner's, so report and evidence masks match
EVIDENCE_TABLES = ("spans", "span_events", "span_links", "logs", "sources", "rejects")


def _moment(value, name: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ParameterError(f"window {name}: expected an ISO 8601 time (e.g. 2026-11-29T13:45Z), "
                                 f"got {str(value)[:40]!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_window(window) -> tuple[datetime, datetime] | None:
    """``(start, end)`` as aware UTC datetimes; ``None`` stays ``None``.

    >>> [t.isoformat() for t in parse_window(("2026-11-29T13:45Z", "2026-11-29T14:30:00+00:00"))]
    ['2026-11-29T13:45:00+00:00', '2026-11-29T14:30:00+00:00']
    """
    if window is None:
        return None
    try:
        start, end = window
    except (TypeError, ValueError):
        raise ParameterError(f"window: expected (start, end), got {window!r}") from None
    start, end = _moment(start, "start"), _moment(end, "end")
    if end <= start:
        raise ParameterError(f"window: end {end.isoformat()} is not after start {start.isoformat()}",
                             hint="give the window as (start, end)")
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "evidence"


class Investigation:
    """A grant, a store and the journal for one incident (see :func:`investigate`).

    Attributes: ``grant`` (a :class:`jitbench.access.Grant`), ``store`` (a
    :class:`jitbench.store.Store`), ``keeper`` (renewals and events, or ``None``),
    ``incident``, ``reason``, ``window``.  As the last expression of a cell it
    shows the grant's countdown widget.
    """

    def __init__(self, grant, store, *, window=None, keeper=None, run_dir: Path | None = None):
        self.grant = grant
        self.store = store
        self.keeper = keeper
        self.window = window
        self.incident = grant.incident
        self.reason = grant.reason
        self.run_dir = run_dir
        self.closed = False
        self._evidence: dict[str, object] = {}

    # -- access --------------------------------------------------------------
    def lease_database(self, role: str, mount: str = "database"):
        """Dynamic read-only database credentials for ``role``, a child lease of the grant."""
        lease = self.grant.lease_database(role, mount=mount)
        _publish_fingerprints(grant_id=self.grant.id)
        return lease

    def lease_token(self, role: str):
        """A signed identity token (JWT) for an observability gateway, valid no longer than the grant."""
        lease = self.grant.lease_token(role)
        _publish_fingerprints(grant_id=self.grant.id)
        return lease

    # -- data ----------------------------------------------------------------
    def load(self, source, format: str | None = None, lease=None, **opts):
        """Load files/globs (or an ingest source) into the store; the load is journaled under the grant."""
        return self.store.load(source, format=format, lease=lease, **opts)

    def load_loki(self, url: str, query: str, *, token=None, start=None, end=None, **opts):
        """Load a Loki ``query_range`` over the investigation window (or ``start``/``end``).

        ``token`` may be the lease from :meth:`lease_token`: the load is then
        recorded under that lease and its value is sent as a bearer token, never shown.
        """
        if start is None and end is None:
            if self.window is None:
                raise ParameterError("load_loki needs a time range: this investigation has no window",
                                     hint="pass start=... and end=..., or window=(start, end) to investigate()")
            start, end = self.window
        loader = getattr(self.store, "load_loki", None)
        if loader is not None:
            return loader(url, query, start, end, token=token, **opts)
        from .ingest.http import load_loki
        return load_loki(self.store, url, query, start, end, token=token, **opts)

    def sql(self, query: str, params=None):
        """Run SQL on the store and return a DataFrame."""
        return self.store.sql(query, params)

    def evidence(self, name: str, frame) -> None:
        """Keep ``frame`` (a DataFrame) as an evidence extract of the post-mortem bundle, as ``<name>.parquet``."""
        self._evidence[_safe_name(name)] = frame

    def export_evidence(self, directory: Path) -> list[Path]:
        """Write the store's tables and the kept frames as Parquet under ``directory``, held values removed.

        Scrubbing happens inside DuckDB (one ``replace`` per held value and text
        column) so a large table is not pulled through Python.
        """
        from .access import held_secrets
        from .redact.scrub import MIN_SECRET_LENGTH, variants

        directory.mkdir(parents=True, exist_ok=True)
        forms = sorted({f for v in held_secrets() if len(v) >= MIN_SECRET_LENGTH for f in variants(v)},
                       key=len, reverse=True)
        con = self.store.con
        written = []
        pii = _pii_on()
        if pii:
            from .redact import pii_masker
            mask = pii_masker(_pii_salt())
            try:
                con.create_function("jitbench_pii", lambda t: None if t is None else mask(t), ["VARCHAR"], "VARCHAR",
                                    side_effects=False)
            except Exception:  # already registered on this connection by an earlier export
                pass

        def scrubbed_select(relation: str) -> str:
            cols = con.execute(f"DESCRIBE {relation}").fetchall()
            parts = []
            for name, kind, *_ in cols:
                expr = f'"{name}"'
                if kind in ("VARCHAR", "JSON") or kind.endswith("[]") or kind.startswith(("STRUCT", "MAP")):
                    expr = f"CAST({expr} AS VARCHAR)"
                    for form in forms:
                        expr = f"replace({expr}, {_sql_literal(form)}, '[REDACTED]')"
                    if pii:
                        expr = f"jitbench_pii({expr})"
                parts.append(f'{expr} AS "{name}"')
            return f"SELECT {', '.join(parts)} FROM {relation}"

        for table in EVIDENCE_TABLES:
            if con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]:
                path = directory / f"{table}.parquet"
                con.execute(f"COPY ({scrubbed_select(table)}) TO '{path}' (FORMAT parquet)")
                written.append(path)
        for name, frame in self._evidence.items():
            view = f"_jitbench_evidence_{len(written)}"
            con.register(view, frame)
            try:
                path = directory / f"{name}.parquet"
                con.execute(f"COPY ({scrubbed_select(view)}) TO '{path}' (FORMAT parquet)")
                written.append(path)
            finally:
                con.unregister(view)
        return written

    # -- ending --------------------------------------------------------------
    def close(self) -> None:
        """Revoke what this investigation holds and close the store; safe to call twice.

        Under ``jitbench run`` the evidence extracts are written first, into the run's directory.
        """
        if self.closed:
            return
        self.closed = True
        try:
            if self.run_dir is not None:
                self.export_evidence(self.run_dir / "evidence")
        finally:
            try:
                if self.keeper is not None and hasattr(self.keeper, "stop"):
                    self.keeper.stop()
            finally:
                try:
                    self.grant.close()
                finally:
                    self.store.close()

    def __enter__(self) -> "Investigation":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .widgets import grant_mimebundle
        return grant_mimebundle(self.grant, self.keeper, include=include, exclude=exclude)

    def __repr__(self) -> str:
        window = (f" window={self.window[0]:%Y-%m-%dT%H:%MZ}..{self.window[1]:%Y-%m-%dT%H:%MZ}"
                  if self.window else "")
        return f"<Investigation {self.incident!r}{window} {self.grant!r}>"


def _pii_on() -> bool:
    return os.environ.get(PII_ENV, "") not in ("", "0", "false")


def _pii_salt() -> bytes:
    try:
        return bytes.fromhex(os.environ.get(PII_SALT_ENV, "")) or b"jitbench"
    except ValueError:
        return b"jitbench"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- redaction at the source -------------------------------------------------
_fingerprints = None


def _fingerprint_path(grant_id: str | None) -> Path:
    run_dir = os.environ.get(RUN_DIR_ENV)
    base = Path(run_dir) if run_dir else config.home() / "fingerprints"
    return base / f"fingerprints-{grant_id or 'process'}-{os.getpid()}.json"


def _publish_fingerprints(values=None, grant_id: str | None = None) -> None:
    """Write salted fingerprints of every held value (never the values) for the bundle's verification.

    One file per grant this kernel works under, each with every value the
    process holds: a post-mortem verifies with the files of the grants its
    notebook shows.
    """
    global _fingerprints
    from .access import held_secrets
    from .redact import Fingerprints

    if _fingerprints is None:
        _fingerprints = Fingerprints()
    _fingerprints.add(held_secrets() if values is None else values)
    grant_ids = {inv.grant.id for inv in list(_open) if not inv.closed}
    grant_ids |= {g for g in (grant_id, os.environ.get("JITBENCH_GRANT")) if g}
    data = json.dumps(_fingerprints.to_json())
    for gid in sorted(grant_ids) or [None]:
        path = _fingerprint_path(gid)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(data)
        os.replace(tmp, path)


_open: "weakref.WeakSet[Investigation]" = weakref.WeakSet()


def _close_all() -> None:
    for inv in list(_open):
        try:
            inv.close()
        except Exception:  # at exit there is no one left to tell; Vault's TTL still bounds the grant
            pass


_atexit_registered = False


def investigate(incident: str, reason: str | None = None, window=None, access: str | None = None,
                db=None, *, client=None, keeper: bool = True) -> Investigation:
    """Start an investigation: a grant for ``incident`` and ``reason``, a store, and redaction.

    ``window`` is the incident's ``(start, end)``; ``access`` the grant's TTL
    (default ``JITBENCH_ACCESS_WINDOW`` or 30m); ``db`` a DuckDB file for the
    store (default: in memory).  When ``JITBENCH_GRANT`` is set (a kernel
    started by ``jitbench run``) the investigation attaches to that grant
    instead of opening one, and ``incident`` must match it.

    >>> inv = investigate("INC-7", reason="checkout 5xx since 14:02", access="15m")   # doctest: +SKIP
    """
    global _atexit_registered
    from . import access as acc
    from .redact.ipython import install
    from .store import Store

    window = parse_window(window)
    if os.environ.get("JITBENCH_GRANT"):
        grant = acc.attach(client=client)
        if incident != grant.incident:
            raise ConfigError(f"this kernel runs under grant {grant.id} for {grant.incident!r}, "
                              f"not {incident!r}", hint="use the runbook's incident_id parameter")
    else:
        if not reason:
            raise ParameterError("reason is required to open access",
                                 hint="say why, e.g. reason='checkout 5xx since 14:02'")
        grant = acc.Grant.open(client or acc.connect(), incident=incident, reason=reason,
                               ttl=access or config.default_access_window(), origin="kernel")
    try:
        def journal_load(event: dict) -> None:
            fields = {k: v for k, v in event.items() if k != "grant_id"}
            acc.journal.append("data_load", grant_id=event.get("grant_id") or grant.id, **fields)

        store = Store(db, on_load=journal_load)
        watcher = None
        if keeper:
            try:
                watcher = acc.Keeper(grant).start()
            except (AttributeError, ImportError):
                watcher = None  # an access layer without a keeper: no automatic renewal
        run_dir = os.environ.get(RUN_DIR_ENV)
        inv = Investigation(grant, store, window=window, keeper=watcher,
                            run_dir=Path(run_dir) if run_dir else None)
    except BaseException:
        grant.close()
        raise
    _open.add(inv)
    if inv.run_dir is not None:
        # figures as plotly JSON only: the bundle embeds plotly.js once instead of once per kernel
        import plotly.io as pio
        pio.renderers.default = "plotly_mimetype"
    install(acc.held_secrets, on_change=lambda values: _publish_fingerprints(values), pii=_pii_on(),
            salt=_pii_salt())
    _publish_fingerprints(grant_id=grant.id)
    if not _atexit_registered:
        atexit.register(_close_all)
        _atexit_registered = True
    return inv
