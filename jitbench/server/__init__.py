"""Jupyter server extension: grants, renew, revoke and "New investigation" under ``/jitbench/``.

Enabled by ``jupyter-config/server-config/jitbench.json`` (installed with the
wheel) or by hand: ``jupyter server extension enable jitbench.server``.
Importing this module registers nothing; Jupyter calls
:func:`_load_jupyter_server_extension` when it loads the extension.
"""
from __future__ import annotations


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "jitbench.server"}]


def _load_jupyter_server_extension(server_app) -> None:
    """Add the ``/jitbench/`` handlers to a running Jupyter server."""
    from .handlers import setup_handlers

    setup_handlers(server_app.web_app)
    server_app.log.info("jitbench: server extension loaded at %sjitbench/", server_app.base_url)


load_jupyter_server_extension = _load_jupyter_server_extension  # the pre-2.0 name, for old servers
