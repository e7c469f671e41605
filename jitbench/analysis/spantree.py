"""One trace as a tree: the rows of a trace, their parents, depth and order.

A single trace is small (tens to thousands of spans), so after one indexed
DuckDB read the tree is walked in Python.  Real traces are messy and the tree
must not break on them: Zipkin RPC halves share one span id (the server half
is nested under the client half), exports repeat a span byte for byte (kept
once), a parent may be missing from the store (the span becomes a root marked
``orphan``), times may be missing, and a corrupt parent chain may loop.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from jitbench.errors import ParameterError

SPAN_COLUMNS = ("trace_id, span_id, parent_span_id, service_name, name, kind, start_time, end_time, "
                "duration_ns, status_code, status_message, attributes, resource_attributes")

# the half of a shared Zipkin id that calls comes first; the half that serves nests under it
_KIND_ORDER = {"CLIENT": 0, "PRODUCER": 0, "SERVER": 1, "CONSUMER": 1}


def read_trace(store, trace_id: str) -> pd.DataFrame:
    """The rows of one trace from the ``spans`` table, as stored.

    Raises :class:`ParameterError` when the store has no span of ``trace_id``.

    >>> read_trace(store, "4bf92f3577b34da6a3ce929d0e0e4736")    # doctest: +SKIP
    """
    if not isinstance(trace_id, str) or not trace_id.strip():
        raise ParameterError(f"trace id {trace_id!r} is not a hex string",
                             hint="pick one from jitbench.analysis.worst_traces(store)")
    df = store.sql(f"SELECT {SPAN_COLUMNS} FROM spans WHERE trace_id = ?", [trace_id.strip().lower()])
    if df.empty:
        raise ParameterError(f"trace {trace_id} is not in the store",
                             hint="pick one from jitbench.analysis.worst_traces(store)")
    return df


def _ns_since(col: pd.Series, t0: int) -> np.ndarray:
    """Nanoseconds after ``t0`` as floats: exact (unlike epoch floats) for any trace under 104 days."""
    values = pd.to_datetime(col).astype("datetime64[ns]")
    missing = values.isna().to_numpy()
    out = (values.to_numpy().astype("int64") - t0).astype("float64")
    out[missing] = np.nan
    return out


def build_tree(rows: pd.DataFrame) -> pd.DataFrame:
    """Link the rows of one trace into a tree, in depth-first order of start time.

    Adds ``node`` (row key), ``parent_node`` (-1 for a root), ``depth``,
    ``orphan`` (the parent is not in the store), ``start_ns``/``end_ns`` (nanoseconds
    after the trace's first start, NaN when unknown), ``offset_ms`` (from the trace's start),
    ``duration_ms``, ``self_ms`` (time not covered by any child) and ``is_error``.

    >>> tree = build_tree(read_trace(store, trace_id))            # doctest: +SKIP
    >>> tree[["depth", "service_name", "name", "duration_ms"]]    # doctest: +SKIP
    """
    df = rows.drop_duplicates(subset=["span_id", "parent_span_id", "service_name", "name", "kind",
                                      "start_time", "end_time"]).reset_index(drop=True)
    first = pd.to_datetime(df["start_time"]).min()
    t0 = 0 if pd.isna(first) else pd.Timestamp(first).value
    start = _ns_since(df["start_time"], t0)
    end = _ns_since(df["end_time"], t0)
    dur = pd.to_numeric(df["duration_ns"], errors="coerce").to_numpy(dtype="float64")
    end = np.where(np.isnan(end) & ~np.isnan(start) & ~np.isnan(dur), start + dur, end)
    dur = np.where(np.isnan(dur), end - start, dur)

    n = len(df)
    kinds = df["kind"].fillna("").str.upper().map(lambda k: _KIND_ORDER.get(k, 2)).to_numpy()
    # one chain per span id: the calling half first, the serving half under it
    chains: dict[str, list[int]] = {}
    order_key = sorted(range(n), key=lambda i: (kinds[i], np.nan_to_num(start[i], nan=np.inf)))
    for i in order_key:
        chains.setdefault(df.at[i, "span_id"], []).append(i)
    parent = np.full(n, -1, dtype=np.int64)
    orphan = np.zeros(n, dtype=bool)
    for span_id, chain in chains.items():
        for prev, cur in zip(chain, chain[1:]):
            parent[cur] = prev
        head = chain[0]
        pid = df.at[head, "parent_span_id"]
        if isinstance(pid, str) and pid and pid != span_id:
            if pid in chains:
                parent[head] = chains[pid][-1]
            else:
                orphan[head] = True

    children: dict[int, list[int]] = {}
    for i in range(n):
        children.setdefault(int(parent[i]), []).append(i)
    by_start = lambda i: (np.nan_to_num(start[i], nan=np.inf), i)  # noqa: E731
    depth = np.zeros(n, dtype=np.int64)
    order = np.full(n, -1, dtype=np.int64)
    seen = 0
    roots = sorted(children.get(-1, []), key=by_start)
    pending = list(range(n))
    while seen < n:
        stack = list(reversed(roots))
        while stack:
            i = stack.pop()
            if order[i] >= 0:
                continue
            order[i] = seen
            seen += 1
            for c in sorted(children.get(i, []), key=by_start, reverse=True):
                if order[c] < 0:
                    depth[c] = depth[i] + 1
                    stack.append(c)
        # spans caught in a parent loop: cut the loop at its earliest span
        left = [i for i in pending if order[i] < 0]
        pending = left
        if left:
            first = min(left, key=by_start)
            parent[first] = -1
            depth[first] = 0
            roots = [first]

    out = df.assign(node=np.arange(n), parent_node=parent, depth=depth, order=order, orphan=orphan,
                    start_ns=start, end_ns=end, offset_ms=start / 1e6, duration_ms=dur / 1e6,
                    is_error=df["status_code"].fillna("").str.upper().eq("ERROR"))
    out["self_ms"] = _self_ms(out, children)
    return out.sort_values("order").reset_index(drop=True)


def _self_ms(tree: pd.DataFrame, children: dict[int, list[int]]) -> np.ndarray:
    """Duration minus the union of the children's intervals, clipped to the span."""
    start, end = tree["start_ns"].to_numpy(), tree["end_ns"].to_numpy()
    out = np.full(len(tree), np.nan)
    for i in range(len(tree)):
        if np.isnan(start[i]) or np.isnan(end[i]):
            continue
        spans = sorted((max(start[c], start[i]), min(end[c], end[i])) for c in children.get(i, [])
                       if not (np.isnan(start[c]) or np.isnan(end[c])))
        covered, cur_s, cur_e = 0.0, None, None
        for s, e in spans:
            if e <= s:
                continue
            if cur_e is None or s > cur_e:
                covered += 0 if cur_e is None else cur_e - cur_s
                cur_s, cur_e = s, e
            else:
                cur_e = max(cur_e, e)
        covered += 0 if cur_e is None else cur_e - cur_s
        out[i] = max(end[i] - start[i] - covered, 0.0) / 1e6
    return out


def children_of(tree: pd.DataFrame) -> dict[int, list[int]]:
    """Map each node to its child nodes (``-1`` maps to the roots).

    >>> children_of(build_tree(rows))[-1]                       # doctest: +SKIP
    [0]
    """
    out: dict[int, list[int]] = {}
    for node, parent in zip(tree["node"].to_numpy(), tree["parent_node"].to_numpy()):
        out.setdefault(int(parent), []).append(int(node))
    return out
