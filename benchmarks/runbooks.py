"""`jitbench run` of a small template vs bare papermill of the same notebook.

Both execute templates/latency-spike.ipynb on a small generated incident with
a real kernel against a dev OpenBao; bare papermill writes the executed
notebook, `jitbench run` adds validation, the grant, revocation and the
verified bundle (redacted .ipynb, offline HTML with plotly.js, Parquet,
manifest).  Runs alternate, after one warm-up each; medians are reported.

    python benchmarks/runbooks.py [--runs 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each (after one warm-up)")
    args = parser.parse_args()

    import papermill as pm

    from jitbench.demo.generate import generate
    from jitbench.dev import DevOpenBao
    from jitbench.runbooks import find, run

    work = Path(tempfile.mkdtemp(prefix="jitbench-bench-"))
    os.environ["JITBENCH_HOME"] = str(work / "home")
    inc = generate(work / "data", traces_per_minute=4, baseline_minutes=10, incident_minutes=10)
    template = find("latency-spike")
    params = {"incident_id": "INC-BENCH", "reason": "benchmark", "traces": str(inc.traces_path),
              "start": inc.window[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
              "end": inc.window[1].strftime("%Y-%m-%dT%H:%M:%SZ"), "bucket": "1m", "top": 10}
    with DevOpenBao() as bao:
        os.environ["VAULT_ADDR"], os.environ["VAULT_TOKEN"] = bao.addr, bao.root_token

        def bare(i: int) -> float:
            t = time.perf_counter()
            pm.execute_notebook(str(template.path), str(work / f"bare-{i}.ipynb"), parameters=params,
                                progress_bar=False)
            return time.perf_counter() - t

        phases: list[dict] = []

        def jitbench(i: int) -> float:
            t = time.perf_counter()
            result = run(template, {k: str(v) for k, v in params.items()}, out=work / "out", progress=False)
            took = time.perf_counter() - t
            phases.append(result.timings)
            return took

        bare(-1), jitbench(-1)  # warm-up: kernelspec lookup, imports, caches
        phases.clear()
        times = {"papermill": [], "jitbench run": []}
        for i in range(args.runs):
            times["papermill"].append(bare(i))
            times["jitbench run"].append(jitbench(i))

    base, ours = statistics.median(times["papermill"]), statistics.median(times["jitbench run"])
    print(f"template: latency-spike, {inc.spans} spans, {args.runs} runs each (median)")
    for name, values in times.items():
        print(f"  {name:13} median {statistics.median(values):6.2f} s  "
              f"(min {min(values):.2f}, max {max(values):.2f})")
    print(f"  overhead      {ours - base:+6.2f} s  = {100 * (ours / base - 1):+.1f}% (target <= 20%)")
    keys = ("validate", "grant", "execute", "revoke", "bundle")
    print("  jitbench phases (median s): " + ", ".join(
        f"{k} {statistics.median(p.get(k, 0) for p in phases):.2f}" for k in keys))
    bundle = next((work / "out" / "INC-BENCH").iterdir())
    report = json.loads((bundle / "manifest.json").read_text())["report"]
    print(f"  report.html {report['bytes'] / 1e6:.2f} MB, of which plotly.js {report['plotly_js_bytes'] / 1e6:.2f} MB, "
          f"{report['figures']} figures")


if __name__ == "__main__":
    main()
