"""REST handlers under ``/jitbench/``, behind Jupyter's authentication and XSRF checks.

``GET  /jitbench/grants``                  grants and leases of the local state (verified against Vault)
``POST /jitbench/grants/<id>/renew``       renew through the access layer
``POST /jitbench/grants/<id>/revoke``      revoke the grant and its leases (confirmed)
``GET  /jitbench/templates``               templates offered by "New investigation"
``POST /jitbench/investigations``          create a notebook from a template; body ``{"path", "template"}``

Every handler is an ``APIHandler`` (403 instead of a login redirect, XSRF on
POST) with ``@authenticated`` and ``@authorized`` on the ``jitbench`` resource.
Errors come back as ``{"message": "<one line>"}``; responses carry no secret
because grants pass through :func:`jitbench.server.grants.public_view`.
"""
from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async, url_path_join
from tornado import web

from .. import config
from ..errors import AccessError, ConfigError, JitbenchError, VaultUnreachable
from . import grants, starter

AUTH_RESOURCE = "jitbench"


def _status_for(err: JitbenchError) -> int:
    if isinstance(err, grants.UnknownGrant):
        return 404
    if isinstance(err, VaultUnreachable):
        return 503
    if isinstance(err, ConfigError):
        return 400
    if isinstance(err, AccessError):
        return 409  # Vault said no (expired, denied, not revocable): the request was understood
    return 500


class JitbenchHandler(APIHandler):
    """Common ground: the auth resource name and one-line JSON errors for our exceptions."""

    auth_resource = AUTH_RESOURCE

    def reply(self, payload: dict, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload))

    async def run(self, func, *args) -> None:
        """Call ``func`` off the event loop (Vault calls block) and reply with its result or a one-line error."""
        try:
            result = await asyncio.to_thread(func, *args)
        except JitbenchError as err:
            self.log.warning("jitbench: %s", err)
            self.reply({"message": str(err)}, _status_for(err))
            return
        self.reply(result)


class GrantsHandler(JitbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.run(lambda: {
            "grants": grants.list_public(),
            "server_time": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "near_expiry_seconds": config.near_expiry_seconds(),
        })


class RenewHandler(JitbenchHandler):
    @web.authenticated
    @authorized
    async def post(self, grant_id: str) -> None:
        await self.run(lambda: {"grant": grants.renew(grant_id)})


class RevokeHandler(JitbenchHandler):
    @web.authenticated
    @authorized
    async def post(self, grant_id: str) -> None:
        await self.run(lambda: {"grant": grants.revoke(grant_id)})


class TemplatesHandler(JitbenchHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.run(lambda: {"templates": starter.list_templates()})


class InvestigationsHandler(JitbenchHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            self.reply({"message": "the request body is not a JSON object — send {\"path\": \"dir\"}"}, 400)
            return
        folder = str(body.get("path") or "").strip("/")
        try:
            nb = await asyncio.to_thread(starter.starter_notebook, body.get("template"))
        except JitbenchError as err:
            self.reply({"message": str(err)}, _status_for(err))
            return
        cm = self.contents_manager
        if folder and not await ensure_async(cm.dir_exists(folder)):
            self.reply({"message": f"no folder {folder!r} on the server — pick an existing folder"}, 400)
            return
        name = await ensure_async(cm.increment_filename("investigation.ipynb", folder, insert="-"))
        path = f"{folder}/{name}" if folder else name
        await ensure_async(cm.save({"type": "notebook", "format": "json", "content": nb}, path))
        self.reply({"path": path}, 201)


def setup_handlers(web_app) -> None:
    """Register the handlers under ``<base_url>/jitbench/``."""
    base = url_path_join(web_app.settings["base_url"], "jitbench")
    grant = r"/grants/(?P<grant_id>[A-Za-z0-9][A-Za-z0-9._-]{0,127})"
    web_app.add_handlers(".*$", [
        (url_path_join(base, "grants"), GrantsHandler),
        (url_path_join(base, grant, "renew"), RenewHandler),
        (url_path_join(base, grant, "revoke"), RevokeHandler),
        (url_path_join(base, "templates"), TemplatesHandler),
        (url_path_join(base, "investigations"), InvestigationsHandler),
    ])
