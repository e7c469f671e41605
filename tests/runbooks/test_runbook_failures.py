"""A run whose kernel dies or is interrupted, bad parameters, the CLI: access is revoked or never opened."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from jitbench import access
from jitbench.cli import main
from jitbench.errors import CellFailed, ParameterError
from jitbench.runbooks import run

from runbook_checks import BASE_PARAMETERS, lease_exists, make_template, token_accessors, token_alive

pytestmark = [pytest.mark.vault, pytest.mark.postgres]


@pytest.mark.slow
def test_killed_kernel_still_writes_the_bundle_and_revokes(tmp_path, vault_user, root_client):
    tpl = make_template(tmp_path / "dies.ipynb", [
        (["parameters"], "incident_id = 'INC-0'\nreason = 'test'"),
        "import os\nimport jitbench as jb\ninv = jb.investigate(incident_id, reason=reason)\n"
        "pg = inv.lease_database('readonly')\nprint('leased', pg.lease_id)",
        "os.kill(os.getpid(), 9)",
        "print('never runs')",
    ], BASE_PARAMETERS, roles=["readonly"])
    with pytest.raises(CellFailed) as caught:
        run(tpl, {"incident_id": "INC-43", "reason": "kernel death test"}, out=tmp_path / "out", progress=False)
    result = caught.value.result
    assert result.outcome == "kernel-died"
    # the execution count may or may not have reached us before the kernel died
    assert re.search(r"kernel-died at cell 3 (\(In \[4\]\) )?`os\.kill\(os\.getpid\(\), 9\)`", str(caught.value))
    manifest = json.loads((result.bundle / "manifest.json").read_text())
    assert manifest["outcome"]["status"] == "kernel-died"
    nb = (result.bundle / "dies.ipynb").read_text()
    assert "Run KERNEL-DIED" in nb and "jitbench-failed-cell" in nb and "leased " in nb
    rec = access.state.read_grant(result.grant_id)
    assert rec["state"] == "revoked" and not token_alive(root_client, rec["accessor"])
    [lease] = rec["leases"]
    assert not lease_exists(root_client, lease["lease_id"])


@pytest.mark.parametrize("params, fragment", [
    ({"incident_id": "INC-1"}, "'reason' is required"),
    ({"incident_id": "INC-1", "reason": "r", "top": "ten"}, "'top': expected an integer"),
    ({"incident_id": "INC-1", "reason": "r", "colour": "red"}, "no parameter 'colour'"),
    ({"incident_id": "INC-1", "reason": "r", "db_password": "hunter22"}, "looks like a secret"),
    ({"incident_id": "INC-1", "reason": "r", "top": "postgresql://u:pw12345@h/db"}, "looks like a secret"),
])
def test_bad_parameters_fail_before_any_token_exists(params, fragment, tmp_path, vault_user, root_client):
    tpl = make_template(tmp_path / "t.ipynb", [(["parameters"], "incident_id = ''\nreason = ''\ntop = 5"), "top"],
                        BASE_PARAMETERS + [{"name": "top", "type": "integer", "default": 5}])
    before = token_accessors(root_client)
    with pytest.raises(ParameterError) as caught:
        run(tpl, params, out=tmp_path / "out", progress=False)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
    assert token_accessors(root_client) == before
    assert access.journal.read() == []
    assert not (tmp_path / "out").exists()


def test_cli_templates_and_bad_run(tmp_path, vault_user, root_client):
    runner = CliRunner()
    listed = runner.invoke(main, ["templates"])
    assert listed.exit_code == 0
    for name in ("latency-spike", "error-burst", "trace-deep-dive", "db-check", "postmortem-summary"):
        assert name in listed.output
    described = runner.invoke(main, ["templates", "db-check"])
    assert described.exit_code == 0 and "access: roles readonly" in described.output
    assert "stuck_minutes (integer, default 10)" in described.output

    before = token_accessors(root_client)
    bad = runner.invoke(main, ["run", "latency-spike", "-p", "incident_id", "INC-9", "-p", "reason", "r",
                               "-p", "start", "yesterday", "--out", str(tmp_path / "o")])
    assert bad.exit_code != 0
    assert "parameter 'start': expected an ISO 8601 time" in bad.output and "Traceback" not in bad.output
    params = tmp_path / "p.yaml"
    params.write_text("incident_id: INC-9\nreason: [unclosed\n")
    broken = runner.invoke(main, ["run", "latency-spike", "-f", str(params)])
    assert broken.exit_code != 0 and "not valid YAML" in broken.output
    unknown = runner.invoke(main, ["run", "no-such-template"])
    assert unknown.exit_code != 0 and "no template named 'no-such-template'" in unknown.output
    assert token_accessors(root_client) == before


@pytest.mark.slow
def test_ctrl_c_revokes_and_writes_the_bundle(tmp_path, vault_user, root_client, dev_access):
    import os
    import signal
    import subprocess
    import sys
    import time

    tpl = make_template(tmp_path / "slow.ipynb", [
        (["parameters"], "incident_id = 'INC-0'\nreason = 'test'"),
        "import time\nimport jitbench as jb\ninv = jb.investigate(incident_id, reason=reason)\n"
        "pg = inv.lease_database('readonly')",
        "time.sleep(120)",
    ], BASE_PARAMETERS, roles=["readonly"])
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "jitbench", "run", str(tpl), "-p", "incident_id", "INC-44",
                             "-p", "reason", "ctrl-c test", "--out", str(tmp_path / "out"), "--no-progress"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until the kernel holds its lease
            grants = [g for g in access.state.list_grants() if g["incident"] == "INC-44"]
            if grants and grants[0]["leases"]:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        else:
            pytest.fail("the run never took its lease")
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err
    [grant] = [g for g in access.state.list_grants() if g["incident"] == "INC-44"]
    assert grant["state"] == "revoked" and not token_alive(root_client, grant["accessor"])
    assert not lease_exists(root_client, grant["leases"][0]["lease_id"])
    [bundle] = list((tmp_path / "out" / "INC-44").iterdir())
    assert json.loads((bundle / "manifest.json").read_text())["outcome"]["status"] == "interrupted"
