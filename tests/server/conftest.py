"""A bare Jupyter server with the jitbench extension, against the session's real OpenBao.

The server runs with the OpenBao root token as the user's ``VAULT_TOKEN`` and
its own ``JITBENCH_HOME``; ``server_home`` points the test process at that same
folder, so grants opened by a test are the ones the server lists.
"""
from __future__ import annotations

import shutil

import pytest

from jitbench.server.devlab import DevJupyterLab


@pytest.fixture(scope="session")
def vault_access(openbao, postgres):
    """OpenBao set up for jitbench (database engine on the test PostgreSQL, read-only role)."""
    from jitbench import access

    root = access.connect(openbao.addr, token=openbao.root_token)
    return access.setup.configure_dev(root, postgres)


@pytest.fixture(scope="session")
def jupyter_server(openbao, tmp_path_factory):
    """``jupyter server`` with jitbench.server enabled; ``.url``, ``.token``, ``.root_dir``, ``.home``."""
    base = tmp_path_factory.mktemp("jupyter-server")
    (base / "root").mkdir()
    server = DevJupyterLab(base / "root", app="server", env={
        "VAULT_ADDR": openbao.addr, "VAULT_TOKEN": openbao.root_token,
        "JITBENCH_HOME": str(base / "home"), "HOME": str(base)})
    server.home = base / "home"
    with server:
        yield server


@pytest.fixture
def server_home(jupyter_server, monkeypatch):
    """Make this test's JITBENCH_HOME the server's; its grants are removed afterwards."""
    monkeypatch.setenv("JITBENCH_HOME", str(jupyter_server.home))
    yield jupyter_server.home
    shutil.rmtree(jupyter_server.home / "grants", ignore_errors=True)
