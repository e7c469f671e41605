"""Which traces to look at, and one trace laid out as a tree.

``worst_traces`` ranks whole traces in SQL (one pass over ``spans``);
``trace_tree`` and ``trace_events`` read a single trace for the waterfall.
"""
from __future__ import annotations

import pandas as pd

from jitbench.errors import ParameterError
from jitbench.analysis.spantree import build_tree, read_trace
from jitbench.analysis.window import parse_window, window_clause

_ORDER = {
    "duration": "duration_ms DESC NULLS LAST, errors DESC",
    "errors": "errors DESC, duration_ms DESC NULLS LAST",
}


def worst_traces(store, by: str = "duration", *, limit: int = 20, window=None, service: str | None = None,
                 failing: bool | None = None) -> pd.DataFrame:
    """The slowest (``by="duration"``) or most failing (``by="errors"``) traces, worst first.

    One row per trace: ``trace_id, root_service, root_name, start_time,
    duration_ms, spans, errors, services``.  ``window`` keeps traces with spans
    starting in it, ``service`` traces touching that service, ``failing=True``
    only traces with an error span (the default for ``by="errors"``).

    >>> worst_traces(store, "errors", window=("14:00", "14:30"), limit=5)     # doctest: +SKIP
    """
    if by not in _ORDER:
        raise ParameterError(f"worst_traces by={by!r} is not known", hint=f"use one of {sorted(_ORDER)}")
    if not isinstance(limit, int) or limit < 1:
        raise ParameterError(f"limit {limit!r} is not a positive integer", hint="use e.g. limit=20")
    failing = (by == "errors") if failing is None else failing
    win = parse_window(window, store)
    having = ["count(*) FILTER (WHERE status_code = 'ERROR') > 0"] if failing else []
    if service is not None:
        having.append("bool_or(service_name = ?)")
    # rank on cheap aggregates first; name the root and count services only for the traces kept
    query = f"""
        WITH t AS (
            SELECT trace_id, min(start_time) AS start_time,
                   (epoch_ns(max(end_time)) - epoch_ns(min(start_time))) / 1e6 AS duration_ms,
                   count(*) AS spans, count(*) FILTER (WHERE status_code = 'ERROR') AS errors
            FROM spans WHERE {window_clause(win)}
            GROUP BY trace_id
            {"HAVING " + " AND ".join(having) if having else ""}
            ORDER BY {_ORDER[by]}, trace_id LIMIT {limit}),
        d AS (
            SELECT trace_id,
                   coalesce(arg_min(service_name, start_time) FILTER (WHERE parent_span_id IS NULL),
                            arg_min(service_name, start_time)) AS root_service,
                   coalesce(arg_min(name, start_time) FILTER (WHERE parent_span_id IS NULL),
                            arg_min(name, start_time)) AS root_name,
                   count(DISTINCT service_name) AS services
            FROM spans WHERE trace_id IN (SELECT trace_id FROM t) AND {window_clause(win)}
            GROUP BY trace_id)
        SELECT trace_id, root_service, root_name, start_time, duration_ms, spans, errors, services
        FROM t JOIN d USING (trace_id)
        ORDER BY {_ORDER[by]}, trace_id"""
    return store.sql(query, [service] if service is not None else None)


def trace_tree(store, trace_id: str) -> pd.DataFrame:
    """The spans of one trace in depth-first order, with depth, offsets and self time.

    Columns include ``depth, service_name, name, kind, offset_ms, duration_ms,
    self_ms, status_code, status_message, is_error, orphan, node, parent_node``
    (see :func:`jitbench.analysis.spantree.build_tree`).  Feed it to
    :func:`jitbench.plots.waterfall`.

    >>> tree = trace_tree(store, worst_traces(store).trace_id[0])          # doctest: +SKIP
    >>> tree[["depth", "service_name", "name", "duration_ms", "self_ms"]]  # doctest: +SKIP
    """
    return build_tree(read_trace(store, trace_id))


def trace_events(store, trace_id: str) -> pd.DataFrame:
    """The span events of one trace (exceptions, retries, ...), oldest first.

    Columns: ``span_id, time, name, attributes`` (JSON text); empty when the
    trace has none.

    >>> trace_events(store, trace_id)                 # doctest: +SKIP
    """
    return store.sql("SELECT span_id, time, name, attributes FROM span_events WHERE trace_id = ? "
                     "ORDER BY time, span_id", [str(trace_id).strip().lower()])
