"""Log templates mined with drain3, and the ones new or surging in an incident.

Millions of lines would take drain3 minutes, so DuckDB first replaces the
obvious variables (UUIDs, IP addresses, long hex ids, numbers) with ``<*>``
and groups identical shapes; drain3 then sees each distinct shape once and
merges shapes that differ in other variable words.  Counts are summed back
per template.  The miner lives in memory only: nothing is persisted.
"""
from __future__ import annotations

import logging

import pandas as pd
from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

from jitbench.errors import ParameterError
from jitbench.analysis.window import parse_window, window_clause

# RE2 (DuckDB) pattern; order matters: the longest variable kinds first
# (a word of hex digits with at least one decimal digit covers integers, ids and hashes alike)
VARIABLES = (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
             r"|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?"
             r"|0x[0-9a-fA-F]+|\d+\.\d+"
             r"|\b[0-9a-fA-F]*\d[0-9a-fA-F]*\b"
             r"|\d+")


def new_miner(similarity: float = 0.4) -> TemplateMiner:
    """A drain3 miner kept in memory (no persistence, no ``drain3.ini`` read from the working directory).

    >>> new_miner().add_log_message("user 42 logged in")["template_mined"]
    'user <NUM> logged in'
    """
    config = TemplateMinerConfig()
    config.drain_sim_th = similarity
    config.profiling_enabled = False
    logging.getLogger("drain3").setLevel(logging.WARNING)
    return TemplateMiner(persistence_handler=None, config=config)


def _shapes(store, scope: str, group: str) -> pd.DataFrame:
    pattern = VARIABLES.replace("'", "''")
    return store.sql(f"""
        SELECT regexp_replace(coalesce(body, ''), '{pattern}', '<*>', 'g') AS shape, {group} AS grp,
               service_name, count(*) AS n, min(time) AS first_seen, max(time) AS last_seen,
               arg_min(body, time) AS example
        FROM logs WHERE {scope} GROUP BY ALL""")


def _mine(shapes: pd.DataFrame, similarity: float) -> pd.DataFrame:
    miner = new_miner(similarity)
    cluster_of = {}
    for shape in shapes["shape"].unique():
        cluster_of[shape] = miner.add_log_message(shape)["cluster_id"]
    templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    out = shapes.assign(template_id=shapes["shape"].map(cluster_of))
    out["template"] = out["template_id"].map(templates)
    return out


def log_templates(store, window=None, *, where: str | None = None, similarity: float = 0.4,
                  limit: int | None = None) -> pd.DataFrame:
    """The log templates of ``window`` (all logs by default), most frequent first.

    Columns: ``template_id, template, count, first_seen, last_seen, services,
    example`` (one original line).  ``where`` is an extra SQL condition on
    ``logs`` (e.g. ``"service_name = 'checkout'"``).

    >>> log_templates(store, window=("14:00", "14:30")).head()        # doctest: +SKIP
    """
    if not 0 < similarity < 1:
        raise ParameterError(f"similarity {similarity!r} is outside (0, 1)", hint="use e.g. 0.4 (drain3's default)")
    scope = window_clause(parse_window(window, store), "time") + (f" AND ({where})" if where else "")
    mined = _mine(_shapes(store, scope, "TRUE"), similarity)
    cols = ["template_id", "template", "count", "first_seen", "last_seen", "services", "example"]
    if mined.empty:
        return pd.DataFrame(columns=cols)
    out = mined.groupby(["template_id", "template"], as_index=False).agg(
        count=("n", "sum"), first_seen=("first_seen", "min"), last_seen=("last_seen", "max"),
        services=("service_name", lambda s: sorted(s.dropna().unique())), example=("example", "first"))
    out = out.sort_values(["count", "template"], ascending=[False, True]).reset_index(drop=True)
    return out[cols].head(limit) if limit else out[cols]


def new_log_templates(store, window, baseline=None, *, surge: float = 3.0, where: str | None = None,
                      similarity: float = 0.4) -> pd.DataFrame:
    """Templates that are new in ``window``, or whose rate surged ``surge``-fold vs ``baseline``.

    The baseline defaults to everything before the window.  Rates are per
    minute of each window so windows of different lengths compare.  Columns:
    ``status`` (``new`` or ``surged``), ``template, window_count,
    baseline_count, window_per_min, baseline_per_min, ratio, first_seen,
    services, example``; new templates first, then by ratio.

    >>> new_log_templates(store, ("14:00", "14:30"), baseline=("13:00", "14:00"))   # doctest: +SKIP
    """
    if surge <= 1:
        raise ParameterError(f"surge {surge!r} must be above 1", hint="use e.g. surge=3 (three times the rate)")
    win = parse_window(window, store)
    if win is None:
        raise ParameterError("new_log_templates needs a window", hint='pass window=("14:00", "14:30")')
    base = parse_window(baseline, store, name="baseline")
    if base is None:
        first = store.con.execute("SELECT min(time) FROM logs").fetchall()[0][0]
        base = (pd.Timestamp(first) if first is not None else win[0] - pd.Timedelta("1h"), win[0])
        if base[1] <= base[0]:
            base = (win[0] - pd.Timedelta("1ns"), win[0])
    extra = f" AND ({where})" if where else ""
    in_win, in_base = window_clause(win, "time"), window_clause(base, "time")
    mined = _mine(_shapes(store, f"({in_win} OR {in_base}){extra}", in_win), similarity)
    cols = ["status", "template", "window_count", "baseline_count", "window_per_min", "baseline_per_min",
            "ratio", "first_seen", "services", "example"]
    if mined.empty:
        return pd.DataFrame(columns=cols)
    cut = lambda frame, col: frame.groupby("template_id")[col]  # noqa: E731
    w, b = mined[mined["grp"]], mined[~mined["grp"]]
    out = pd.DataFrame({"template": mined.groupby("template_id")["template"].first()})
    out["window_count"] = cut(w, "n").sum()
    out["baseline_count"] = cut(b, "n").sum()
    out = out.fillna({"window_count": 0, "baseline_count": 0})
    out["first_seen"] = cut(w, "first_seen").min()
    out["services"] = cut(w, "service_name").agg(lambda s: sorted(s.dropna().unique()))
    out["example"] = cut(w, "example").first()
    minutes = lambda win: max((win[1] - win[0]).total_seconds() / 60, 1e-9)  # noqa: E731
    data_end = store.con.execute("SELECT max(time) FROM logs").fetchall()[0][0]
    # an open-ended window lasts as long as the data does
    w_span = (win[0], min(win[1], pd.Timestamp(data_end))) if data_end is not None else win
    b_span = (max(base[0], pd.Timestamp(store.con.execute("SELECT min(time) FROM logs").fetchall()[0][0])), base[1])
    out["window_per_min"] = out["window_count"] / minutes(w_span)
    out["baseline_per_min"] = out["baseline_count"] / minutes(b_span)
    out["ratio"] = out["window_per_min"] / out["baseline_per_min"].where(out["baseline_per_min"] > 0)
    out["status"] = None
    out.loc[(out["window_count"] > 0) & (out["baseline_count"] == 0), "status"] = "new"
    out.loc[(out["baseline_count"] > 0) & (out["ratio"] >= surge), "status"] = "surged"
    out = out[out["status"].notna()].astype({"window_count": "int64", "baseline_count": "int64"})
    out["order"] = out["status"].map({"new": 0, "surged": 1})
    out = out.sort_values(["order", "ratio", "window_count"], ascending=[True, False, False])
    return out[cols].reset_index(drop=True)
