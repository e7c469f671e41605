"""The demo's incident generator at benchmark size, and the demo's wall time.

Generation is compared with reading the same file back with ``json.loads``
(the least any consumer of the file pays), measured in the same run, so the
ratio says how far the generator is from "as cheap as parsing its output".
With ``--demo`` it also runs ``jitbench demo`` in a subprocess and prints its
wall time (the issue's target: under 2 minutes on 2 cores).

    python benchmarks/demo.py [--spans 1000000] [--gzip] [--demo]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jitbench.demo import generate


def read_back(path: Path) -> int:
    """Parse every line of ``path`` with json.loads; returns the line count."""
    opener = gzip.open if path.suffix == ".gz" else open
    n = 0
    with opener(path, "rt") as f:
        for line in f:
            json.loads(line)
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--spans", type=int, default=1_000_000)
    ap.add_argument("--gzip", action="store_true", help="write .jsonl.gz")
    ap.add_argument("--demo", action="store_true", help="also time `jitbench demo` end to end")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="jitbench-bench-demo-") as tmp:
        t = time.perf_counter()
        inc = generate(tmp, spans=args.spans, compress=args.gzip)
        gen = time.perf_counter() - t
        size = inc.traces_path.stat().st_size + inc.logs_path.stat().st_size
        t = time.perf_counter()
        read_back(inc.traces_path)
        parse = time.perf_counter() - t
        print(f"generate: {inc.spans:,} spans, {inc.traces:,} traces, {inc.logs:,} logs, "
              f"{size / 1e6:,.0f} MB{' (gzip)' if args.gzip else ''} in {gen:.1f} s "
              f"= {inc.spans / gen:,.0f} spans/s, {size / 1e6 / gen:,.1f} MB/s written")
        print(f"baseline: json.loads of the traces file back in {parse:.1f} s = {inc.spans / parse:,.0f} spans/s")
        print(f"ratio generate / read-back: {gen / parse:.2f}")

    if args.demo:
        with tempfile.TemporaryDirectory(prefix="jitbench-bench-demo-run-") as tmp:
            env = dict(os.environ, JITBENCH_HOME=str(Path(tmp) / "home"))
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "jitbench", "demo", "--out", str(Path(tmp) / "out")],
                                  capture_output=True, text=True, env=env)
            wall = time.perf_counter() - t
            steps = [line for line in proc.stdout.splitlines() if line.lstrip()[:1].isdigit() or
                     line.startswith(("found:", "took"))]
            print("\n".join(steps))
            print(f"jitbench demo: exit {proc.returncode}, wall time {wall:.1f} s (target < 120 s), "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
