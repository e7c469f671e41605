"""Request rate, error rate and latency percentiles over time buckets.

Requests are counted on entry spans (roots, SERVER and CONSUMER spans) by
default, so one request is one row however many internal spans it makes;
``spans="all"`` counts every span instead.
"""
from __future__ import annotations

import pandas as pd

from jitbench.errors import ParameterError
from jitbench.analysis.window import (choose_bucket, data_extent, interval_sql, parse_window, to_timedelta,
                                      window_clause)

_GROUPS = {"service": ["service_name"], "operation": ["service_name", "name"], None: []}
_ENTRY = "(parent_span_id IS NULL OR kind IN ('SERVER', 'CONSUMER'))"


def timeline(store, by: str | None = "service", *, window=None, bucket=None, spans: str = "entry") -> pd.DataFrame:
    """Per time bucket (and service, or service and operation): rate, errors and latency.

    Columns: ``bucket`` (start, UTC), the group columns, ``requests``,
    ``errors``, ``error_rate``, ``rate_per_s``, ``p50_ms``, ``p90_ms``,
    ``p99_ms``.  ``bucket`` is a width such as ``"30s"`` or ``"5min"``; by
    default one giving about 120 buckets over the window (or the data).

    >>> timeline(store, "operation", window=("13:45", "14:30"), bucket="1min")   # doctest: +SKIP
    """
    if by not in _GROUPS:
        raise ParameterError(f"timeline by={by!r} is not known", hint="use 'service', 'operation' or None")
    if spans not in ("entry", "all"):
        raise ParameterError(f"timeline spans={spans!r} is not known", hint="use 'entry' or 'all'")
    win = parse_window(window, store)
    if bucket is None:
        extent = data_extent(store)
        if extent is None:
            return pd.DataFrame(columns=["bucket", *_GROUPS[by], "requests", "errors", "error_rate",
                                         "rate_per_s", "p50_ms", "p90_ms", "p99_ms"])
        lo = max(extent[0], win[0]) if win else extent[0]
        hi = min(extent[1], win[1]) if win else extent[1]
        bucket = choose_bucket(lo, hi)
    seconds = to_timedelta(bucket, name="bucket").total_seconds()
    if seconds <= 0:
        raise ParameterError(f"bucket {bucket!r} is empty", hint='use e.g. "1min"')
    groups = _GROUPS[by]
    cols = "".join(f"{g}, " for g in groups)
    where = f"{window_clause(win)} AND start_time IS NOT NULL" + (f" AND {_ENTRY}" if spans == "entry" else "")
    query = f"""
        SELECT time_bucket({interval_sql(bucket)}, start_time::TIMESTAMP) AS bucket, {cols}
               count(*) AS requests,
               count(*) FILTER (WHERE status_code = 'ERROR') AS errors,
               count(*) FILTER (WHERE status_code = 'ERROR') / count(*) AS error_rate,
               count(*) / {seconds} AS rate_per_s,
               quantile_cont(duration_ns, [0.5, 0.9, 0.99]) AS q
        FROM spans WHERE {where}
        GROUP BY ALL ORDER BY bucket{"".join(f", {g}" for g in groups)}"""
    df = store.sql(query)
    q = df.pop("q")
    for i, name in enumerate(("p50_ms", "p90_ms", "p99_ms")):
        df[name] = [v[i] / 1e6 if hasattr(v, "__getitem__") and v[i] is not None else None for v in q]
    return df
