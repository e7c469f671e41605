"""Settings read when used, never at import time.

Each function reads the environment on every call so that a test, a kernel or
a runbook can change ``JITBENCH_HOME`` or ``VAULT_ADDR`` without reimporting.
"""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def home() -> Path:
    """The local state directory: ``$JITBENCH_HOME`` or the platform's user data dir.

    >>> os.environ["JITBENCH_HOME"] = "/tmp/jb"; str(home())
    '/tmp/jb'
    """
    env = os.environ.get("JITBENCH_HOME")
    path = Path(env).expanduser() if env else Path(platformdirs.user_data_dir("jitbench"))
    return path


def grants_dir() -> Path:
    return home() / "grants"


def journal_path() -> Path:
    return home() / "journal.jsonl"


def default_access_window() -> str:
    """Default grant TTL (``JITBENCH_ACCESS_WINDOW``, default ``30m``)."""
    return os.environ.get("JITBENCH_ACCESS_WINDOW", "30m")


def near_expiry_seconds() -> float:
    """Seconds before expiry at which widgets turn amber (``JITBENCH_NEAR_EXPIRY``, default 120)."""
    return float(os.environ.get("JITBENCH_NEAR_EXPIRY", "120"))
