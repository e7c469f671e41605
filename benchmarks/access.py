"""Grant + database lease + confirmed revoke with jitbench, vs the same three calls with bare hvac.

Starts its own OpenBao dev server and PostgreSQL on loopback, configures them
with ``configure_dev``, then times N rounds of each and prints the medians and
their ratio.  jitbench does more per round (journal lines with fsync, the grant
file under a lock, waiting until Vault confirms the leases are gone); the bare
hvac round only asks.

    python benchmarks/access.py [-n 30]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import hvac

from jitbench.access import Grant, connect, login_userpass
from jitbench.access.setup import configure_dev
from jitbench.dev import DevOpenBao, DevPostgres


def bare_round(client: hvac.Client) -> None:
    auth = client.auth.token.create(ttl="15m", explicit_max_ttl="15m",
                                    meta={"incident": "BENCH", "reason": "bench", "tool": "bare"})["auth"]
    child = hvac.Client(url=client.url, token=auth["client_token"], session=client.session)
    child.secrets.database.generate_credentials(name="readonly")
    child.auth.token.revoke_self()


def jitbench_round(client: hvac.Client) -> None:
    grant = Grant.open(client, incident="BENCH", reason="bench", ttl="15m")
    grant.lease_database("readonly")
    grant.revoke()


def median_ms(fn, client, n: int) -> float:
    fn(client)  # warm-up: connections, first role use
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn(client)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="rounds per variant (default 30)")
    args = parser.parse_args()
    os.environ["JITBENCH_HOME"] = tempfile.mkdtemp(prefix="jitbench-bench-")
    with DevOpenBao() as bao, DevPostgres() as pg:
        dev = configure_dev(connect(bao.addr, bao.root_token), pg)
        client = login_userpass(connect(bao.addr), dev.user, dev.password)
        # interleave the variants so drift on the machine hits both alike
        bare, ours, nosync = [], [], []
        for _ in range(3):
            bare.append(median_ms(bare_round, client, args.n // 3 or 1))
            os.environ["JITBENCH_JOURNAL_FSYNC"] = "1"
            ours.append(median_ms(jitbench_round, client, args.n // 3 or 1))
            os.environ["JITBENCH_JOURNAL_FSYNC"] = "0"
            nosync.append(median_ms(jitbench_round, client, args.n // 3 or 1))
        b, j, k = statistics.median(bare), statistics.median(ours), statistics.median(nosync)
        print(f"grant + DB lease + revoke, median of {args.n} rounds on loopback")
        print(f"  bare hvac (no journal, no confirmation):     {b:7.1f} ms")
        print(f"  jitbench (journal fsync'd, state, confirm):   {j:7.1f} ms   ratio {j / b:5.2f}")
        print(f"  jitbench, JITBENCH_JOURNAL_FSYNC=0:           {k:7.1f} ms   ratio {k / b:5.2f}")


if __name__ == "__main__":
    main()
