"""`jitbench demo` end to end in a subprocess: real OpenBao, real PostgreSQL, a real kernel."""
import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest

from jitbench.demo import generate

from .processes import alive

pytestmark = [pytest.mark.vault, pytest.mark.postgres, pytest.mark.slow]

SIZE = ["--traces-per-minute", "15", "--seed", "7"]


def _jitbench(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "jitbench", *args], capture_output=True, text=True,
                          timeout=timeout, env=os.environ.copy())


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_demo_finds_the_injected_culprit_writes_the_bundle_revokes_and_stops_its_servers(tmp_path, jitbench_home):
    truth = generate(tmp_path / "truth", seed=7, traces_per_minute=15)   # same seed and size: same incident
    out = tmp_path / "bundle"
    started = time.monotonic()
    proc = _jitbench("demo", "--out", str(out), *SIZE)
    wall = time.monotonic() - started
    print(f"\njitbench demo wall time: {wall:.1f} s ({truth.spans:,} spans)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout

    found = re.search(r"^found: (\S+) v(\S+) in (\S+)", text, re.M)
    assert found, text
    assert found.groups() == (truth.service, truth.version, truth.region)
    assert "revoked and confirmed" in text
    # no Vault token (OpenBao dev root tokens here are root-<hex>, others s.<...>) in what the user saw
    assert not re.search(r"\broot-[0-9a-f]{20,}|\b(s|hvs|hvb)\.[A-Za-z0-9]{20,}", text + proc.stderr)

    report = re.search(r"^report: (.+)$", text, re.M).group(1)
    bundle = out / "INC-DEMO"
    assert report.startswith(str(bundle)) and os.path.exists(report)
    run_dir = next(bundle.iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["outcome"]["status"] == "ok" and manifest["redaction"]["verified"]
    assert (run_dir / "evidence" / "spans.parquet").exists()
    assert truth.service in (run_dir / "report.html").read_text()

    # the grant is revoked: journal (chain intact) and local state agree
    from jitbench import access
    access.journal.verify()
    grant_id = re.search(r"^access: grant (\S+)", text, re.M).group(1)
    events = [e["event"] for e in access.journal.read(grant_id)]
    assert events[0] == "grant" and "lease" in events and "revoke" in events
    assert access.state.read_grant(grant_id)["state"] == "revoked"

    # nothing it started is left: both pids gone, both ports closed
    servers = re.search(r"OpenBao http://127\.0\.0\.1:(\d+) \(pid (\d+)\), PostgreSQL [\d.]+:(\d+) \(pid (\d+)\)", text)
    assert servers, text
    vault_port, bao_pid, pg_port, pg_pid = map(int, servers.groups())
    assert not alive(bao_pid) and not alive(pg_pid)
    assert not _listening(vault_port) and not _listening(pg_port)


def test_a_taken_port_is_one_clear_line_and_starts_nothing(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _jitbench("demo", "--out", str(tmp_path / "b"), "--pg-port", str(port), timeout=60)
    assert proc.returncode != 0
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert errors == [f"Error: port {port} for PostgreSQL is already in use — stop what listens there, or pick "
                      "another with --pg-port (or leave it out for a free one)"], proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == "", "checked before anything was generated or started"
