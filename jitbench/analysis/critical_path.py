"""The critical path of a trace: the chain of spans that set its end-to-end latency.

Jaeger's algorithm: start at the root's end and walk back.  At each span take
the child that finished last before the current point; the gap between that
child's end and the current point is the span's own (self) time on the path;
descend into the child; when a span has no earlier-finishing child left, the
rest back to its start is self time and the walk returns to its parent at the
child's start.  Children are clipped to their parent first, because clock skew
makes children outlive parents in real traces.  The sum of the self times is
the root's duration.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from jitbench.analysis.spantree import build_tree, children_of, read_trace

_PATH_COLUMNS = ["span_id", "service_name", "name", "kind", "depth", "start_time", "offset_ms",
                 "duration_ms", "critical_ms", "share", "status_code", "node"]


def path_of_tree(tree: pd.DataFrame, root: int | None = None) -> pd.DataFrame:
    """The critical path of an already built tree (see :func:`critical_path`).

    ``root`` is a node to start from (default: the longest root span, so an
    orphaned fragment does not win over the real root).

    >>> path_of_tree(trace_tree(store, trace_id))              # doctest: +SKIP
    """
    by_node = tree.set_index("node", drop=False).sort_index()
    start = by_node["start_ns"].to_numpy()
    end = by_node["end_ns"].to_numpy()
    parent = by_node["parent_node"].to_numpy()
    known = ~(np.isnan(start) | np.isnan(end))
    if root is None:
        roots = [i for i in range(len(by_node)) if parent[i] < 0 and known[i]]
        if not roots:
            return pd.DataFrame(columns=_PATH_COLUMNS)
        root = max(roots, key=lambda i: (not by_node["orphan"].iat[i], end[i] - start[i]))
    # clip every child into its parent, top-down, so skew cannot extend the path
    c_start, c_end = start.copy(), end.copy()
    kids = children_of(by_node)
    stack = [root]
    while stack:
        i = stack.pop()
        for c in kids.get(i, []):
            if known[c]:
                c_start[c] = min(max(c_start[c], c_start[i]), c_end[i])
                c_end[c] = max(min(c_end[c], c_end[i]), c_start[c])
                stack.append(c)
    # a child squeezed to nothing by the clipping (it started after its parent ended) blocks nothing
    ordered = {i: sorted((c for c in kids.get(i, []) if known[c] and (c_end[c] > c_start[c] or end[c] == start[c])),
                         key=lambda c: c_end[c], reverse=True)
               for i in range(len(by_node))}

    critical = np.zeros(len(by_node))
    on_path: list[int] = []
    seen: set[int] = set()
    node, bound, returning = root, c_end[root], False
    while True:
        if node not in seen:
            seen.add(node)
            on_path.append(node)
        # on the way back up only children that ended strictly before the returning child started count
        child = next((c for c in ordered[node] if (c_end[c] < bound if returning else c_end[c] <= bound)), None)
        if child is not None:
            critical[node] += bound - c_end[child]
            node, bound, returning = child, c_end[child], False
            continue
        critical[node] += max(bound - c_start[node], 0.0)
        if node == root:
            break
        node, bound, returning = int(parent[node]), c_start[node], True

    rows = by_node.iloc[on_path].copy()
    rows["critical_ms"] = critical[on_path] / 1e6
    total = (c_end[root] - c_start[root]) / 1e6
    rows["share"] = rows["critical_ms"] / total if total > 0 else np.nan
    return rows[_PATH_COLUMNS].sort_values(["start_time", "depth"]).reset_index(drop=True)


def critical_path(store, trace_id: str) -> pd.DataFrame:
    """The critical path of one trace, one row per span on it, in start order.

    ``critical_ms`` is the span's self time on the path (time it, not a
    child, was what the trace waited for); ``share`` is that over the root's
    duration.  The spans with the largest ``critical_ms`` are where to look.

    >>> cp = critical_path(store, "4bf92f3577b34da6a3ce929d0e0e4736")      # doctest: +SKIP
    >>> cp.sort_values("critical_ms", ascending=False).head(3)           # doctest: +SKIP
    """
    return path_of_tree(build_tree(read_trace(store, trace_id)))
