"""Incident vs baseline (BubbleUp): which attribute values set the selection apart.

Every span (or log record) in the selection and in the baseline is unnested
into its attribute values - span attributes, resource attributes, and the
service and span names - and each value is scored by how much more often it
appears in the selection than in the baseline: ``score`` is the difference in
percentage points, ``lift`` the ratio.  A bad ``service.version`` rolled out
to one region shows up as that version (and that region) at the top.
"""
from __future__ import annotations

import pandas as pd

from jitbench.errors import ParameterError
from jitbench.analysis.window import parse_window, window_clause

_TABLES = {
    # table: (time column, error condition, name columns treated as attributes)
    "spans": ("start_time", "status_code = 'ERROR'", {"service.name": "service_name", "span.name": "name",
                                                     "span.kind": "kind", "status.code": "status_code"}),
    "logs": ("time", "severity_number >= 17", {"service.name": "service_name",
                                               "severity": "severity_text"}),
}


def _selection_sql(selection: str, table: str, time_col: str, scope: str) -> str:
    if selection == "errors":
        return _TABLES[table][1]
    if selection == "slow":
        if table != "spans":
            raise ParameterError("selection='slow' needs spans", hint="use table='spans' or selection='errors'")
        # slower than the p95 of the same operation over `scope`
        return (f"duration_ns > (SELECT p FROM (SELECT service_name AS s, name AS n, "
                f"quantile_cont(duration_ns, 0.95) AS p FROM spans WHERE {scope} GROUP BY 1, 2) q "
                f"WHERE q.s IS NOT DISTINCT FROM t.service_name AND q.n IS NOT DISTINCT FROM t.name)")
    return f"({selection})"


def compare(store, baseline=None, *, window=None, selection: str | None = None, keys=None,
            table: str = "spans", limit: int | None = 30, min_count: int = 1) -> pd.DataFrame:
    """Rank attribute values over-represented in a selection vs a baseline, most telling first.

    Two ways to choose what is compared:

    * **incident vs baseline window**: ``compare(store, baseline=(b0, b1), window=(w0, w1))``
      (``window`` defaults to everything after the baseline);
    * **a selection vs the rest**: ``selection="errors"``, ``"slow"`` (slower than the
      operation's p95 in the baseline, or in the window without one) or a SQL condition
      on the table, within ``window``; the rest is the other rows of the window, or the
      rows of the ``baseline`` window outside the selection when given.

    Columns: ``key, value, selected, baseline, selected_pct, baseline_pct, score``
    (percentage points), ``lift``.  ``keys`` limits the attributes looked at (faster).

    >>> compare(store, baseline=("13:00", "13:45")).head()                     # doctest: +SKIP
                 key  value  selected  baseline  selected_pct  baseline_pct  score  lift
    0  service.version  2.4.1      5120         0          23.9           0.0   23.9   inf
    """
    if table not in _TABLES:
        raise ParameterError(f"compare table={table!r} is not known", hint="use 'spans' or 'logs'")
    time_col, _, named = _TABLES[table]
    base = parse_window(baseline, store, name="baseline")
    win = parse_window(window, store)
    if selection is None:
        if base is None:
            raise ParameterError("compare needs a baseline window or a selection",
                                 hint='pass baseline=("13:00", "13:45") or selection="errors"')
        if win is None:
            win = (base[1], pd.Timestamp.max.floor("us"))
        scope = f"({window_clause(win, time_col)} OR {window_clause(base, time_col)})"
        is_selected = window_clause(win, time_col)
    else:
        if not isinstance(selection, str) or not selection.strip():
            raise ParameterError(f"selection {selection!r} is not usable",
                                 hint="use 'errors', 'slow' or a SQL condition such as \"duration_ns > 1e9\"")
        scope_sel = window_clause(win, time_col)
        # "slow" is measured against the baseline's latency when there is one: an incident that slows
        # a quarter of the requests moves the window's own p95 with it
        cond = _selection_sql(selection.strip(), table, time_col,
                              window_clause(base, time_col) if base is not None else scope_sel)
        if base is None:
            scope, is_selected = scope_sel, f"coalesce({cond}, FALSE)"
        else:
            is_selected = f"({scope_sel} AND coalesce({cond}, FALSE))"
            scope = f"({is_selected} OR ({window_clause(base, time_col)} AND NOT coalesce({cond}, FALSE)))"

    if selection is not None and selection.strip() == "errors":
        # the selection's own definition would top the ranking and tell nothing
        named = {k: c for k, c in named.items() if k not in ("status.code", "severity")}
    # JSON is parsed once per distinct document, not once per row: resource attributes repeat on
    # every span of a pod, and span attributes repeat across requests of one route
    json_keys = None
    if keys is not None:
        keys = [keys] if isinstance(keys, str) else list(keys)
        json_keys = [k for k in keys if k not in named]
        named = {k: c for k, c in named.items() if k in keys}
    quote = lambda text: "'" + text.replace("'", "''") + "'"  # noqa: E731
    names = " UNION ALL ".join(f"SELECT sel, {quote(k)} AS key, CAST({c} AS VARCHAR) AS value, count(*) AS n "
                               f"FROM tagged GROUP BY ALL" for k, c in named.items())
    if json_keys is None:
        pairs = """
            SELECT sel, j.key, j.value ->> '$' AS value, n FROM docs, json_each(docs.doc) j
            WHERE NOT (src = 'resource' AND j.key = 'service.name')"""
    elif json_keys:
        paths = ", ".join(quote('$."' + k.replace('"', '\\"') + '"') for k in json_keys)
        pairs = f"""
            SELECT sel, unnest([{", ".join(quote(k) for k in json_keys)}]) AS key,
                   unnest(json_extract_string(doc, [{paths}])) AS value, n FROM docs"""
    else:
        pairs = ""
    unnest = " UNION ALL ".join(p for p in (pairs, names) if p) or "SELECT NULL::BOOLEAN, '', NULL, 0"
    named_cols = "".join(f", {c}" for c in dict.fromkeys(named.values()))
    query = f"""
        WITH tagged AS MATERIALIZED (
            SELECT {is_selected} AS sel, attributes, resource_attributes{named_cols} FROM {table} AS t WHERE {scope}),
        totals AS (SELECT count(*) FILTER (WHERE sel) AS n_sel, count(*) FILTER (WHERE NOT sel) AS n_base
                   FROM tagged),
        docs AS (
            SELECT sel, 'span' AS src, attributes AS doc, count(*) AS n FROM tagged GROUP BY ALL
            UNION ALL
            SELECT sel, 'resource', resource_attributes, count(*) FROM tagged GROUP BY ALL),
        kv AS ({unnest}),
        counted AS (
            SELECT key, value, coalesce(sum(n) FILTER (WHERE sel), 0)::BIGINT AS selected,
                   coalesce(sum(n) FILTER (WHERE NOT sel), 0)::BIGINT AS baseline
            FROM kv WHERE value IS NOT NULL GROUP BY key, value)
        SELECT key, value, selected, baseline,
               100.0 * selected / nullif(n_sel, 0) AS selected_pct,
               100.0 * baseline / nullif(n_base, 0) AS baseline_pct,
               coalesce(100.0 * selected / nullif(n_sel, 0), 0) - coalesce(100.0 * baseline / nullif(n_base, 0), 0)
                   AS score,
               CASE WHEN baseline = 0 THEN 'inf'::DOUBLE
                    ELSE (selected / nullif(n_sel, 0)) / (baseline / nullif(n_base, 0)) END AS lift
        FROM counted, totals
        WHERE selected >= {int(min_count)}
        ORDER BY score DESC, selected DESC, key, value
        {f"LIMIT {int(limit)}" if limit else ""}"""
    return store.sql(query)
