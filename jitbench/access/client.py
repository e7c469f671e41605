"""Connect to Vault/OpenBao the way the ``vault`` CLI does, log in, and translate hvac errors.

``connect()`` reads ``VAULT_ADDR``, ``VAULT_TOKEN`` (or ``~/.vault-token``),
``VAULT_NAMESPACE``, ``VAULT_CACERT`` and ``VAULT_SKIP_VERIFY`` when they are
not given.  :func:`vault_errors` turns hvac and requests exceptions into one
line :mod:`jitbench.errors` types that name the path and what to do.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import hvac
import hvac.exceptions as hx
import requests

from ..errors import (AccessError, AuthenticationError, ConfigError, PermissionDenied, RoleMissing,
                      VaultSealed, VaultUnreachable)

DEFAULT_ADDR = "https://127.0.0.1:8200"
TIMEOUT = 10


def _env(name: str) -> str | None:
    # BAO_* are OpenBao's spellings of the same settings
    return os.environ.get(f"VAULT_{name}") or os.environ.get(f"BAO_{name}") or None


def _token_file() -> str | None:
    path = Path(os.path.expanduser("~/.vault-token"))
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def connect(addr: str | None = None, token: str | None = None, namespace: str | None = None, *,
            cacert: str | None = None, skip_verify: bool | None = None, timeout: float = TIMEOUT) -> hvac.Client:
    """An hvac client for ``addr`` (``VAULT_ADDR``) with ``token`` (``VAULT_TOKEN``, ``~/.vault-token``).

    Nothing is sent to the server; the first call made with the client shows
    whether it answers.  TLS follows ``VAULT_CACERT`` / ``VAULT_SKIP_VERIFY``.

    >>> client = connect("http://127.0.0.1:8200", token="s.xxx")   # doctest: +SKIP
    """
    addr = addr or _env("ADDR") or DEFAULT_ADDR
    if not addr.startswith(("http://", "https://")):
        raise ConfigError(f"VAULT_ADDR={addr!r} is not a URL", hint="write it like https://vault.example:8200")
    token = token or _env("TOKEN") or _token_file()
    namespace = namespace or _env("NAMESPACE")
    if skip_verify is None:
        skip_verify = (_env("SKIP_VERIFY") or "").lower() in ("1", "true", "yes")
    verify: bool | str = False if skip_verify else (cacert or _env("CACERT") or True)
    return hvac.Client(url=addr.rstrip("/"), token=token, namespace=namespace, verify=verify, timeout=timeout)


def child_client(parent: hvac.Client, token: str) -> hvac.Client:
    """A client for ``token`` on the same server, sharing the parent's HTTP session (kept-alive connections)."""
    return hvac.Client(url=parent.url, token=token, namespace=parent.adapter.namespace,
                       session=parent.session, timeout=parent.adapter._kwargs.get("timeout", TIMEOUT))


def login_userpass(client: hvac.Client, user: str, password: str, mount: str = "userpass") -> hvac.Client:
    """Log ``client`` in with username and password; the token stays in memory. Returns ``client``."""
    with vault_errors(f"auth/{mount}/login/{user}", client):
        client.auth.userpass.login(username=user, password=password, mount_point=mount)
    _remember_token(client, password)
    return client


def login_approle(client: hvac.Client, role_id: str, secret_id: str, mount: str = "approle") -> hvac.Client:
    """Log ``client`` in with an AppRole (unattended runbooks). Returns ``client``."""
    with vault_errors(f"auth/{mount}/login", client):
        client.auth.approle.login(role_id=role_id, secret_id=secret_id, mount_point=mount)
    _remember_token(client, secret_id)
    return client


def login_jwt(client: hvac.Client, role: str, jwt: str, mount: str = "jwt") -> hvac.Client:
    """Log ``client`` in with a JWT issued by a hub (JupyterHub, CI) for ``role``. Returns ``client``."""
    with vault_errors(f"auth/{mount}/login", client):
        resp = client.auth.jwt.jwt_login(role=role, jwt=jwt, path=mount)
        client.token = resp["auth"]["client_token"]
    _remember_token(client, jwt)
    return client


def _remember_token(client: hvac.Client, *credentials: str) -> None:
    from .held import remember
    remember(client.token, *credentials)


def _vault_message(err: hx.VaultError) -> str:
    errors = getattr(err, "errors", None) or []
    text = "; ".join(str(e) for e in errors) if errors else str(err).split(", on ")[0]
    text = " ".join(text.split())
    return text[:200]


@contextmanager
def vault_errors(path: str, client: hvac.Client | None = None):
    """Translate what hvac/requests raise inside the block into a one-line :mod:`jitbench.errors` type.

    ``path`` is the Vault path being used, so that the message names it.
    """
    addr = getattr(client, "url", None) or "Vault"
    try:
        yield
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
        raise VaultUnreachable(f"Vault at {addr} did not answer ({path})") from None
    except hx.VaultDown:
        raise VaultSealed(f"Vault at {addr} is sealed or unavailable ({path})") from None
    except hx.Forbidden as err:
        msg = _vault_message(err)
        raise PermissionDenied(f"permission denied on {path} ({msg})") from None
    except hx.Unauthorized as err:
        raise AuthenticationError(f"Vault rejected the credentials for {path} ({_vault_message(err)})") from None
    except (hx.InvalidRequest, hx.InvalidPath, hx.InternalServerError) as err:
        msg = _vault_message(err)
        low = msg.lower()
        if path.startswith("auth/") and "/login" in path:
            raise AuthenticationError(f"login at {path} failed ({msg})") from None
        if "role" in low and ("unknown" in low or "not found" in low or "does not exist" in low):
            raise RoleMissing(f"role missing at {path} ({msg})") from None
        if isinstance(err, hx.InvalidPath) and not msg:
            raise AccessError(f"nothing at {path} (check the mount and path)") from None
        raise AccessError(f"Vault refused {path}: {msg}") from None
    except hx.VaultError as err:
        raise AccessError(f"Vault refused {path}: {_vault_message(err)}") from None
