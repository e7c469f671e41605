"""Compare a good and a bad trace of the same operation: what appeared, vanished or grew.

Spans are matched by their path from the root (``service:name`` of each
ancestor), not by id, because two requests never share span ids but do share
their call structure.  Repeated calls on one path are summed.
"""
from __future__ import annotations

import pandas as pd

from jitbench.analysis.spantree import build_tree, read_trace

COLUMNS = ["path", "service_name", "name", "depth", "change", "good_count", "bad_count", "good_ms", "bad_ms",
           "delta_ms", "bad_errors"]


def _paths(tree: pd.DataFrame) -> pd.DataFrame:
    by_node = tree.set_index("node", drop=False).sort_index()
    label = (by_node["service_name"].fillna("?") + ":" + by_node["name"].fillna("?")).to_numpy()
    parent = by_node["parent_node"].to_numpy()
    paths: list[str] = [""] * len(by_node)
    for node in tree["node"]:  # depth-first order: a parent's path is known before its children
        p = parent[node]
        paths[node] = label[node] if p < 0 else f"{paths[p]} > {label[node]}"
    out = by_node.assign(path=paths)
    return out.groupby("path", as_index=False).agg(
        service_name=("service_name", "first"), name=("name", "first"), depth=("depth", "first"),
        count=("node", "size"), ms=("duration_ms", "sum"), errors=("is_error", "sum"))


def compare_traces(store, good: str, bad: str, *, grew: float = 0.2, min_ms: float = 1.0) -> pd.DataFrame:
    """Span paths of trace ``good`` vs trace ``bad``, biggest change first.

    ``change`` is ``appeared`` (only in bad), ``vanished`` (only in good),
    ``grew``/``shrank`` (total time on the path changed by more than ``grew``
    (a fraction) and ``min_ms``), or ``same``.  Columns: ``path, service_name,
    name, depth, change, good_count, bad_count, good_ms, bad_ms, delta_ms,
    bad_errors``.

    >>> compare_traces(store, good="5b8e...", bad="9f3a...").head()       # doctest: +SKIP
    """
    g = _paths(build_tree(read_trace(store, good)))
    b = _paths(build_tree(read_trace(store, bad)))
    m = g.merge(b, on="path", how="outer", suffixes=("_g", "_b"))
    out = pd.DataFrame({
        "path": m["path"],
        "service_name": m["service_name_b"].combine_first(m["service_name_g"]),
        "name": m["name_b"].combine_first(m["name_g"]),
        "depth": m["depth_b"].combine_first(m["depth_g"]).astype("int64"),
        "good_count": m["count_g"].fillna(0).astype("int64"),
        "bad_count": m["count_b"].fillna(0).astype("int64"),
        "good_ms": m["ms_g"].fillna(0.0),
        "bad_ms": m["ms_b"].fillna(0.0),
        "bad_errors": m["errors_b"].fillna(0).astype("int64"),
    })
    out["delta_ms"] = out["bad_ms"] - out["good_ms"]
    big = (out["delta_ms"].abs() >= min_ms) & (out["delta_ms"].abs() > grew * out["good_ms"])
    out["change"] = "same"
    out.loc[big & (out["delta_ms"] > 0), "change"] = "grew"
    out.loc[big & (out["delta_ms"] < 0), "change"] = "shrank"
    out.loc[out["good_count"] == 0, "change"] = "appeared"
    out.loc[out["bad_count"] == 0, "change"] = "vanished"
    out = out.reindex(out["delta_ms"].abs().sort_values(ascending=False).index)
    return out[COLUMNS].reset_index(drop=True)
