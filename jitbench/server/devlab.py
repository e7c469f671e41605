"""A private JupyterLab (or bare Jupyter server) with jitbench enabled, for tests and demos.

Starts on a free loopback port with token auth, XSRF checks on, its own
config, data, runtime and workspace folders, no update checks or news (so
nothing is fetched), the ``jitbench.server`` extension enabled and the
labextension taken from the source build (``jitbench/labextension``) when
there is one, else from the installed package.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from ..errors import ServerStartError
from ..dev.ports import free_port, wait_listening

SOURCE_BUILD = Path(__file__).resolve().parents[1] / "labextension"
INSTALLED = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jitbench"


def labextension_dir() -> Path:
    """Where the built labextension is: the source build if present, else the installed copy."""
    for candidate in (SOURCE_BUILD, INSTALLED):
        if (candidate / "package.json").is_file():
            return candidate
    raise ServerStartError("the jitbench JupyterLab extension is not built",
                           hint="run `jlpm install && jlpm build` (or `pip install -e .`) in the checkout")


class DevJupyterLab:
    """``jupyter lab`` (``app="lab"``) or ``jupyter server`` (``app="server"``) under ``root_dir``.

    ``env`` adds to the environment of the server (``VAULT_ADDR``,
    ``VAULT_TOKEN``, ``JITBENCH_HOME``...); the token is random per start and
    never printed by ``repr``.

    >>> with DevJupyterLab(tmp, env={"JITBENCH_HOME": str(home)}) as lab:   # doctest: +SKIP
    ...     requests.get(lab.url + "/jitbench/grants", headers=lab.auth_headers)
    """

    def __init__(self, root_dir: str | Path, env: dict | None = None, app: str = "lab", port: int | None = None):
        if app not in ("lab", "server"):
            raise ValueError(f"app must be 'lab' or 'server', not {app!r}")
        self.root_dir = Path(root_dir)
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.extra_env = dict(env or {})
        self.log_path: Path | None = None
        self._proc: subprocess.Popen | None = None
        self._state_dir: tempfile.TemporaryDirectory | None = None

    def __repr__(self) -> str:
        return f"DevJupyterLab({self.app}, url={self.url!r}, root_dir={str(self.root_dir)!r})"

    @property
    def auth_headers(self) -> dict:
        return {"Authorization": f"token {self.token}"}

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _prepare(self) -> dict:
        self._state_dir = tempfile.TemporaryDirectory(prefix="jitbench-lab-")
        state = Path(self._state_dir.name)
        config_dir, data_dir = state / "config", state / "data"
        (data_dir / "labextensions").mkdir(parents=True)
        config_dir.mkdir()
        (config_dir / "jupyter_server_config.json").write_text(json.dumps(
            {"ServerApp": {"jpserver_extensions": {"jitbench.server": True}}}))
        if self.app == "lab":
            (data_dir / "labextensions" / "jitbench").symlink_to(labextension_dir(), target_is_directory=True)
            # no "get notified about Jupyter news?" toast: nothing is fetched, and screenshots stay clean
            notification = state / "user-settings" / "@jupyterlab" / "apputils-extension"
            notification.mkdir(parents=True)
            (notification / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        self.log_path = state / "server.log"
        env = dict(os.environ)
        env.update(JUPYTER_CONFIG_DIR=str(config_dir), JUPYTER_DATA_DIR=str(data_dir),
                   JUPYTER_PATH=str(data_dir), JUPYTER_RUNTIME_DIR=str(state / "runtime"),
                   JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"), JUPYTER_PLATFORM_DIRS="1")
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 90) -> "DevJupyterLab":
        env = self._prepare()
        module = "jupyterlab" if self.app == "lab" else "jupyter_server"
        args = [sys.executable, "-m", module, "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                f"--ServerApp.root_dir={self.root_dir}", f"--IdentityProvider.token={self.token}",
                "--ServerApp.port_retries=0"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--allow-root")  # containers and CI runners are often root
        if self.app == "lab":
            args += [f"--LabApp.user_settings_dir={Path(self._state_dir.name) / 'user-settings'}",
                     "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                     "--LabApp.expose_app_in_browser=True"]
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            try:
                wait_listening(self.port, "Jupyter", timeout, alive=lambda: self._proc.poll() is None)
            except ServerStartError as err:
                raise ServerStartError(str(err), hint=f"see {self.log_path}") from None
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if requests.get(f"{self.url}/api/status", headers=self.auth_headers, timeout=5).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline or self._proc.poll() is not None:
                    raise ServerStartError(f"Jupyter at {self.url} did not answer /api/status",
                                           hint=f"see {self.log_path}")
                time.sleep(0.2)
        except Exception:
            self.stop(keep_log=True)
            raise
        return self

    def log_text(self) -> str:
        """The server's log so far ('' when there is none)."""
        try:
            return self.log_path.read_text(errors="replace") if self.log_path else ""
        except OSError:
            return ""

    def stop(self, keep_log: bool = False) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None
        if self._state_dir is not None and not keep_log:
            self._state_dir.cleanup()
            self._state_dir = None

    def __enter__(self) -> "DevJupyterLab":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
