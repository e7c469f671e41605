"""Loopback ports for the development servers."""
from __future__ import annotations

import socket
import time

from ..errors import ServerStartError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_free(port: int, what: str) -> None:
    """Raise a clear error when ``port`` is already taken on 127.0.0.1."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise ServerStartError(
                f"port {port} for {what} is already in use",
                hint="stop what listens there or pick another port (--port / leave it unset for a free one)",
            ) from None


def wait_listening(port: int, what: str, timeout: float, alive=lambda: True) -> None:
    """Wait until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise ServerStartError(f"{what} exited while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerStartError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")
