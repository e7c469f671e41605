"""A grant's holder process dies: SIGKILL leaves it to Vault's TTL, SIGTERM revokes at once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from jitbench.access import state

from access_checks import Creds, can_login, db_leases

HOLDER = Path(__file__).with_name("holder.py")


def start_holder(dev, tmp_path, ttl: str, keeper: bool = False):
    out = tmp_path / "creds.json"
    env = dict(os.environ, VAULT_ADDR=dev.addr, ACCESS_USER=dev.user, ACCESS_PASSWORD=dev.password,
               HOLD_TTL=ttl, HOLD_OUT=str(out), HOLD_KEEPER="1" if keeper else "")
    proc = subprocess.Popen([sys.executable, str(HOLDER)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        pytest.fail(f"holder did not start: {proc.stderr.read()[-2000:]}")
    held = json.loads(out.read_text())
    return proc, held, Creds(held.pop("username"), held.pop("password"))


@pytest.mark.slow
def test_sigkilled_holder_its_credentials_stop_working_after_the_grant_ttl(dev, postgres, tmp_path, root):
    proc, held, creds = start_holder(dev, tmp_path, ttl="6s")
    assert can_login(postgres, creds)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    expires = datetime.fromisoformat(held["expires"])
    deadline = time.monotonic() + (expires - datetime.now(timezone.utc)).total_seconds() + 20
    while time.monotonic() < deadline and can_login(postgres, creds):
        time.sleep(0.5)
    assert not can_login(postgres, creds)
    assert held["lease_id"] not in db_leases(root)


def test_sigterm_revokes_the_grant_at_once(dev, postgres, tmp_path, root):
    proc, held, creds = start_holder(dev, tmp_path, ttl="5m", keeper=True)
    assert can_login(postgres, creds)
    proc.send_signal(signal.SIGTERM)
    proc.wait(20)
    assert state.read_grant(held["grant_id"])["state"] == "revoked"
    assert held["lease_id"] not in db_leases(root)
    assert not can_login(postgres, creds)


EXITING = """
import os, sys
from jitbench.access import Grant, Keeper, connect, login_userpass
client = login_userpass(connect(os.environ["VAULT_ADDR"]), os.environ["ACCESS_USER"], os.environ["ACCESS_PASSWORD"])
grant = Grant.open(client, incident="INC-EXIT", reason="interpreter exit", ttl="5m")
lease = grant.lease_database("readonly")
Keeper(grant, interval=60).start()
print(grant.id, lease.lease_id)
"""


def test_interpreter_exit_revokes_through_the_keeper(dev, root):
    env = dict(os.environ, VAULT_ADDR=dev.addr, ACCESS_USER=dev.user, ACCESS_PASSWORD=dev.password)
    done = subprocess.run([sys.executable, "-c", EXITING], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    grant_id, lease_id = done.stdout.split()
    assert state.read_grant(grant_id)["state"] == "revoked"
    assert lease_id not in db_leases(root)
