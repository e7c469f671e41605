"""The HTTP client of the HTTP sources: credentials in headers only, bounded retries, typed one-line errors.

401/403 is :class:`~jitbench.errors.SourceDenied` (a new lease is needed;
retrying will not help); 429, 5xx and dropped connections are retried with
exponential backoff, honouring ``Retry-After`` up to a bound, then
:class:`~jitbench.errors.SourceUnreachable`.  URLs shown anywhere are
:func:`public_url` (no user:password).
"""
from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import requests

from ..errors import IngestError, SourceDenied, SourceUnreachable


def public_url(url: str) -> str:
    """``url`` without user:password, for ``sources`` rows, rejects and messages.

    >>> public_url("https://bob:s3cret@loki.example:3100/loki")
    'https://loki.example:3100/loki'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass
class HttpClient:
    """GETs JSON from one API with credentials in headers and bounded retries.

    ``retries`` extra attempts follow a 429, a 5xx or a dropped connection, each
    after ``Retry-After`` (when the server sends one, up to ``max_wait`` seconds)
    or ``backoff * 2**attempt`` seconds.  ``sleep`` is there so tests can watch
    the waits.

    >>> client = HttpClient("http://127.0.0.1:3100", token="…")
    >>> client                                  # the token never shows
    HttpClient(base_url='http://127.0.0.1:3100', retries=4)
    """
    base_url: str
    token: str | None = field(default=None, repr=False)
    headers: dict | None = field(default=None, repr=False)
    auth: tuple | None = field(default=None, repr=False)
    timeout: float = field(default=30.0, repr=False)
    retries: int = 4
    backoff: float = field(default=0.5, repr=False)
    max_wait: float = field(default=60.0, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    verify: bool | str = field(default=True, repr=False)
    bytes_read: int = field(default=0, repr=False)

    def __post_init__(self):
        parts = urlsplit(self.base_url)
        if parts.username is not None:
            # user:password in the URL is basic auth, unless the caller gave credentials of their own
            if not self.auth and not self.token:
                self.auth = (unquote(parts.username), unquote(parts.password or ""))
            self.base_url = public_url(self.base_url)
        self.base_url = self.base_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json"
        if self.token:
            self._session.headers["Authorization"] = f"Bearer {self.token}"
        if self.headers:
            self._session.headers.update(self.headers)
        if self.auth:
            self._session.auth = tuple(self.auth)
        self._session.verify = self.verify

    def url(self, path: str, params: dict | None = None) -> str:
        """The public URL of a request (no credentials), as recorded in ``sources`` and rejects."""
        full = path if path.startswith(("http://", "https://")) else self.base_url + path
        return public_url(full + ("?" + urlencode(params) if params else ""))

    def get(self, path: str, params: dict | None = None, *, not_found_ok: bool = False) -> bytes | None:
        """The body of ``GET base_url+path?params``; raises a typed one-line error when it fails.

        With ``not_found_ok`` a 404 returns ``None`` (a trace id that is not there).
        """
        full = path if path.startswith(("http://", "https://")) else self.base_url + path
        shown = self.url(path, params)
        attempt = 0
        while True:
            try:
                resp = self._session.get(full, params=params, timeout=self.timeout)
            except requests.RequestException as err:
                reason = type(err).__name__
                if attempt >= self.retries:
                    raise SourceUnreachable(f"cannot reach {shown}: {reason} after {attempt + 1} attempts") from None
                self.sleep(self._wait(attempt, None))
                attempt += 1
                continue
            status = resp.status_code
            if status < 300:
                self.bytes_read += len(resp.content)
                return resp.content
            if status in (401, 403):
                raise SourceDenied(f"{shown} answered {status} {resp.reason}: "
                                   f"{'no valid credentials' if status == 401 else 'not allowed'}")
            if status == 404 and not_found_ok:
                return None
            if status == 429 or status >= 500:
                if attempt >= self.retries:
                    what = "rate limited (429)" if status == 429 else f"server error {status}"
                    raise SourceUnreachable(f"{shown}: {what} after {attempt + 1} attempts: {_said(resp)}",
                                            hint="try again later, or narrow the window")
                wait = self._wait(attempt, resp.headers.get("Retry-After"))
                if wait > self.max_wait:
                    raise SourceUnreachable(f"{shown}: the server asks to retry after {wait:.0f} s",
                                            hint=f"try again later (jitbench waits at most {self.max_wait:.0f} s)")
                self.sleep(wait)
                attempt += 1
                continue
            raise IngestError(f"{shown} answered {status} {resp.reason}: {_said(resp)}",
                              hint="check the URL and the query")

    def get_json(self, path: str, params: dict | None = None, *, not_found_ok: bool = False):
        """The decoded JSON body of a GET (``None`` for an allowed 404); IngestError if it is not JSON."""
        body = self.get(path, params, not_found_ok=not_found_ok)
        if body is None:
            return None
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise IngestError(f"{self.url(path, params)} did not answer JSON (starts {body[:40]!r})",
                              hint="check the URL points at the API, not a web page") from None

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                try:  # an HTTP date
                    when = email.utils.parsedate_to_datetime(retry_after)
                    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())
                except (TypeError, ValueError):
                    pass  # unreadable: fall back to our own backoff
        return self.backoff * (2 ** attempt)

    def close(self) -> None:
        self._session.close()


def _said(resp: requests.Response) -> str:
    # the first line of what the server said, short: Loki and Tempo explain refusals in the body
    text = resp.text.strip().splitlines()[0] if resp.text.strip() else resp.reason
    try:
        body = json.loads(resp.text)
        if isinstance(body, dict):
            text = str(body.get("error") or body.get("message") or body.get("errors") or text)
    except ValueError:
        pass
    return text[:200]


def client_for(url: str, token=None, headers=None, auth=None, **http_opts) -> HttpClient:
    """An :class:`HttpClient`; ``token`` may be a string or a lease-like object with ``secret()``."""
    if token is not None and not isinstance(token, str):
        # a lease: take its value here, in memory, without ever printing the object's fields
        secret = getattr(token, "secret", None)
        if not callable(secret):
            raise IngestError(f"token= must be text or a lease, not {type(token).__name__}",
                              hint="pass token=lease.secret('token')")
        token = secret("token")
    return HttpClient(url, token=token, headers=headers, auth=auth, **http_opts)
