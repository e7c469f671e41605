"""The service dependency graph: who calls whom, how often, how badly, how slowly.

An edge is a parent span in one service with a child span in another (the
callee's span is what the caller waited for).  Calls that leave the traced
world - a client span with no child, naming its peer by ``peer.service``,
``db.system``, ``server.address`` or ``net.peer.name`` - become edges to that
peer, so databases and caches appear on the map too.
"""
from __future__ import annotations

import pandas as pd

from jitbench.analysis.window import parse_window, window_clause

_PEER = ("coalesce(json_extract_string(c.attributes, '$.\"peer.service\"'), "
         "json_extract_string(c.attributes, '$.\"db.system\"'), "
         "json_extract_string(c.attributes, '$.\"server.address\"'), "
         "json_extract_string(c.attributes, '$.\"net.peer.name\"'))")


def service_map(store, window=None) -> pd.DataFrame:
    """Caller -> callee edges with ``calls, errors, error_rate, p50_ms, p95_ms, callee_kind``.

    ``callee_kind`` is ``service`` (a traced service) or ``external`` (a peer
    named by a leaf client span's attributes).  Spans without a service name
    appear as ``unknown``.  Busiest edges first.

    >>> service_map(store, window=("14:00", "14:30"))        # doctest: +SKIP
         caller    callee  calls  errors  error_rate  p50_ms  p95_ms callee_kind
    0  frontend  checkout   1200      41       0.034    12.0    95.1     service
    """
    win = window_clause(parse_window(window, store), "c.start_time")
    # ids are joined as one 64-bit hash of (trace, span): a third of the cost of joining two strings
    query = f"""
        WITH s AS MATERIALIZED (
            SELECT hash(trace_id, span_id) AS id, hash(trace_id, parent_span_id) AS pid,
                   parent_span_id IS NOT NULL AS has_parent, coalesce(service_name, 'unknown') AS service,
                   kind, start_time, duration_ns, status_code FROM spans),
        -- a Zipkin id shared by a client and a server half: what runs under it ran in the server,
        -- so the client half is nobody's parent (else every call below it counts twice)
        parents AS (
            SELECT * FROM s WHERE NOT (kind IN ('CLIENT', 'PRODUCER')
                                       AND id IN (SELECT id FROM s WHERE kind IN ('SERVER', 'CONSUMER')))),
        calls AS (
            SELECT p.service AS caller, c.service AS callee, 'service' AS callee_kind, c.duration_ns, c.status_code
            FROM s c JOIN parents p ON c.pid = p.id
            WHERE c.has_parent AND {win} AND p.service <> c.service
            UNION ALL
            SELECT coalesce(c.service_name, 'unknown'), {_PEER} AS peer, 'external', c.duration_ns, c.status_code
            FROM (SELECT *, hash(trace_id, span_id) AS id FROM spans c
                  WHERE {win} AND kind IN ('CLIENT', 'PRODUCER')) c
            -- not a leaf if something ran under it, or if it is the client half of a shared Zipkin id
            ANTI JOIN (SELECT pid AS k FROM s WHERE has_parent
                       UNION ALL SELECT id FROM s WHERE kind IN ('SERVER', 'CONSUMER')) k ON k.k = c.id
            WHERE peer IS NOT NULL AND peer <> coalesce(c.service_name, 'unknown')
        )
        SELECT caller, callee, count(*) AS calls,
               count(*) FILTER (WHERE status_code = 'ERROR') AS errors,
               count(*) FILTER (WHERE status_code = 'ERROR') / count(*) AS error_rate,
               quantile_cont(duration_ns, 0.5) / 1e6 AS p50_ms,
               quantile_cont(duration_ns, 0.95) / 1e6 AS p95_ms,
               any_value(callee_kind) AS callee_kind
        FROM calls GROUP BY caller, callee
        ORDER BY calls DESC, caller, callee"""
    return store.sql(query)
