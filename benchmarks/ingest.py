"""Ingest benchmark: jitbench vs a plain pandas baseline, measured in the same run.

    python benchmarks/ingest.py                      # 1M spans (~760 MB) + 5M log lines
    python benchmarks/ingest.py --spans 200000 --logs 1000000   # a quicker look

Generates (once, cached in --dir, default /tmp/jitbench-bench; never in the repo):
* spans.jsonl — OTLP collector file-exporter lines: ~12 services, a few hundred spans a line;
* logs.jsonl — JSON-lines application logs (time, level, message, service, trace/span ids).

Each load runs in its own subprocess so that its peak RSS (ru_maxrss) is its own:
jitbench (`Store(file).load(path)`, and `Store().load(path)` in memory; with --careful also
the line-numbered path that a file with a bad record takes), the pandas baseline (`json.loads` + `pd.json_normalize`,
on the first --sample-mb of the file and scaled, because the full file takes minutes), and
DuckDB's bare NDJSON object scan of the same bytes (the ceiling on this machine right now:
other load on the machine moves every figure, the ratios less).  jitbench is also run on a
quarter of each file to show whether its peak RSS grows with the file size.
Ratios are given on wall time and on CPU time: on a shared machine the second is steadier.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVICES = ["frontend", "checkout", "payments", "cart", "catalog", "shipping", "email", "auth", "search",
            "recommendation", "ads", "currency"]
OPERATIONS = ["GET /api/cart", "POST /api/checkout", "SELECT orders", "redis GET session", "publish order.created",
              "grpc Pay/Charge", "GET /api/products/{id}", "POST /api/login", "render template", "kafka consume"]
T0 = 1_795_950_000_000_000_000


def generate_spans(path: Path, n_spans: int, spans_per_line: int = 300, seed: int = 7) -> None:
    """OTLP file-exporter JSON lines: each line one export request of ~spans_per_line spans."""
    rnd = random.Random(seed)
    written = 0
    with open(path, "w") as out:
        while written < n_spans:
            resource_spans = []
            for service in rnd.sample(SERVICES, 3):
                spans = []
                for _ in range(min(spans_per_line // 3, n_spans - written)):
                    trace = "%032x" % rnd.getrandbits(128)
                    start = T0 + written * 1_000_003
                    status = '{"code":2,"message":"upstream 503"}' if rnd.random() < 0.03 else "{}"
                    parent = "%016x" % rnd.getrandbits(64) if written % 7 else ""
                    spans.append(
                        f'{{"traceId":"{trace}","spanId":"{rnd.getrandbits(64):016x}","parentSpanId":"{parent}",'
                        f'"name":"{rnd.choice(OPERATIONS)}","kind":{rnd.randint(1, 5)},'
                        f'"startTimeUnixNano":"{start}","endTimeUnixNano":"{start + rnd.randint(50_000, 900_000_000)}",'
                        f'"attributes":[{{"key":"http.method","value":{{"stringValue":"GET"}}}},'
                        f'{{"key":"http.status_code","value":{{"intValue":"{rnd.choice((200, 200, 200, 404, 503))}"}}}},'
                        f'{{"key":"http.route","value":{{"stringValue":"/api/v1/items/{{id}}"}}}},'
                        f'{{"key":"http.url","value":{{"stringValue":"https://shop.example.com/api/v1/items/{rnd.randint(1, 10**6)}?ref=home"}}}},'
                        f'{{"key":"net.peer.name","value":{{"stringValue":"10.0.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}"}}}},'
                        f'{{"key":"user.id","value":{{"stringValue":"u{rnd.randint(0, 99999)}"}}}},'
                        f'{{"key":"retry","value":{{"boolValue":{"true" if rnd.random() < 0.1 else "false"}}}}},'
                        f'{{"key":"db.rows","value":{{"intValue":"{rnd.randint(0, 500)}"}}}}],'
                        f'"droppedAttributesCount":0,"status":{status}}}')
                    written += 1
                resource_spans.append(
                    f'{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}},'
                    f'{{"key":"host.name","value":{{"stringValue":"node-{rnd.randint(1, 40)}"}}}},'
                    f'{{"key":"k8s.pod.name","value":{{"stringValue":"{service}-7d9f{rnd.randint(100, 999)}"}}}}]}},'
                    f'"scopeSpans":[{{"scope":{{"name":"io.opentelemetry.http","version":"1.32.0"}},'
                    f'"spans":[{",".join(spans)}]}}]}}')
            out.write(f'{{"resourceSpans":[{",".join(resource_spans)}]}}\n')


def generate_logs(path: Path, n_lines: int, seed: int = 11) -> None:
    """JSON-lines application logs, the shape most services write."""
    rnd = random.Random(seed)
    levels = ["info"] * 8 + ["warn", "error"]
    with open(path, "w") as out:
        for i in range(n_lines):
            ts = T0 + i * 250_013
            secs, nanos = divmod(ts, 1_000_000_000)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{nanos:09d}Z"
            out.write(f'{{"ts":"{stamp}","level":"{rnd.choice(levels)}","service":"{rnd.choice(SERVICES)}",'
                      f'"msg":"request {rnd.randint(1, 10**6)} handled in {rnd.randint(1, 900)} ms",'
                      f'"trace_id":"{rnd.getrandbits(128):032x}","span_id":"{rnd.getrandbits(64):016x}",'
                      f'"http.status":{rnd.choice((200, 200, 404, 503))},"user":"u{rnd.randint(0, 99999)}"}}\n')


# -- the measured loads (each in a subprocess) -----------------------------------------------

def child_jitbench(path: str, fmt: str, where: str = "file", careful: bool = False) -> dict:
    from jitbench.ingest import direct
    from jitbench.store import Store
    if careful:  # what a file with a bad line costs: the line-numbered path throughout
        direct.eligible = lambda source: False
    db = tempfile.mktemp(suffix=".duckdb", dir=os.path.dirname(path)) if where == "file" else None
    try:
        with Store(db) as store:
            summary = store.load(path, format=fmt, progress=False)
            return {"rows": summary.rows, "rejects": summary.rejects}
    finally:
        for suffix in ("", ".wal") if db else ():
            if os.path.exists(db + suffix):
                os.remove(db + suffix)


def child_pandas(path: str, fmt: str, sample_bytes: int) -> dict:
    import pandas as pd
    rows, read = 0, 0
    with open(path, "rb") as f:
        records = []
        for line in f:
            read += len(line)
            doc = json.loads(line)
            if fmt == "otlp-traces":
                for rs in doc["resourceSpans"]:
                    res = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
                    for ss in rs["scopeSpans"]:
                        for span in ss["spans"]:
                            span["service.name"] = res.get("service.name")
                            records.append(span)
            else:
                records.append(doc)
            if read >= sample_bytes:
                break
        frame = pd.json_normalize(records)
        rows = len(frame)
    return {"rows": rows, "bytes_read": read}


def child_duckdb_scan(path: str) -> dict:
    import duckdb
    n = duckdb.connect().execute(f"select count(*) from read_ndjson_objects('{path}')").fetchall()[0][0]
    return {"rows": n}


def run_child(kind: str, path: Path, fmt: str, sample_bytes: int = 0) -> dict:
    """Run one measured load in a fresh interpreter; returns its figures and peak RSS."""
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path), fmt, str(sample_bytes)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_main(kind: str, path: str, fmt: str, sample_bytes: int) -> None:
    # imports before the clock starts: a load is timed, not the interpreter's start-up
    import duckdb  # noqa: F401
    import pandas  # noqa: F401
    import jitbench.store  # noqa: F401
    import jitbench.ingest  # noqa: F401
    started, cpu = time.perf_counter(), time.process_time()
    if kind == "jitbench":
        result = child_jitbench(path, fmt)
    elif kind == "jitbench-memory":
        result = child_jitbench(path, fmt, where="memory")
    elif kind == "jitbench-careful":
        result = child_jitbench(path, fmt, careful=True)
    elif kind == "pandas":
        result = child_pandas(path, fmt, sample_bytes)
    else:
        result = child_duckdb_scan(path)
    result.update(seconds=time.perf_counter() - started, cpu=time.process_time() - cpu,
                  rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def report(label: str, size: int, unit: str, res: dict, base: dict | None = None) -> dict:
    if "error" in res:
        print(f"  {label:<34} FAILED: {res['error']}")
        return res
    scale = size / res.get("bytes_read", size)
    seconds = res["seconds"] * scale
    mbps = size / seconds / 1e6
    rows = res["rows"] * scale
    line = (f"  {label:<34} {rows / seconds:>12,.0f} {unit}/s {mbps:>8.1f} MB/s {seconds:>8.1f} s "
            f"(cpu {res['cpu'] * scale:.1f} s)  peak RSS {res['rss_mb']:>6.0f} MB")
    if scale != 1:
        line += f"  [sample of {res['bytes_read'] / 1e6:.0f} MB, scaled x{scale:.1f}]"
    if base and "error" not in base:
        line += (f"  = {mbps / base['mbps']:.1f}x pandas wall, "
                 f"{base['cpu_per_mb'] / (res['cpu'] * scale / size):.1f}x pandas cpu")
    print(line)
    return {**res, "mbps": mbps, "cpu_per_mb": res["cpu"] * scale / size}


def cached(folder: Path, name: str, n: int, generate) -> tuple[Path, Path]:
    """The generated file of ``n`` records and its quarter-size twin, made once in ``folder``."""
    path, quarter = folder / f"{name}-{n}.jsonl", folder / f"{name}-{n}-quarter.jsonl"
    for target, count in ((path, n), (quarter, n // 4)):
        if not target.exists():
            t = time.perf_counter()
            generate(target, count)
            print(f"generated {target} ({target.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s")
    return path, quarter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--logs", type=int, default=5_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "jitbench-bench")
    parser.add_argument("--sample-mb", type=int, default=60, help="pandas baseline reads this much, then scales")
    parser.add_argument("--careful", action="store_true",
                        help="also time the line-numbered path (what a file with a bad line takes)")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f} (other work on the machine moves "
          f"the absolute figures)")
    datasets = [(unit, *cached(args.dir, name, n, generate), fmt)
                for unit, name, n, generate, fmt in (("spans", "spans", args.spans, generate_spans, "otlp-traces"),
                                                     ("lines", "logs", args.logs, generate_logs, "json-logs"))
                if n]
    for unit, path, quarter, fmt in datasets:
        size = path.stat().st_size
        print(f"\n{path.name}: {size / 1e6:.0f} MB, format {fmt}")
        base = report("pandas json + json_normalize", size, unit,
                      run_child("pandas", path, fmt, args.sample_mb << 20))
        report("duckdb bare NDJSON scan (ceiling)", size, "lines", run_child("scan", path, fmt))
        report("jitbench Store(file).load", size, unit, run_child("jitbench", path, fmt), base)
        report("jitbench Store(file).load, 1/4 file", quarter.stat().st_size, unit,
               run_child("jitbench", quarter, fmt), base)
        report("jitbench Store().load (in memory)", size, unit, run_child("jitbench-memory", path, fmt), base)
        if args.careful:
            report("jitbench file, line-numbered path", size, unit, run_child("jitbench-careful", path, fmt), base)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
