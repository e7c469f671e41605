"""A runbook that tries hard to leak its leased credentials: the bundle holds none, or is refused.

Real OpenBao, real PostgreSQL, a real kernel.  The kernel writes the values it
leased to a witness file in the test's private tmp dir so the test can search
the bundle for the actual values (they are revoked by then).
"""
from __future__ import annotations

import json
import os

import pytest

from jitbench import access
from jitbench.errors import CellFailed, RedactionFailed
from jitbench.runbooks import run

from runbook_checks import (BASE_PARAMETERS, all_bundle_text, assert_absent, lease_exists, make_template,
                            token_alive)

pytestmark = [pytest.mark.vault, pytest.mark.postgres, pytest.mark.slow]

PARAMS = BASE_PARAMETERS + [
    {"name": "witness", "type": "string", "required": True, "description": "where the test reads the values"},
    {"name": "db_port", "type": "integer", "required": True, "description": "PostgreSQL port"},
]
SETUP = [
    (["parameters"], "incident_id = 'INC-0'\nreason = 'test'\nwitness = ''\ndb_port = 5432"),
    "import json, logging, sys\nimport pandas as pd\nimport jitbench as jb\n"
    "inv = jb.investigate(incident_id, reason=reason)",
    "pg = inv.lease_database('readonly')\nuser, pw = pg.secret('username'), pg.secret('password')\n"
    "dsn = pg.dsn('127.0.0.1', db_port, 'postgres')\n"
    "open(witness, 'w').write(json.dumps([user, pw, dsn]))",
]


def _witness(path) -> list[str]:
    values = json.loads(path.read_text())
    path.unlink()
    return values


def _grant_record(grant_id: str) -> dict:
    return access.state.read_grant(grant_id)


def test_every_way_of_showing_the_password_is_redacted(tmp_path, vault_user, root_client, postgres, capfd):
    tpl = make_template(tmp_path / "leaky.ipynb", SETUP + [
        "print('password is', pw)\nprint(dsn)\nsys.stderr.write(pw + '\\n')\nlogging.getLogger().warning(pw)\n"
        "import os\nos.write(1, pw.encode() + b'\\n')\nos.write(2, dsn.encode() + b'\\n')",
        "pd.DataFrame({'user': [user], 'password': [pw]})",
        "from IPython.display import HTML, display\ndisplay(HTML(f'<b>{pw}</b>'))\n"
        "display({'application/json': {'pw': pw}}, raw=True)",
        "inv.evidence('leaky', pd.DataFrame({'who': [user], 'pw': [pw], 'customer': ['ada@example.com']}))\n"
        "print('customer ada@example.com')",
        (["raises-exception"], "raise RuntimeError(f'cannot log in as {user} with {pw}')"),
        "kept = {'dsn': dsn, 'password': pw}",
        "kept",
        "inv.close()",
    ], PARAMS, roles=["readonly"])
    witness = tmp_path / "witness.json"
    with pytest.raises(CellFailed) as caught:
        run(tpl, {"incident_id": "INC-41", "reason": "leak test", "witness": str(witness),
                  "db_port": str(postgres.port)}, out=tmp_path / "out", progress=False, pii=True)
    values = _witness(witness) + sorted(access.held_secrets())
    captured = capfd.readouterr()
    assert_absent(values, captured.out + captured.err, "the runner's terminal")
    message = str(caught.value)
    assert "In [" in message and "failed" in message and "\n" not in message
    assert_absent(values, message, "the error message")

    result = caught.value.result
    assert result.outcome == "failed" and result.bundle.is_dir()
    text = all_bundle_text(result.bundle)
    assert_absent(values, text, "the bundle")
    assert text.count("[REDACTED]") >= 8   # the outputs were there, scrubbed
    names = {p.name for p in result.bundle.iterdir()}
    assert {"leaky.ipynb", "report.html", "journal.jsonl", "manifest.json", "evidence"} <= names
    assert (result.bundle / "evidence" / "leaky.parquet").is_file()
    # --pii: the e-mail is masked with the same salted hash in the report and in the evidence
    assert "ada@example.com" not in text
    import pyarrow.parquet as pq
    [masked] = pq.read_table(result.bundle / "evidence" / "leaky.parquet").column("customer").to_pylist()
    assert masked.startswith("<email:") and masked in (result.bundle / "leaky.ipynb").read_text()
    manifest = json.loads((result.bundle / "manifest.json").read_text())
    assert manifest["outcome"]["status"] == "failed" and manifest["grant"]["id"] == result.grant_id
    assert manifest["redaction"]["fingerprinted_pieces"] > 0
    html = (result.bundle / "report.html").read_text()
    assert "jitbench-failed-cell" in html and "Run FAILED" in html

    # access: the grant and its database lease are gone in Vault
    rec = _grant_record(result.grant_id)
    assert rec["state"] == "revoked"
    assert not token_alive(root_client, rec["accessor"])
    assert rec["leases"] and not any(lease_exists(root_client, l["lease_id"]) for l in rec["leases"])
    events = [line["event"] for line in access.journal.read(grant_id=result.grant_id)]
    assert events[0] == "grant" and "lease" in events and events[-1] == "revoke"


def test_a_value_the_kernel_could_not_scrub_gets_the_bundle_refused(tmp_path, vault_user, root_client, postgres):
    # simulate a gap in redaction at the source (the kernel's hook removed): the runner's
    # check against the kernel's salted fingerprints is the second line and must refuse
    tpl = make_template(tmp_path / "sneaky.ipynb", SETUP + [
        "from jitbench.redact.ipython import uninstall\nassert uninstall()\nprint(pw)",
        "inv.close()",
    ], PARAMS, roles=["readonly"])
    witness = tmp_path / "witness.json"
    out = tmp_path / "out"
    with pytest.raises(RedactionFailed) as caught:
        run(tpl, {"incident_id": "INC-42", "reason": "leak test", "witness": str(witness),
                  "db_port": str(postgres.port)}, out=out, progress=False)
    values = _witness(witness)
    assert_absent(values, str(caught.value), "the error message")
    assert "sneaky.ipynb" in str(caught.value) or "report.html" in str(caught.value)
    # nothing published, nothing half-written
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))
    grants = [g for g in access.state.list_grants() if g["incident"] == "INC-42"]
    assert len(grants) == 1 and grants[0]["state"] == "revoked"
    assert not token_alive(root_client, grants[0]["accessor"])
    # and no raw copy of the run was left in the local state either
    home = os.environ["JITBENCH_HOME"]
    leftovers = "".join(p.read_text(errors="replace") for p in __import__("pathlib").Path(home).rglob("*")
                        if p.is_file() and p.suffix != ".lock")
    assert_absent(values, leftovers, "JITBENCH_HOME")
