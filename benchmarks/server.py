"""What one poll of the JupyterLab extension costs: GET /jitbench/grants vs Jupyter's own /api/status.

Starts an OpenBao dev server and a Jupyter server with the jitbench extension,
opens N grants (real child tokens), then times R requests of each kind and
prints medians and ratios:
- ``/api/status``: the cheapest authenticated Jupyter endpoint (the baseline);
- ``/jitbench/grants`` with Vault reachable: local state + one accessor lookup per active grant;
- the same with the grants revoked (no lookups: local state only).

    python benchmarks/server.py [-n 10] [-r 50]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import requests

from jitbench import access
from jitbench.dev import DevOpenBao
from jitbench.server.devlab import DevJupyterLab


def median_ms(session: requests.Session, url: str, rounds: int) -> float:
    session.get(url, timeout=30).raise_for_status()  # warm up (imports, first Vault connection)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        session.get(url, timeout=30).raise_for_status()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--grants", type=int, default=10)
    parser.add_argument("-r", "--rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, DevOpenBao() as bao:
        home = Path(tmp) / "home"
        os.environ["JITBENCH_HOME"] = str(home)
        (Path(tmp) / "root").mkdir()
        root = access.connect(bao.addr, token=bao.root_token)
        grants = [access.Grant.open(root, incident=f"BENCH-{i}", reason="bench", ttl="15m", origin="cli")
                  for i in range(args.grants)]
        env = {"VAULT_ADDR": bao.addr, "VAULT_TOKEN": bao.root_token, "JITBENCH_HOME": str(home), "HOME": tmp}
        with DevJupyterLab(Path(tmp) / "root", app="server", env=env) as server:
            s = requests.Session()
            s.headers.update(server.auth_headers)
            status = median_ms(s, f"{server.url}/api/status", args.rounds)
            verified = median_ms(s, f"{server.url}/jitbench/grants", args.rounds)
            for g in grants:
                access.revoke_grant(g.id, client=root)
            local = median_ms(s, f"{server.url}/jitbench/grants", args.rounds)
    print(f"{args.grants} grants, {args.rounds} requests each (median)")
    print(f"  /api/status (baseline)                  {status:7.2f} ms")
    print(f"  /jitbench/grants, verified in Vault     {verified:7.2f} ms   {verified / status:5.1f}x baseline"
          f"   ({(verified - local) / max(args.grants, 1):.2f} ms per active grant)")
    print(f"  /jitbench/grants, local state only      {local:7.2f} ms   {local / status:5.1f}x baseline")


if __name__ == "__main__":
    main()
