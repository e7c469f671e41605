"""`jitbench postmortem NOTEBOOK`: the bundle of an interactively executed investigation notebook."""
from __future__ import annotations

import json

import nbformat
import pytest
from click.testing import CliRunner
from nbclient import NotebookClient

from jitbench import access
from jitbench.cli import main

from runbook_checks import all_bundle_text, assert_absent, token_alive

pytestmark = [pytest.mark.vault, pytest.mark.postgres, pytest.mark.slow]


def test_postmortem_of_an_interactive_notebook(tmp_path, vault_user, root_client, postgres, monkeypatch):
    witness = tmp_path / "witness.json"
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (
        "import json\nimport jitbench as jb\n"
        "inv = jb.investigate('INC-77', reason='orders stuck', window=('2026-11-29T13:45Z', '2026-11-29T14:30Z'))\n"
        "print(inv.grant.id)",
        f"pg = inv.lease_database('readonly')\npw = pg.secret('password')\n"
        f"open({str(witness)!r}, 'w').write(json.dumps([pg.secret('username'), pw]))\nprint('pw', pw)",
        "conn = pg.connect('127.0.0.1', %d, 'postgres')\n"
        "conn.execute('select current_user').fetchone()[0]" % postgres.port,
        "inv.close()",
    )]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    path = tmp_path / "INC-77.ipynb"
    nbformat.write(nb, str(path))
    values = json.loads(witness.read_text())
    witness.unlink()
    assert_absent(values, path.read_text(), "the saved notebook")  # scrubbed at the source already

    result = CliRunner().invoke(main, ["postmortem", str(path), "--out", str(tmp_path / "pm")])
    assert result.exit_code == 0, result.output
    bundle = next((tmp_path / "pm" / "INC-77").iterdir())
    assert_absent(values, all_bundle_text(bundle), "the bundle")
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["incident"] == "INC-77" and manifest["redaction"]["fingerprinted_pieces"] > 0
    events = [json.loads(line)["event"] for line in (bundle / "journal.jsonl").read_text().splitlines()]
    assert events[0] == "grant" and "lease" in events and "revoke" in events
    grant = access.state.read_grant(manifest["grant"]["id"])
    assert grant["state"] == "revoked" and not token_alive(root_client, grant["accessor"])


def test_postmortem_needs_an_incident(tmp_path):
    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), str(path))
    result = CliRunner().invoke(main, ["postmortem", str(path), "--out", str(tmp_path / "pm")])
    assert result.exit_code != 0 and "pass --incident" in result.output
    ok = CliRunner().invoke(main, ["postmortem", str(path), "--incident", "INC-5", "--out", str(tmp_path / "pm")])
    assert ok.exit_code == 0 and (tmp_path / "pm" / "INC-5").is_dir()
