"""First signals: per service, what went wrong first in the incident window.

Three kinds of signal, each compared with a baseline (by default everything
before the window): the first error span; the first time bucket in which an
operation's p95 latency exceeded its baseline p99 (a breach, not a single
slow request); and each ``service.version`` first seen in the window but not
in the baseline (a deploy).  Sorted by time, they tell what happened first.
"""
from __future__ import annotations

import pandas as pd

from jitbench.errors import ParameterError
from jitbench.analysis.window import (choose_bucket, data_extent, interval_sql, parse_window,
                                      window_clause)

def _entry(alias: str = "") -> str:
    """Entry spans (one per request): roots, SERVER and CONSUMER spans."""
    return f"({alias}parent_span_id IS NULL OR {alias}kind IN ('SERVER', 'CONSUMER'))"
_VERSION = "json_extract_string(resource_attributes, '$.\"service.version\"')"
COLUMNS = ["time", "service_name", "signal", "detail"]


def first_signals(store, window, baseline=None, *, bucket=None, min_requests: int = 5) -> pd.DataFrame:
    """Per service: ``first error``, ``latency breach`` and ``version change`` rows, oldest first.

    Columns: ``time, service_name, signal, detail``.  A latency breach is the
    first bucket (``bucket`` width, chosen from the window by default) with at
    least ``min_requests`` entry spans of an operation whose p95 exceeds that
    operation's baseline p99.  Feed the result to :func:`jitbench.plots.signals`.

    >>> first_signals(store, ("14:00", "14:30"), baseline=("13:00", "14:00"))     # doctest: +SKIP
                     time service_name           signal  detail
    0 2026-11-29 14:01:10     checkout  version change  service.version 2.4.1 first seen (baseline: 2.4.0)
    """
    win = parse_window(window, store)
    if win is None:
        raise ParameterError("first_signals needs the incident window", hint='pass window=("14:00", "14:30")')
    base = parse_window(baseline, store, name="baseline")
    if base is None:
        extent = data_extent(store)
        base = (extent[0] if extent else win[0] - pd.Timedelta("1h"), win[0])
        if base[1] <= base[0]:
            base = (win[0] - pd.Timedelta("1ns"), win[0])
    if bucket is None:
        extent = data_extent(store)
        hi = min(win[1], extent[1]) if extent else win[1]
        bucket = choose_bucket(win[0], max(hi, win[0] + pd.Timedelta("1s")), target=15)
    in_win, in_base = window_clause(win), window_clause(base)
    errors = store.sql(f"""
        WITH w AS (SELECT * FROM spans WHERE {in_win} AND status_code = 'ERROR'),
             b AS (SELECT service_name, count(*) AS n FROM spans
                   WHERE {in_base} AND status_code = 'ERROR' GROUP BY 1)
        SELECT min(coalesce(w.end_time, w.start_time)) AS time, w.service_name, 'first error' AS signal,
               count(*) || ' error spans in the window (baseline ' || coalesce(any_value(b.n), 0) || '); first: '
               || coalesce(arg_min(w.name, coalesce(w.end_time, w.start_time)), '?') || ': '
               || coalesce(arg_min(w.status_message, coalesce(w.end_time, w.start_time)), 'no message')
               AS detail
        FROM w LEFT JOIN b ON w.service_name IS NOT DISTINCT FROM b.service_name
        GROUP BY w.service_name""")
    breaches = store.sql(f"""
        WITH b AS (
            SELECT service_name, name, quantile_cont(duration_ns, 0.99) AS p99 FROM spans
            WHERE {in_base} AND {_entry()} GROUP BY ALL),
        w AS (
            SELECT s.service_name, s.name, time_bucket({interval_sql(bucket)}, s.start_time::TIMESTAMP) AS bucket,
                   quantile_cont(s.duration_ns, 0.95) AS p95, count(*) AS n, any_value(b.p99) AS p99,
                   min(s.start_time) FILTER (WHERE s.duration_ns > b.p99) AS first_slow
            FROM spans s JOIN b ON s.service_name IS NOT DISTINCT FROM b.service_name
                                AND s.name IS NOT DISTINCT FROM b.name
            WHERE {window_clause(win, "s.start_time")} AND {_entry("s.")}
            GROUP BY ALL HAVING count(*) >= {int(min_requests)}),
        hit AS (SELECT * FROM w WHERE p95 > p99)
        SELECT arg_min(first_slow, bucket) AS time, service_name,
               'latency breach' AS signal,
               arg_min(coalesce(name, '?') || ': p95 ' || round(p95 / 1e6, 1) || ' ms over ' || n
                       || ' requests vs baseline p99 ' || round(p99 / 1e6, 1) || ' ms', bucket) AS detail
        FROM hit GROUP BY service_name""")
    versions = store.sql(f"""
        WITH docs AS (
                 SELECT service_name, resource_attributes, {in_win} AS in_window, min(start_time) AS start_time
                 FROM spans WHERE ({in_win} OR {in_base}) GROUP BY ALL),
             v AS (SELECT service_name, {_VERSION} AS version, in_window, start_time FROM docs
                   WHERE {_VERSION} IS NOT NULL),
             before AS (SELECT service_name, list(DISTINCT version ORDER BY version) AS versions FROM v
                        WHERE NOT in_window GROUP BY 1),
             seen AS (SELECT service_name, version, min(start_time) AS time FROM v WHERE in_window GROUP BY 1, 2)
        SELECT seen.time, seen.service_name, 'version change' AS signal,
               'service.version ' || seen.version || ' first seen (baseline: '
               || coalesce(array_to_string(before.versions, ', '), 'none') || ')' AS detail
        FROM seen LEFT JOIN before ON seen.service_name IS NOT DISTINCT FROM before.service_name
        WHERE before.versions IS NULL OR NOT list_contains(before.versions, seen.version)""")
    frames = [f for f in (errors, breaches, versions) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)[COLUMNS]
    out["time"] = pd.to_datetime(out["time"])
    return out.sort_values(["time", "service_name", "signal"]).reset_index(drop=True)
