"""The example notebooks run top to bottom in a real kernel against the real OpenBao and PostgreSQL."""
import json
from pathlib import Path

import hvac
import papermill
import psycopg
import pytest

from jitbench import access
from jitbench.demo import generate
from jitbench.demo.shop import seed
from jitbench.redact import Fingerprints, find_leaks
from jitbench.runbooks import postmortem

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SHOP_DB = "shop_nb"

pytestmark = [pytest.mark.vault, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def oncall(openbao, postgres, tmp_path, monkeypatch):
    """The demo's world on the session servers: shop database, database engine, a logged-in on-call user."""
    root = access.connect(openbao.addr, token=openbao.root_token)
    dev = access.setup.configure_dev(root, postgres)
    user = access.login_userpass(access.connect(openbao.addr), dev.user, dev.password)
    data = tmp_path / "data"
    incident = generate(data, seed=7, traces_per_minute=8)
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {SHOP_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {SHOP_DB}")
    seed(postgres.dsn(SHOP_DB), incident)
    monkeypatch.setenv("VAULT_ADDR", openbao.addr)
    monkeypatch.setenv("VAULT_TOKEN", user.token)
    monkeypatch.setenv("PGHOST", postgres.host)
    monkeypatch.setenv("PGPORT", str(postgres.port))
    yield {"incident": incident, "data": data, "addr": openbao.addr,
           "known": [openbao.root_token, dev.password, user.token]}


def _leaks(text: str, home: Path, known: list[str]) -> list:
    found = [v[:4] + "…" for v in known if v in text]
    for path in home.rglob("fingerprints-*.json"):
        if find_leaks(text, Fingerprints.from_json(json.loads(path.read_text()))):
            found.append(path.name)
    return found


def test_walkthrough_finds_the_culprit_and_ends_with_access_revoked(oncall, tmp_path, jitbench_home):
    out = tmp_path / "walkthrough.out.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / "walkthrough.ipynb"), str(out), kernel_name="python3",
                               parameters={"data_dir": str(oncall["data"]), "db_name": SHOP_DB},
                               cwd=str(tmp_path), progress_bar=False)
    nb = json.loads(out.read_text())
    text = out.read_text()
    inc = oncall["incident"]
    headline = f"{inc.service} v{inc.version} in {inc.region}"
    assert headline in text, "the verdict cell names the injected culprit"
    assert "refused: permission denied" in text, "the leased user cannot write"
    # the grant the notebook opened is revoked, and Vault agrees
    grants = access.state.list_grants()
    assert len(grants) == 1 and grants[0]["state"] == "revoked"
    events = [e["event"] for e in access.journal.read(grants[0]["id"])]
    assert events[0] == "grant" and "lease" in events and "data_load" in events and events[-1] == "revoke"
    access.journal.verify()
    root = hvac.Client(url=oncall["addr"], token=oncall["known"][0])
    with pytest.raises(hvac.exceptions.VaultError):
        root.auth.token.lookup_accessor(grants[0]["accessor"])
    # no secret held by the kernel (fingerprints) or by us survives in the executed notebook
    assert not _leaks(text, jitbench_home, oncall["known"])
    assert list(jitbench_home.rglob("fingerprints-*.json")), "the kernel published fingerprints"
    assert all(c.get("outputs") is not None for c in nb["cells"] if c["cell_type"] == "code")
    # the executed walkthrough becomes a verified post-mortem bundle (the notebook's last step)
    result = postmortem(out, out=tmp_path / "postmortems", evidence=tmp_path / "evidence-INC-DEMO")
    assert result.ok and (result.bundle / "report.html").exists()
    assert (result.bundle / "evidence" / "spans.parquet").exists()
    manifest = json.loads((result.bundle / "manifest.json").read_text())
    assert manifest["redaction"]["verified"] and manifest["grant"]["id"] == grants[0]["id"]


def test_bring_your_own_data_reads_other_formats_and_keeps_rejects(shared_data, tmp_path):
    out = tmp_path / "byod.out.ipynb"
    source = str(shared_data / "zipkin" / "*.json")
    papermill.execute_notebook(str(NOTEBOOKS / "bring-your-own-data.ipynb"), str(out), kernel_name="python3",
                               parameters={"source": source}, cwd=str(tmp_path), progress_bar=False)
    text = out.read_text()
    assert "zipkin" in text and "rows_loaded" in text
    # the default (no source) runs too: a generated sample
    papermill.execute_notebook(str(NOTEBOOKS / "bring-your-own-data.ipynb"), str(tmp_path / "b2.ipynb"),
                               kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
