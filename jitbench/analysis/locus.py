"""Root-cause locus: the span where a trace's failure or delay originates.

The deepest error status is often the wrong answer.  A proxy that gives up
on a slow upstream carries the only ERROR, while the upstream span that ran
into the timeout says OK (a masked error); several siblings may fail, and the
first to fail is the origin, the rest follow.  So, for a failing trace: take
the error spans with no failing descendant (the originating errors); unmask
each one whose time went into a child that looks timed out (the parent's
message says timeout, the child's duration is a round timeout value, or the
child ran until the parent failed); then rank them by when they failed.  For
a trace without errors: the span with the most self time on the critical path.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from jitbench.analysis.critical_path import path_of_tree
from jitbench.analysis.spantree import build_tree, children_of, read_trace

_TIMEOUT_WORDS = re.compile(r"time[ds]?[ -]?out|timed out|deadline|\b504\b|\b408\b", re.IGNORECASE)
_ROUND_TIMEOUTS_S = (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 20, 30, 60, 120, 300)
COLUMNS = ["rank", "trace_id", "span_id", "service_name", "name", "locus", "start_time", "duration_ms",
           "self_ms", "failed_at", "evidence"]


def _ms(ns: float) -> str:
    return "an unknown time" if np.isnan(ns) else f"{ns / 1e6:,.1f} ms"


def _round_timeout(duration_ns: float) -> float | None:
    for seconds in _ROUND_TIMEOUTS_S:
        if abs(duration_ns - seconds * 1e9) <= 0.02 * seconds * 1e9:
            return seconds
    return None


def _text(value, default: str = "no message") -> str:
    """A message for the evidence; NULLs arrive from pandas as None or NaN."""
    return default if value is None or (isinstance(value, float) and np.isnan(value)) or value == "" else str(value)


def _label(row) -> str:
    return f"{_text(row.service_name, '?')} / {_text(row['name'], '?')}"


def _heaviest_below(tree: pd.DataFrame, node: int):
    """The span with the most critical-path self time in ``node``'s subtree."""
    path = path_of_tree(tree, root=node)
    if path.empty:
        return None, 0.0
    best = path.loc[path["critical_ms"].idxmax()]
    return int(best["node"]), float(best["critical_ms"])


def _unmask(tree: pd.DataFrame, by_node: pd.DataFrame, kids: dict, origin: int):
    """The child an error span was waiting on when it failed, when it looks timed out."""
    o = by_node.loc[origin]
    if np.isnan(o.start_ns) or np.isnan(o.end_ns) or o.end_ns <= o.start_ns:
        return None
    parent_dur = o.end_ns - o.start_ns
    says_timeout = bool(_TIMEOUT_WORDS.search(_text(o.status_message, "")))
    tolerance = max(1e6, 0.05 * parent_dur)
    best = None
    for c in kids.get(origin, []):
        ch = by_node.loc[c]
        if np.isnan(ch.start_ns) or np.isnan(ch.end_ns):
            continue
        dur = ch.end_ns - ch.start_ns
        if dur < 0.5 * parent_dur:  # the parent was not mostly waiting on this child
            continue
        until_failure = ch.end_ns >= o.end_ns - tolerance
        round_s = _round_timeout(dur)
        if not (says_timeout or round_s or until_failure):
            continue
        why = [f"{_label(o)} is the only failing span here ({_text(o.status_message)})",
               f"but it spent {_ms(dur)} of its {_ms(parent_dur)} waiting on {_label(ch)} "
               f"(status {_text(ch.status_code, 'UNSET')})"]
        if round_s:
            why.append(f"a duration matching a {round_s:g} s timeout")
        if until_failure:
            why.append(f"still running when the parent failed ({_ms(ch.end_ns - o.end_ns)} after)"
                       if ch.end_ns > o.end_ns else "ending as the parent failed")
        if says_timeout:
            why.append("and the parent's error message names a timeout")
        if best is None or dur > best[1]:
            best = (c, dur, "; ".join(why))
    return best


def root_cause(store, trace_id: str) -> pd.DataFrame:
    """Where a failing or slow trace's problem starts, best candidate first, with the evidence.

    Columns: ``rank, trace_id, span_id, service_name, name, locus, start_time,
    duration_ms, self_ms, failed_at, evidence``; ``locus`` is ``error`` (an
    originating error span), ``masked-error`` (an OK span behind the only
    error, which timed out waiting on it) or ``latency`` (no errors: the span
    with the most self time on the critical path).  Sibling failures are
    ranked by when they failed, earliest first.

    >>> rc = root_cause(store, "4bf92f3577b34da6a3ce929d0e0e4736")           # doctest: +SKIP
    >>> rc.iloc[0][["service_name", "name", "locus", "evidence"]]            # doctest: +SKIP
    """
    tree = build_tree(read_trace(store, trace_id))
    by_node = tree.set_index("node", drop=False).sort_index()
    kids = children_of(by_node)
    parent = by_node["parent_node"].to_numpy()
    errors = [int(n) for n in by_node.index[by_node["is_error"].to_numpy()]]
    candidates = []
    if errors:
        failing_ancestors: set[int] = set()
        for n in errors:
            p, hops = int(parent[n]), 0
            while p >= 0 and hops <= len(parent):
                failing_ancestors.add(p)
                p, hops = int(parent[p]), hops + 1
        origins = [n for n in errors if n not in failing_ancestors]
        for n in origins:
            o = by_node.loc[n]
            masked = _unmask(tree, by_node, kids, n)
            failed_at = o.end_ns   # ns after the trace's start: orders the failures
            if masked is not None:
                child, _, why = masked
                deepest, self_ms = _heaviest_below(tree, child)
                node = deepest if deepest is not None else child
                if node != child:
                    why += (f"; inside it, {_label(by_node.loc[node])} holds {self_ms:,.1f} ms "
                            f"of self time on the critical path")
                candidates.append((failed_at, n, node, "masked-error", why))
            else:
                why = (f"{_label(o)} failed ({_text(o.status_message)}) after {_ms(o.end_ns - o.start_ns)}"
                       f" and none of its descendants failed")
                others = len(origins) - 1
                if others:
                    why += f"; the earliest of {len(origins)} originating failures" if \
                        failed_at <= min(by_node.loc[m].end_ns for m in origins) else \
                        f"; one of {len(origins)} originating failures, not the first"
                candidates.append((failed_at, n, n, "error", why))
        candidates.sort(key=lambda c: (np.nan_to_num(c[0], nan=np.inf), by_node.loc[c[1]].start_ns))
    else:
        path = path_of_tree(tree)
        if not path.empty:
            for _, best in path.sort_values("critical_ms", ascending=False).head(3).iterrows():
                total = float(path["critical_ms"].sum())
                why = (f"{_label(best)} holds {best.critical_ms:,.1f} ms of the trace's {total:,.1f} ms "
                       f"({best.share:.0%}) as its own time on the critical path")
                candidates.append((np.nan, int(best.node), int(best.node), "latency", why))

    rows = []
    for rank, (failed_at, origin, node, kind, why) in enumerate(candidates, start=1):
        s = by_node.loc[node]
        rows.append({"rank": rank, "trace_id": s.trace_id, "span_id": s.span_id, "service_name": s.service_name,
                     "name": s["name"], "locus": kind, "start_time": s.start_time, "duration_ms": s.duration_ms,
                     "self_ms": s.self_ms,
                     "failed_at": pd.NaT if np.isnan(failed_at) else by_node.loc[origin, "end_time"],
                     "evidence": why})
    return pd.DataFrame(rows, columns=COLUMNS)
