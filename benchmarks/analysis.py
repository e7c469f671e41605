"""Benchmark: every analysis function on 1M generated spans and 5M generated logs.

Run:  python benchmarks/analysis.py [--spans 1000000] [--logs 5000000] [--runs 3]

The data is generated inside DuckDB (generate_series), so setup takes seconds:
100k traces of 10 spans over two hours (frontend -> checkout -> cart, postgres,
payment, ...), four regions, and in the last half hour checkout 1.5.0 in
eu-west-1 with a slow database and failures; logs from four templates, a new
one in the incident, half carrying trace/span ids.  Prints the median seconds
of each function, drain3's own lines/s, and naive pandas baselines measured in
the same run (vectorised pandas on frames already in memory: fetching them is not
counted, so the comparison favours pandas).  The machine may be shared: the
load average is printed with the figures.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import pandas as pd

from jitbench import analysis as an
from jitbench.analysis.log_templates import new_miner
from jitbench.store import Store

T0 = "2026-11-29 13:00:00"
BASELINE = ("2026-11-29T13:00Z", "2026-11-29T14:30Z")
INCIDENT = ("2026-11-29T14:30Z", "2026-11-29T15:00Z")

# span j of every trace: (service, name, kind, parent j, offset ms, base duration ms)
SHAPE = [
    ("frontend", "GET /checkout", "SERVER", None, 0, 80),
    ("frontend", "POST checkout", "CLIENT", 0, 2, 75),
    ("checkout", "POST /checkout", "SERVER", 1, 3, 72),
    ("cart", "GET /cart", "SERVER", 2, 5, 10),
    ("checkout", "SELECT orders", "CLIENT", 2, 16, 15),
    ("payment", "POST /charge", "SERVER", 2, 33, 35),
    ("payment", "fraud check", "INTERNAL", 5, 35, 12),
    ("cart", "redis GET", "CLIENT", 3, 6, 2),
    ("payment", "bank call", "CLIENT", 5, 48, 18),
    ("checkout", "render", "INTERNAL", 2, 69, 3),
]


def generate(store: Store, n_spans: int, n_logs: int) -> None:
    n_traces = n_spans // len(SHAPE)
    shape = pd.DataFrame(SHAPE, columns=["service", "name", "kind", "parent", "offset_ms", "dur_ms"])
    shape["j"] = range(len(shape))
    store.con.register("shape", shape)
    store.con.execute(f"""
        CREATE TEMP TABLE t AS
        SELECT i, printf('%032x', i) AS trace_id,
               TIMESTAMP_NS '{T0}' + to_microseconds((i * 7200000000 // {n_traces})::BIGINT) AS t,
               ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-south-1'][1 + i % 4] AS region
        FROM range({n_traces}) r(i)""")
    store.con.execute("""
        CREATE TEMP TABLE tt AS
        SELECT *, t >= TIMESTAMP_NS '2026-11-29 14:30:00' AND region = 'eu-west-1' AS bad FROM t""")
    store.con.execute("""
        INSERT INTO spans BY NAME
        SELECT trace_id, printf('%016x', i * 16 + j) AS span_id,
               CASE WHEN parent IS NULL THEN NULL ELSE printf('%016x', (i * 16 + parent)::BIGINT) END AS parent_span_id,
               service AS service_name, name, kind,
               t + to_microseconds((offset_ms * 1000)::BIGINT) AS start_time,
               t + to_microseconds(((offset_ms + d) * 1000)::BIGINT) AS end_time,
               (d * 1e6)::BIGINT AS duration_ns,
               CASE WHEN bad AND i % 3 = 0 AND j IN (2, 5) THEN 'ERROR' ELSE 'UNSET' END AS status_code,
               CASE WHEN bad AND i % 3 = 0 AND j IN (2, 5) THEN 'upstream timeout' END AS status_message,
               CASE WHEN j = 4 THEN json_object('db.system', 'postgresql', 'db.statement', 'SELECT * FROM orders')
                    WHEN kind = 'SERVER' THEN json_object('http.route', name, 'http.status_code', 200)
                    ELSE '{}' END AS attributes,
               json_object('service.name', service,
                           'service.version', CASE WHEN bad AND service = 'checkout' THEN '1.5.0' ELSE '1.4.0' END,
                           'cloud.region', region, 'k8s.pod.name', service || '-' || region || '-' || (i % 5))
                   AS resource_attributes,
               1 AS source_id
        FROM (SELECT tt.*, shape.*,
                     dur_ms * (0.8 + 0.4 * ((i * 7919 + j * 104729) % 1000) / 1000.0)
                       + CASE WHEN bad AND j = 4 THEN 900 WHEN bad AND j IN (0, 1, 2) THEN 900 ELSE 0 END AS d
              FROM tt, shape)""")
    store.con.execute(f"""
        INSERT INTO logs BY NAME
        SELECT TIMESTAMP_NS '{T0}' + to_microseconds((k * 7200000000 // {n_logs})::BIGINT) AS time,
               NULL AS observed_time,
               CASE WHEN k % 4 = 3 THEN 'ERROR' ELSE 'INFO' END AS severity_text,
               CASE WHEN k % 4 = 3 THEN 17 ELSE 9 END AS severity_number,
               ['checkout', 'cart', 'payment', 'frontend'][1 + k % 4] AS service_name,
               CASE k % 4
                 WHEN 0 THEN 'order ' || (k % 100000) || ' accepted for user u' || (k % 977)
                 WHEN 1 THEN 'cache refresh took ' || (k % 90) || ' ms'
                 WHEN 2 THEN 'charge ' || printf('%08x', k) || ' authorised in ' || (k % 300) || ' ms'
                 ELSE CASE WHEN k * 7200000000 // {n_logs} >= 5400000000
                           THEN 'pool exhausted: waited ' || (k % 1000) || ' ms for a connection to 10.0.3.' || (k % 250)
                           ELSE 'GET /api/items/' || (k % 5000) || ' returned 200' END
               END AS body,
               CASE WHEN k % 2 = 0 THEN printf('%032x', (k // 50) % {n_traces}) END AS trace_id,
               CASE WHEN k % 2 = 0 THEN printf('%016x', ((k // 50) % {n_traces}) * 16 + 2) END AS span_id,
               '{{}}' AS attributes, '{{}}' AS resource_attributes, 1 AS source_id
        FROM range({n_logs}) r(k)""")


def median_seconds(fn, runs: int) -> float:
    return measure(fn, runs)[0]


def measure(fn, runs: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (all threads) of ``runs`` calls.

    CPU time does not grow when other processes share the machine, so it is the steadier figure;
    on an idle 2-core machine wall time is about CPU time / 2 for DuckDB's parallel parts.
    """
    walls, cpus = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--logs", type=int, default=5_000_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    store = Store()
    t = time.perf_counter()
    generate(store, args.spans, args.logs)
    n_spans = store.sql("SELECT count(*) AS n FROM spans").n[0]
    n_logs = store.sql("SELECT count(*) AS n FROM logs").n[0]
    print(f"generated {n_spans:,} spans and {n_logs:,} logs in {time.perf_counter() - t:.1f} s")

    slow_trace = an.worst_traces(store, limit=1).trace_id[0]
    failing_trace = an.worst_traces(store, "errors", limit=1).trace_id[0]
    good_trace = store.sql("SELECT trace_id FROM spans WHERE status_code = 'UNSET' LIMIT 1").trace_id[0]
    short = ("2026-11-29T14:30Z", "2026-11-29T14:31Z")
    cases = {
        "timeline(by=operation)": lambda: an.timeline(store, "operation"),
        "worst_traces(duration)": lambda: an.worst_traces(store),
        "worst_traces(errors)": lambda: an.worst_traces(store, "errors"),
        "trace_tree": lambda: an.trace_tree(store, slow_trace),
        "critical_path": lambda: an.critical_path(store, slow_trace),
        "root_cause": lambda: an.root_cause(store, failing_trace),
        "compare_traces": lambda: an.compare_traces(store, good_trace, slow_trace),
        "service_map": lambda: an.service_map(store),
        "compare(window vs baseline, all keys)": lambda: an.compare(store, baseline=BASELINE, window=INCIDENT),
        "compare(window vs baseline, 4 keys)": lambda: an.compare(
            store, baseline=BASELINE, window=INCIDENT,
            keys=["service.version", "cloud.region", "k8s.pod.name", "http.route"]),
        "compare(selection=errors)": lambda: an.compare(store, window=INCIDENT, selection="errors"),
        "first_signals": lambda: an.first_signals(store, INCIDENT, baseline=BASELINE),
        "logs_for_spans(trace)": lambda: an.logs_for_spans(store, slow_trace),
        "logs_for_spans(errors, 1 min)": lambda: an.logs_for_spans(store, window=short),
        "log_templates(5M logs)": lambda: an.log_templates(store),
        "new_log_templates(5M logs)": lambda: an.new_log_templates(store, INCIDENT, baseline=BASELINE),
    }
    results = {}
    print(f"\n{'function':42s} {'wall s':>9s} {'cpu s':>9s}   (medians of {args.runs})")
    for name, fn in cases.items():
        results[name], cpu = measure(fn, args.runs)
        print(f"{name:42s} {results[name]:9.3f} {cpu:9.3f}")

    # drain3 on its own, line by line, for its lines/s (what mining without the DuckDB pre-grouping costs)
    bodies = store.sql("SELECT body FROM logs USING SAMPLE 50000 ROWS").body.tolist()
    miner = new_miner()
    t = time.perf_counter()
    for body in bodies:
        miner.add_log_message(body)
    raw = len(bodies) / (time.perf_counter() - t)
    print(f"\ndrain3 alone: {raw:,.0f} lines/s ({len(miner.drain.clusters)} templates from {len(bodies):,} lines)")
    eff = n_logs / results["log_templates(5M logs)"]
    print(f"log_templates end to end: {eff:,.0f} lines/s ({eff / raw:.0f}x drain3 alone, "
          f"~{n_logs / raw:.0f} s if every line went through drain3)")

    # naive pandas baselines on frames already in memory (fetching them is not counted)
    spans = store.sql("SELECT trace_id, span_id, parent_span_id, service_name, name, kind, start_time, "
                      "duration_ns, status_code FROM spans")

    def pandas_timeline():
        entry = spans[spans.parent_span_id.isna() | spans.kind.isin(["SERVER", "CONSUMER"])]
        entry = entry.assign(err=entry.status_code.eq("ERROR"))
        g = entry.groupby([entry.start_time.dt.floor("1min"), "service_name", "name"])
        counts = g.agg(requests=("span_id", "size"), errors=("err", "sum"))
        return counts.join(g["duration_ns"].quantile([0.5, 0.9, 0.99]).unstack())

    def pandas_service_map():
        m = spans.merge(spans, left_on=["trace_id", "parent_span_id"], right_on=["trace_id", "span_id"],
                        suffixes=("", "_p"))
        m = m[m.service_name != m.service_name_p]
        g = m.groupby(["service_name_p", "service_name"])
        return g.size().to_frame("calls").join(g["duration_ns"].quantile(0.95))

    def pandas_worst():
        g = spans.assign(err=spans.status_code.eq("ERROR")).groupby("trace_id").agg(
            start=("start_time", "min"), spans=("span_id", "size"), errors=("err", "sum"))
        return g.nlargest(20, "errors")

    print(f"\n{'naive pandas baseline':34s} {'pandas wall/cpu s':>18s} {'jitbench wall/cpu s':>20s} "
          f"{'speed-up wall/cpu':>18s}")
    for name, fn, ours in (("timeline (groupby + quantile)", pandas_timeline, "timeline(by=operation)"),
                           ("service map (merge + groupby)", pandas_service_map, "service_map"),
                           ("worst traces (groupby)", pandas_worst, "worst_traces(errors)")):
        base_wall, base_cpu = measure(fn, args.runs)
        wall, cpu = measure(cases[ours], args.runs)
        print(f"{name:34s} {base_wall:8.3f} /{base_cpu:8.3f} {wall:9.3f} /{cpu:9.3f} "
              f"{base_wall / wall:8.1f}x /{base_cpu / cpu:6.1f}x")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    over = [n for n, sec in results.items() if sec >= 1 and "log_templates" not in n]
    print(f"\nfunctions at or over 1 s wall (drain3 mining excepted): {', '.join(over) or 'none'}")


if __name__ == "__main__":
    main()
