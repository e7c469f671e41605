"""How fast a PostgreSQL query result reaches the store, against a plain pandas baseline.

    python benchmarks/postgres_load.py                 # 1,000,000 rows
    python benchmarks/postgres_load.py --rows 200000   # a quicker look

Starts an embedded PostgreSQL (``jitbench.dev.DevPostgres``), fills a table of
orders-like rows (integers, text, numeric, timestamptz, jsonb), then loads
``select *`` of it in the same run with:

* ``Store.load_postgres`` — a server-side cursor streamed in Arrow batches into DuckDB;
* the baseline a notebook would write: ``pandas.read_sql`` on a psycopg connection,
  then ``CREATE TABLE ... AS SELECT * FROM df`` in DuckDB.

Prints wall and CPU seconds, rows/s, peak RSS of each (each in its own process)
and the ratio.  Figures move with other work on the machine: the load average is
printed first.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time


def child(kind: str, dsn: str) -> dict:
    started, cpu0 = time.perf_counter(), _cpu()
    if kind == "jitbench":
        from jitbench.store import Store
        store = Store()
        rows = store.load_postgres(dsn, "select * from orders", "orders").rows
    else:
        import warnings

        import duckdb
        import pandas as pd
        import psycopg
        with psycopg.connect(dsn) as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas prefers SQLAlchemy; the baseline need not
            df = pd.read_sql("select * from orders", conn)
        con = duckdb.connect()
        con.execute("CREATE TABLE orders AS SELECT * FROM df")
        rows = con.execute("select count(*) from orders").fetchall()[0][0]
    return {"rows": rows, "seconds": time.perf_counter() - started, "cpu": _cpu() - cpu0,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(kind: str, dsn: str) -> dict:
    # the DSN holds the dev server's password: hand it over on stdin, not on the command line
    out = subprocess.run([sys.executable, __file__, "--child", kind], input=dsn, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    import psycopg

    from jitbench.dev import DevPostgres
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    with DevPostgres() as pg:
        dsn = pg.dsn()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("""
                CREATE TABLE orders AS
                SELECT i AS id, 'cust-' || (i %% 977) AS customer, (i * 1.25)::numeric(12,2) AS amount,
                       i %% 3 = 0 AS paid, timestamptz '2026-11-29 14:00:00+00' + i * interval '1 ms' AS created,
                       jsonb_build_object('n', i, 'tag', 'x') AS meta
                FROM generate_series(1, %s) AS i""", [args.rows])
        print(f"{args.rows:,} rows of (bigint, text, numeric, boolean, timestamptz, jsonb)")
        results = {kind: run(kind, dsn) for kind in ("pandas", "jitbench")}
    base = results["pandas"]
    for kind, res in results.items():
        ratio = "" if kind == "pandas" else f"  = {base['seconds'] / res['seconds']:.1f}x pandas"
        label = "pandas.read_sql + DuckDB" if kind == "pandas" else "jitbench Store.load_postgres"
        print(f"  {label:30} {res['rows'] / res['seconds']:>10,.0f} rows/s  {res['seconds']:6.1f} s "
              f"(cpu {res['cpu']:.1f} s)  peak RSS {res['rss_mb']:6.0f} MB{ratio}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.stdin.read().strip())))
    else:
        main()
