"""The grant widget: what displaying and updating it costs, and why the countdown ticks in the browser.

Part 1 (in-process): median time to create a GrantWidget with its display
bundle (static fallback included), to re-display it, and to apply a keeper
event, against the baseline of creating a plain ``ipywidgets.HTML`` measured in
the same run; and the bytes of the synced state.

Part 2 (a real ipykernel through jupyter_client): messages the kernel sends
over ``window`` seconds for the grant widget (whose countdown runs in the
browser) vs a kernel-side countdown (an asyncio task updating a Label every
second, the obvious alternative), first idle and then while a cell runs
``time.sleep(window)``: the kernel-side countdown freezes while the kernel is busy.

    python benchmarks/widget.py [-n 200] [--window 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

FAKE_GRANT = '''
from datetime import datetime, timedelta, timezone
class Lease:
    def __init__(self, kind, role):
        self.kind, self.role, self.state, self.revocable_early = kind, role, "active", kind != "identity-token"
        self.expires = datetime.now(timezone.utc) + timedelta(minutes=30)
class Grant:
    id, incident, reason, state, renewable = "g-bench", "INC-BENCH", "benchmark", "active", True
    expires = datetime.now(timezone.utc) + timedelta(minutes=30)
    leases = [Lease("database", "readonly"), Lease("identity-token", "loki-read"), Lease("kv", "app")]
    def renew(self): pass
    def revoke(self): pass
'''


def median_us(fn, n: int) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def in_process(n: int) -> None:
    import ipywidgets

    from jitbench.widgets import GrantWidget, fallback_html, grant_mimebundle

    scope: dict = {}
    exec(FAKE_GRANT, scope)
    Grant = scope["Grant"]
    grant = Grant()
    widget = GrantWidget(grant)
    card = fallback_html(widget)
    base = median_us(lambda: ipywidgets.HTML(value=card).close(), n)
    create = median_us(lambda: GrantWidget(Grant()).close(), n)
    redisplay = median_us(lambda: grant_mimebundle(grant), n)
    event = median_us(lambda: widget.on_keeper_event({"type": "renewed", "grant_id": "g-bench"}), n)
    state = widget.get_state()
    total = len(json.dumps(state, default=str))
    esm = len(state.get("_esm", "")) + len(state.get("_css", ""))
    print(f"baseline ipywidgets.HTML(card) create+close   {base:9.0f} µs")
    print(f"GrantWidget(grant) create+close               {create:9.0f} µs   ratio {create / base:5.2f}x")
    print(f"grant_mimebundle(grant) re-display            {redisplay:9.0f} µs   ratio {redisplay / base:5.2f}x")
    print(f"keeper event -> traits                        {event:9.0f} µs   ratio {event / base:5.2f}x")
    print(f"synced state {total} bytes, of which ES module + CSS {esm} bytes (sent once per widget)")


KERNEL_TICKER = '''
import asyncio, ipywidgets
from IPython.display import display
label = ipywidgets.Label("30:00 left")
display(label)
async def _tick():
    left = 1800
    while True:
        await asyncio.sleep(1)
        left -= 1
        label.value = f"{left // 60}:{left % 60:02d} left"
_task = asyncio.get_event_loop().create_task(_tick())
'''


def count_updates(kc, window: float) -> int:
    """comm_msg updates on iopub during ``window`` seconds."""
    deadline, count = time.monotonic() + window, 0
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = kc.get_iopub_msg(timeout=left)
        except Exception:  # queue.Empty: nothing more within the window
            break
        if msg["msg_type"] == "comm_msg" and msg["content"]["data"].get("method") == "update":
            count += 1
    return count


def run_and_drain(kc, code: str) -> None:
    kc.execute_interactive(code, timeout=60, output_hook=lambda msg: None)


def in_kernel(window: float) -> None:
    from jupyter_client.manager import start_new_kernel

    for name, setup in (("grant widget (browser countdown)", FAKE_GRANT +
                         "from jitbench.widgets import display_grant\nw = display_grant(Grant())"),
                        ("kernel-side countdown (asyncio + Label)", KERNEL_TICKER)):
        km, kc = start_new_kernel(kernel_name="python3")
        try:
            run_and_drain(kc, setup)
            idle = count_updates(kc, window)
            kc.execute(f"import time; time.sleep({window})")
            busy = count_updates(kc, window - 0.2)
            kc.get_shell_msg(timeout=30)
            print(f"{name:42s} updates sent: idle {idle:3d} in {window:g} s; busy cell {busy:3d} in {window:g} s"
                  f"{'  (frozen while busy)' if idle and not busy else ''}")
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="repetitions per in-process measurement")
    parser.add_argument("--window", type=float, default=5.0, help="seconds observed per kernel phase")
    args = parser.parse_args()
    os.environ.setdefault("JITBENCH_HOME", tempfile.mkdtemp(prefix="jitbench-bench-"))
    print(f"load average {os.getloadavg()[0]:.2f}; n={args.n}")
    in_process(args.n)
    in_kernel(args.window)


if __name__ == "__main__":
    main()
