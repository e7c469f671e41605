"""Store methods for sources reached over the network: Loki, Tempo, Jaeger and PostgreSQL.

Thin: each method hands over to :mod:`jitbench.ingest.http` or
:mod:`jitbench.ingest.postgres`, imported only when called, so a store that
only reads files never imports ``requests`` or ``psycopg``.
"""
from __future__ import annotations


class RemoteLoads:
    """``load_loki``, ``load_tempo``, ``load_jaeger`` and ``load_postgres`` for :class:`~jitbench.store.Store`."""

    def load_loki(self, url: str, query: str, start, end, *, token=None, headers=None, lease=None, **opts):
        """Every log line of a LogQL ``query`` in ``[start, end)`` into ``logs``, paging past Loki's limit.

        >>> store.load_loki("http://loki:3100", '{app="checkout"}', "2026-11-29T13:45Z",
        ...                 "2026-11-29T14:30Z", token=jwt)            # doctest: +SKIP
        """
        from ..ingest.http import load_loki
        return load_loki(self, url, query, start, end, token=token, headers=headers, lease=lease, **opts)

    def load_tempo(self, url: str, trace_ids=None, *, query: str | None = None, start=None, end=None,
                   token=None, headers=None, lease=None, **opts):
        """Traces from Tempo by id, or found by a TraceQL ``query`` in ``[start, end)``, into ``spans``."""
        from ..ingest.http import load_tempo
        return load_tempo(self, url, trace_ids, query=query, start=start, end=end, token=token,
                          headers=headers, lease=lease, **opts)

    def load_jaeger(self, url: str, service: str | None = None, *, trace_ids=None, start=None, end=None,
                    token=None, headers=None, lease=None, **opts):
        """Traces from Jaeger's ``/api/traces`` (a service in a window, or by id) into ``spans``."""
        from ..ingest.http import load_jaeger
        return load_jaeger(self, url, service, trace_ids=trace_ids, start=start, end=end, token=token,
                           headers=headers, lease=lease, **opts)

    def load_postgres(self, credentials, query: str, table: str, **opts):
        """The rows of a PostgreSQL ``query`` (run with leased credentials) into a new table ``table``.

        >>> store.load_postgres(inv.lease_database("readonly"), "select * from orders", "orders",
        ...                     host="db.internal", database="shop")   # doctest: +SKIP
        """
        from ..ingest.postgres import load_postgres
        return load_postgres(self, credentials, query, table, **opts)
