"""The demo's two real servers: an OpenBao dev server and a PostgreSQL holding the shop.

:class:`DemoServers` starts both (stopping the first if the second fails),
configures OpenBao's database secrets engine against PostgreSQL, and can
write what ``--keep`` leaves running to a small state file so that
``jitbench demo --stop`` can end it later.
"""
from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..dev import DevOpenBao, DevPostgres
from ..dev.ports import ensure_free
from ..errors import ServerStartError

SHOP_DB = "shop"


def state_path() -> Path:
    """Where ``--keep`` records the servers it left running (no secret inside)."""
    return config.home() / "demo" / "servers.json"


def token_path() -> Path:
    """The 0600 file holding the demo user's Vault token while ``--keep`` servers run."""
    return config.home() / "demo" / "vault-token"


def env_path() -> Path:
    """A shell file of ``export`` lines for the ``--keep`` servers (the token stays in its own file)."""
    return config.home() / "demo" / "env.sh"


@dataclass
class DemoServers:
    """OpenBao + PostgreSQL for one demo run; ``ports`` may pin them (a taken port is a one-line error)."""

    vault_port: int | None = None
    pg_port: int | None = None

    def check_ports(self) -> None:
        """Raise :class:`ServerStartError` naming the option when a pinned port is taken."""
        for port, what, flag in ((self.vault_port, "OpenBao", "--vault-port"), (self.pg_port, "PostgreSQL", "--pg-port")):
            if port:
                try:
                    ensure_free(port, what)
                except ServerStartError:
                    raise ServerStartError(f"port {port} for {what} is already in use",
                                           hint=f"stop what listens there, or pick another with {flag} "
                                                "(or leave it out for a free one)") from None

    def start(self) -> "DemoServers":
        # both pinned ports are checked before either server starts, so a taken one leaves nothing behind
        self.check_ports()
        self.bao = DevOpenBao(port=self.vault_port)
        self.pg = DevPostgres(port=self.pg_port)
        self.bao.start()
        try:
            self.pg.start()
        except BaseException:
            self.bao.stop()
            raise
        return self

    def create_shop_database(self) -> str:
        """Create the ``shop`` database and return the superuser DSN for it (a secret: don't print)."""
        import psycopg
        with psycopg.connect(self.pg.dsn(), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (SHOP_DB,)).fetchone():
                conn.execute(f"CREATE DATABASE {SHOP_DB}")
        return self.pg.dsn(SHOP_DB)

    def dynamic_users(self) -> list[str]:
        """Database roles Vault created and has not dropped yet (names only)."""
        import psycopg
        with psycopg.connect(self.pg.dsn(), autocommit=True) as conn:
            rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE 'v-%'").fetchall()
        return [r[0] for r in rows]

    def pids(self) -> dict[str, int | None]:
        """Process ids of the two servers (PostgreSQL's from its ``postmaster.pid``)."""
        pid_file = self.pg.datadir / "data" / "postmaster.pid"
        pg_pid = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
        return {"openbao": self.bao.pid, "postgres": pg_pid}

    def describe(self) -> dict:
        """Ports, pids and the data directory: what ``--stop`` needs, and nothing secret."""
        log = getattr(self.bao, "_log", None)
        return {"vault_addr": self.bao.addr, "vault_port": self.bao.port, "pg_host": self.pg.host,
                "pg_port": self.pg.port, "pg_datadir": str(self.pg.datadir), "pids": self.pids(),
                # the dev server's banner (with its root token) goes to this 0600 file: --stop deletes it
                "openbao_log": log.name if log is not None else None}

    def stop(self) -> None:
        self.pg.stop()
        self.bao.stop()

    def detach(self, user_token: str) -> dict:
        """Leave both running after this process exits; record them and the user's token (0600)."""
        info = self.describe()
        path = state_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        token = token_path()
        fd = os.open(token, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(user_token)
        path.write_text(json.dumps(info, indent=2))
        return info


def stop_kept(wait: float = 15.0) -> dict | None:
    """Stop the servers a ``--keep`` run left; returns what was recorded, ``None`` if nothing was."""
    import shutil

    path = state_path()
    if not path.exists():
        return None
    info = json.loads(path.read_text())
    for name in ("postgres", "openbao"):
        pid = info.get("pids", {}).get(name)
        if pid:
            _terminate(pid, wait)
    shutil.rmtree(info.get("pg_datadir") or "/nonexistent", ignore_errors=True)
    if info.get("openbao_log"):
        Path(info["openbao_log"]).unlink(missing_ok=True)
    token_path().unlink(missing_ok=True)
    env_path().unlink(missing_ok=True)
    path.unlink()
    return info


def _terminate(pid: int, wait: float) -> None:
    try:
        # SIGINT is PostgreSQL's "fast" shutdown; OpenBao exits on it too
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
