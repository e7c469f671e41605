"""Binder smoke test: `postBuild` installs jitbench into a fresh virtual environment, `start` brings up the demo.

The fresh venv sees the project's venv packages (``--system-site-packages``
plus a ``.pth`` to the project venv, since that venv is itself not the system
Python), and pip runs with ``PIP_NO_INDEX`` so nothing is downloaded: what is
tested is that the scripts install and start jitbench, not PyPI.
"""
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .processes import alive

ROOT = Path(__file__).resolve().parents[2]
CHECK = r"""
import os, pathlib, hvac, psycopg
client = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
assert client.auth.token.lookup_self()["data"]["display_name"].startswith("userpass")
assert any(pathlib.Path(os.environ["JITBENCH_DEMO_DATA"]).glob("traces.jsonl*"))
try:
    psycopg.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], dbname=os.environ["PGDATABASE"],
                    user="nobody", password="x", connect_timeout=5)
except psycopg.OperationalError as err:
    assert "password authentication failed" in str(err)   # the server answers: it is up
print("binder-start-ok")
"""

pytestmark = [pytest.mark.slow, pytest.mark.vault, pytest.mark.postgres]


def test_postbuild_installs_and_start_launches_the_demo_servers(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    Path(purelib, "project-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "JITBENCH_HOME"}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", HOME=str(home), REPO_DIR=str(ROOT),
               PIP_NO_INDEX="1", PIP_NO_BUILD_ISOLATION="0", JITBENCH_DEMO_ARGS="--traces-per-minute 6")

    build = subprocess.run(["bash", str(ROOT / "binder" / "postBuild")], env=env, capture_output=True, text=True,
                           timeout=600, cwd=ROOT)
    assert build.returncode == 0, build.stderr[-2000:]
    installed = subprocess.run([str(venv / "bin" / "python"), "-c", "import jitbench; print(jitbench.__file__)"],
                               env=env, capture_output=True, text=True, check=True, cwd=home).stdout
    assert installed.startswith(str(venv)), "jitbench came from the fresh venv"

    state = home / ".jitbench" / "demo" / "servers.json"
    pids, kept = {}, {}
    try:
        start = subprocess.run(["bash", str(ROOT / "binder" / "start"), str(venv / "bin" / "python"), "-c", CHECK],
                               env=env, capture_output=True, text=True, timeout=600, cwd=home)
        log = (home / ".jitbench" / "demo-start.log")
        assert start.returncode == 0 and "binder-start-ok" in start.stdout, \
            start.stderr[-2000:] + (log.read_text()[-2000:] if log.exists() else "")
        assert "servers left running" in log.read_text()
        kept = json.loads(state.read_text())
        pids = kept["pids"]
        assert all(alive(pid) for pid in pids.values()), "--keep left both servers running"
        token_file = home / ".jitbench" / "demo" / "vault-token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        token = token_file.read_text()
        assert token not in log.read_text() and token not in start.stdout + start.stderr
        assert token not in (home / ".jitbench" / "demo" / "env.sh").read_text()
    finally:
        # what JupyterLab's terminals inherit from `start`: its JITBENCH_HOME
        env["JITBENCH_HOME"] = str(home / ".jitbench")
        pids = pids or (json.loads(state.read_text())["pids"] if state.exists() else {})
        stop = subprocess.run([str(venv / "bin" / "jitbench"), "demo", "--stop"], env=env, capture_output=True,
                              text=True, timeout=120, cwd=home)
    assert stop.returncode == 0 and "stopped OpenBao" in stop.stdout, stop.stderr
    assert not any(alive(pid) for pid in pids.values())
    assert not state.exists() and not (home / ".jitbench" / "demo" / "vault-token").exists()
    assert not kept["openbao_log"] or not Path(kept["openbao_log"]).exists(), "the root token's log is gone"
