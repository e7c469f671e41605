"""Local grant metadata ``$JITBENCH_HOME/grants/<id>.json`` and CLI grant tokens ``<id>.token``.

The JSON holds ids, accessors, times and states — never a secret value — and is
written atomically (temp file + rename) under ``grants/.lock`` so that several
kernels, the CLI and the Jupyter server extension can share it.  A token file
exists only for grants that must outlive their process (CLI, runbook handoff);
it is created 0600 and deleted when the grant is revoked or expires.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Callable

from filelock import FileLock

from .. import config
from ..errors import AccessError, ConfigError


def _dir() -> Path:
    d = config.grants_dir()
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def lock() -> FileLock:
    """The lock every writer of ``grants/`` holds."""
    return FileLock(str(_dir() / ".lock"), timeout=30)


def _check_id(grant_id: str) -> str:
    if not grant_id or "/" in grant_id or grant_id.startswith("."):
        raise ConfigError(f"{grant_id!r} is not a grant id", hint="see `jitbench access list`")
    return grant_id


def grant_path(grant_id: str) -> Path:
    return _dir() / f"{_check_id(grant_id)}.json"


def token_path(grant_id: str) -> Path:
    return _dir() / f"{_check_id(grant_id)}.token"


def _write_atomic(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        # rename is atomic for readers; no fsync: this is a view of Vault, the journal is the evidence
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_grant(data: dict) -> None:
    """Write one grant's metadata (replacing it) atomically."""
    with lock():
        _write_atomic(grant_path(data["id"]), data)


def update_grant(grant_id: str, change: Callable[[dict], dict | None]) -> dict:
    """Read-modify-write one grant under the lock; ``change`` edits the dict in place or returns a new one."""
    with lock():
        path = grant_path(grant_id)
        data = json.loads(path.read_text()) if path.exists() else {"id": grant_id, "leases": []}
        data = change(data) or data
        _write_atomic(path, data)
        return data


def read_grant(grant_id: str) -> dict:
    """The metadata of one grant; :class:`AccessError` when there is no such grant here."""
    path = grant_path(grant_id)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise AccessError(f"no grant {grant_id} in {path.parent}", hint="see `jitbench access list`") from None


def list_grants() -> list[dict]:
    """Every grant in the local state, newest first (active, revoked and expired)."""
    d = config.grants_dir()
    if not d.is_dir():
        return []
    out = []
    for p in d.glob("*.json"):
        try:
            out.append(json.loads(p.read_text()))
        except (OSError, ValueError):
            continue  # a file being replaced right now, or not ours
    return sorted(out, key=lambda g: g.get("issued") or "", reverse=True)


def save_token(grant_id: str, token: str) -> Path:
    """Keep a grant's token in a 0600 file (like ``~/.vault-token``) so other processes can attach."""
    path = token_path(grant_id)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token)
    os.chmod(path, 0o600)
    return path


def load_token(grant_id: str) -> str | None:
    """The token kept for ``grant_id``, or None when it has none (kernel grants, revoked, expired)."""
    try:
        return token_path(grant_id).read_text().strip() or None
    except FileNotFoundError:
        return None


def delete_token(grant_id: str) -> None:
    """Remove a grant's token file, if any."""
    token_path(grant_id).unlink(missing_ok=True)
