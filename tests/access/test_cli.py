"""The `jitbench access` commands against the real OpenBao and PostgreSQL."""
from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner

from jitbench.access import journal, state
from jitbench.cli import main

from access_checks import Creds, can_login, db_leases


@pytest.fixture
def cli(user, monkeypatch):
    monkeypatch.setenv("VAULT_ADDR", user.url)
    monkeypatch.setenv("VAULT_TOKEN", user.token)
    runner = CliRunner()

    def run(*args, ok=True):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) == ok, result.output
        return result
    return run


def test_request_list_renew_revoke(cli, root, postgres):
    out = cli("access", "request", "--incident", "INC-50", "--reason", "cli test", "--ttl", "1m",
              "--max-ttl", "3m", "--database", "readonly", "--json").output
    rec = json.loads(out[out.index("{"):])
    gid = rec["id"]
    assert rec["incident"] == "INC-50" and rec["origin"] == "cli" and rec["leases"][0]["kind"] == "database"
    assert state.load_token(gid) is not None                       # kept for notebooks to attach
    lease_id = rec["leases"][0]["lease_id"]
    assert lease_id in db_leases(root)
    listed = json.loads(cli("access", "list", "--json").output)
    assert [g["id"] for g in listed] == [gid]
    assert gid in cli("access", "list").output
    renewed = cli("access", "renew", gid, "--reason", "still digging").output
    assert gid in renewed and state.read_grant(gid)["expires"] > rec["expires"]
    assert journal.read(gid)[-1] == {**journal.read(gid)[-1], "event": "renew", "reason": "still digging"}
    cli("access", "revoke", gid)
    assert state.read_grant(gid)["state"] == "revoked" and state.load_token(gid) is None
    assert lease_id not in db_leases(root)
    assert "no active grants" in cli("access", "list").output
    assert [e["event"] for e in journal.read(gid)][-1] == "revoke"


def test_revoke_all_and_clear_errors(cli, root):
    ids = []
    for n in range(2):
        out = cli("access", "request", "--incident", f"INC-5{n}", "--reason", "many", "--ttl", "1m", "--json").output
        ids.append(json.loads(out[out.index("{"):])["id"])
    cli("access", "revoke", "--all")
    assert all(state.read_grant(g)["state"] == "revoked" for g in ids)
    bad = cli("access", "request", "--incident", "INC-59", "--reason", " ", ok=False)
    assert "reason is required" in bad.output and "Traceback" not in bad.output
    bad = cli("access", "request", "--incident", "INC-59", "--reason", "x", "--ttl", "forever", ok=False)
    assert "is not a duration" in bad.output and len(bad.output.strip().splitlines()) == 1
    bad = cli("access", "revoke", "g-nonexistent", ok=False)
    assert "no grant g-nonexistent" in bad.output


def test_exec_puts_credentials_in_the_environment_and_revokes_on_exit(cli, root, postgres, tmp_path):
    script = ("import os, psycopg, sys; "
              f"c = psycopg.connect(host='{postgres.host}', port={postgres.port}, dbname='postgres'); "
              "open(sys.argv[1], 'w').write(c.execute('select current_user').fetchone()[0] + ' ' + os.environ['PGPASSWORD']); "
              "sys.exit(3)")
    out_file = tmp_path / "who"
    result = cli("access", "exec", "--incident", "INC-55", "--reason", "psql", "--ttl", "1m", "--database",
                 "readonly", "--", sys.executable, "-c", script, str(out_file), ok=False)
    assert result.exit_code == 3                                   # the command's own exit code
    creds = Creds(*out_file.read_text().split())
    assert creds.user.startswith("v-"), "not a Vault-made user"
    assert not can_login(postgres, creds)
    printed = creds.password in result.output
    assert not printed, "the leased password was printed"
    (grant,) = state.list_grants()
    assert grant["state"] == "revoked"


def test_dev_vault_prints_working_exports_and_stops_on_ctrl_c(postgres, tmp_path):
    import os
    import signal
    import subprocess

    import hvac
    # the DSN travels in the environment, so a failure message (which quotes argv) shows no password
    proc = subprocess.Popen([sys.executable, "-m", "jitbench", "dev-vault"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, JITBENCH_HOME=str(tmp_path), JITBENCH_PG_DSN=postgres.dsn()))
    try:
        exports = {}
        for _ in range(4):
            line = proc.stdout.readline()
            if line.startswith("export "):
                for pair in line.split()[1:]:
                    key, value = pair.split("=", 1)
                    exports[key] = value
        assert set(exports) >= {"VAULT_ADDR", "VAULT_TOKEN", "PGHOST", "PGPORT"}, proc.stderr.read()
        client = hvac.Client(url=exports["VAULT_ADDR"], token=exports["VAULT_TOKEN"])
        assert "jitbench-oncall" in client.auth.token.lookup_self()["data"]["policies"]
        data = client.secrets.database.generate_credentials(name="readonly")["data"]
        creds = Creds(data["username"], data["password"])
        assert can_login(postgres, creds)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(90)
        except subprocess.TimeoutExpired:
            proc.kill()  # never leave it (and its OpenBao) running after a failed test
            raise
    assert code == 0
    # Ctrl-C stopped the OpenBao that dev-vault started
    import socket
    from urllib.parse import urlparse
    addr = urlparse(exports["VAULT_ADDR"])
    with pytest.raises(OSError):
        socket.create_connection((addr.hostname, addr.port), timeout=2).close()


def test_list_sweeps_expired_grants_and_their_token_files(cli):
    import time
    out = cli("access", "request", "--incident", "INC-56", "--reason", "short", "--ttl", "2s", "--json").output
    gid = json.loads(out[out.index("{"):])["id"]
    assert state.load_token(gid) is not None
    time.sleep(2.5)
    assert "no active grants" in cli("access", "list").output
    assert state.read_grant(gid)["state"] == "expired" and state.load_token(gid) is None
    assert journal.read(gid)[-1]["event"] == "expire"
    bad = cli("access", "renew", gid, ok=False)
    assert "expired" in bad.output
