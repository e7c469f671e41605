"""Logs joined to the spans they belong to.

A log record carrying a span id belongs to that span; one carrying only a
trace id belongs to the span of that trace that was running when it was
written; one carrying neither (plain-text logs, older libraries) is matched
by service and time, to the span running within ``tolerance`` of it, because
clocks of different hosts disagree by a little.  ``match`` says which rule
applied, ``shift_ms`` how far outside the span the record was written.
"""
from __future__ import annotations

import pandas as pd

from jitbench.analysis.window import parse_window, to_timedelta, window_clause

DEFAULT_SPANS = "status_code = 'ERROR'"
_COLUMNS = ("l.time, l.severity_text, l.service_name, l.body, l.trace_id AS log_trace_id, "
            "l.span_id AS log_span_id, s.trace_id, s.span_id, s.service_name AS span_service, "
            "s.name AS span_name, s.status_code AS span_status")


def logs_for_spans(store, trace_id: str | None = None, *, where: str | None = None, window=None,
                   tolerance="1s") -> pd.DataFrame:
    """The log records of the chosen spans, oldest first, each with the span it belongs to.

    The spans are those of ``trace_id``, or those matching the SQL condition
    ``where`` on ``spans`` (default: the failing spans, ``status_code = 'ERROR'``)
    starting in ``window``.  Columns: ``time, severity_text, service_name, body,
    log_trace_id, log_span_id, trace_id, span_id, span_service, span_name,
    span_status, match`` (``span``, ``trace`` or ``time``), ``shift_ms``.

    >>> logs_for_spans(store, "4bf92f3577b34da6a3ce929d0e0e4736")             # doctest: +SKIP
    >>> logs_for_spans(store, window=("14:00", "14:30"), tolerance="2s")      # doctest: +SKIP
    """
    tol_ns = int(to_timedelta(tolerance, name="tolerance").value)
    win = parse_window(window, store)
    conds = [window_clause(win)]
    params = []
    if trace_id is not None:
        conds.append("trace_id = ?")
        params.append(str(trace_id).strip().lower())
    if where is not None or trace_id is None:
        conds.append(f"({where or DEFAULT_SPANS})")
    shift = ("greatest(epoch_ns(s.start_time) - epoch_ns(l.time), epoch_ns(l.time) - epoch_ns(s.end_time), 0)"
             " / 1e6")
    inside = (f"l.time >= s.start_time - INTERVAL ({tol_ns // 1000}) MICROSECONDS "
              f"AND l.time <= s.end_time + INTERVAL ({tol_ns // 1000}) MICROSECONDS")
    query = f"""
        WITH s AS MATERIALIZED (
            SELECT trace_id, span_id, service_name, name, status_code, start_time, end_time,
                   duration_ns FROM spans WHERE {" AND ".join(conds)}),
        by_span AS (
            SELECT {_COLUMNS}, 'span' AS match, {shift} AS shift_ms, l.rowid AS log_row, 0 AS rn
            FROM logs l JOIN s ON l.trace_id = s.trace_id AND l.span_id = s.span_id),
        by_trace AS (
            SELECT {_COLUMNS}, 'trace' AS match, {shift} AS shift_ms, l.rowid AS log_row,
                   row_number() OVER (PARTITION BY l.rowid ORDER BY {shift}, s.duration_ns) AS rn
            FROM logs l JOIN s ON l.trace_id = s.trace_id
            WHERE (l.span_id IS NULL OR l.span_id = '') AND {inside}),
        by_time AS (
            SELECT {_COLUMNS}, 'time' AS match, {shift} AS shift_ms, l.rowid AS log_row,
                   row_number() OVER (PARTITION BY l.rowid ORDER BY {shift}, s.duration_ns) AS rn
            FROM logs l JOIN s ON l.service_name = s.service_name
            WHERE (l.trace_id IS NULL OR l.trace_id = '') AND {inside})
        SELECT * EXCLUDE (log_row, rn) FROM (
            SELECT * FROM by_span UNION ALL
            SELECT * FROM by_trace WHERE rn = 1 UNION ALL
            SELECT * FROM by_time WHERE rn = 1)
        ORDER BY time, log_row"""
    return store.sql(query, params or None)
