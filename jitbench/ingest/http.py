"""HTTP sources: Loki, Tempo and Jaeger query APIs, read with a lease's token into the store.

Credentials arrive as plain arguments (``token=`` sent as ``Authorization:
Bearer``, ``headers=``, ``auth=``), never through a Vault object; they go into
request headers only, never into a URL, a ``sources`` row, a reject or a message.

Failures are told apart: 401/403 is :class:`~jitbench.errors.SourceDenied`
(a new lease is needed, retrying will not help); 429 and 5xx and dropped
connections are retried with exponential backoff, honouring ``Retry-After``, a
bounded number of times, then :class:`~jitbench.errors.SourceUnreachable`.  A
load that fails part-way is taken back whole; a load that stops at a limit (the
caller's ``max_lines``, a search ``limit``) says so in its summary and as a
warning, so a truncated result never looks complete.

Loki pages through the whole ``[start, end)`` window past the server's
``limit``: each page starts at the last timestamp of the one before (so lines
sharing that nanosecond are not skipped) and the lines already taken at that
timestamp are dropped from the new page, so every line is counted once.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import json
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import requests

from ..errors import IngestError, SourceDenied, SourceUnreachable
from .logs import Reject, to_unix_ns, write_log_rows
from .loki import Entry, entries, entry_row

LOKI_PATH = "/loki/api/v1/query_range"
LOKI_PAGE_LIMIT = 1000      # lines a page; Loki's default max_entries_limit_per_query is 5000
LOKI_MAX_PAGE_LIMIT = 5000  # how far a page grows when one nanosecond holds more lines than a page


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
                when = email.utils.parsedate_to_datetime(retry_after) if retry_after else None
                if when is not None:
                    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())
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


# -- Loki ------------------------------------------------------------------------------

@dataclass
class LokiWindow:
    """What paging through a window read: lines, pages, and whether it is complete."""
    lines: int = 0
    pages: int = 0
    complete: bool = True
    warnings: list[str] = field(default_factory=list)


def page_loki(client: HttpClient, path: str, query: str, start_ns: int, end_ns: int,
              on_page: Callable[[list[Entry], list[Reject]], None], *, limit: int = LOKI_PAGE_LIMIT,
              max_lines: int | None = None) -> LokiWindow:
    """Read every line of ``query`` in ``[start_ns, end_ns)`` page by page, each line once.

    ``on_page(entries, rejects)`` receives each page's new lines in time order.
    Stops early only at ``max_lines`` (then ``complete`` is False and a warning
    says so).  If more lines share one nanosecond than a page of
    ``LOKI_MAX_PAGE_LIMIT`` holds, the rest of that nanosecond cannot be read
    through ``query_range``: that too is a warning, not a silent gap.
    """
    window = LokiWindow()
    cursor = start_ns
    taken_at_cursor: Counter = Counter()  # lines already taken whose time is `cursor`
    page_limit = limit
    while cursor < end_ns:
        want = page_limit
        params = {"query": query, "start": str(cursor), "end": str(end_ns), "limit": str(want),
                  "direction": "forward"}
        where = f"{client.url(path, params)}#{window.pages}"
        response = client.get_json(path, params)
        try:
            found, rejects = entries(response, where)
        except ValueError as err:
            raise IngestError(f"{client.url(path, params)}: {err}", hint="check the LogQL query") from None
        window.pages += 1
        found.sort(key=lambda e: e.time_ns)
        skip = taken_at_cursor.copy()
        new = []
        for entry in found:
            key = entry.key()
            if entry.time_ns == cursor and skip[key] > 0:
                skip[key] -= 1
                continue
            new.append(entry)
        cut = max_lines is not None and window.lines + len(new) > max_lines
        if cut:
            new = new[: max_lines - window.lines]
        on_page(new, rejects)
        window.lines += len(new)
        received = len(found) + len(rejects)
        if not cut and received < want:
            return window  # the server had no more: the window is complete
        if max_lines is not None and window.lines >= max_lines:
            window.complete = False
            last_read = _iso(new[-1].time_ns) if new else _iso(cursor)
            window.warnings.append(f"stopped at max_lines={max_lines}: the window holds more lines "
                                   f"than were read (the last one read is from {last_read})")
            return window
        last = found[-1].time_ns if found else cursor
        if last == cursor and not new:
            # a whole page of one nanosecond, all seen: only a bigger page can get past it
            if page_limit < LOKI_MAX_PAGE_LIMIT:
                page_limit = min(page_limit * 4, LOKI_MAX_PAGE_LIMIT)
                continue
            window.complete = False
            window.warnings.append(f"more than {page_limit} lines share the timestamp {_iso(cursor)}; "
                                   f"lines beyond the first {page_limit} at that instant were not read")
            cursor, taken_at_cursor = cursor + 1, Counter()
            continue
        if last == cursor:
            taken_at_cursor.update(e.key() for e in new if e.time_ns == cursor)
        else:
            cursor = last
            taken_at_cursor = Counter(e.key() for e in found if e.time_ns == last)
        page_limit = limit
    return window


def load_loki(store, url: str, query: str, start, end, *, token=None, headers=None, auth=None, lease=None,
              limit: int = LOKI_PAGE_LIMIT, max_lines: int | None = None, **http_opts):
    """Load every log line of a LogQL ``query`` in ``[start, end)`` from Loki into ``store.logs``.

    ``url`` is Loki's base URL (``http://loki:3100``) or a full ``.../query_range``
    URL (e.g. through a Grafana proxy); ``start``/``end`` are RFC 3339 text,
    datetimes or epoch numbers.  Pages through the whole window (see
    :func:`page_loki`); ``max_lines`` caps the load and the summary then warns
    that it is partial.  Returns the load's ``LoadSummary``.

    >>> load_loki(store, "http://loki:3100", '{app="checkout"}', "2026-11-29T13:45Z",
    ...           "2026-11-29T14:30Z", token=jwt)            # doctest: +SKIP
    """
    start_ns, end_ns = _window(start, end)
    client = client_for(url, token, headers, auth, **http_opts)
    path = "" if urlsplit(url).path.rstrip("/").endswith("query_range") else LOKI_PATH
    uri = client.url(path, {"query": query, "start": _iso(start_ns), "end": _iso(end_ns)})

    def read(source_id: int) -> list[str]:
        def on_page(found: list[Entry], rejects: list[Reject]) -> None:
            write_log_rows(store, source_id, [entry_row(e) for e in found])
            store.add_rejects(source_id, [(r.location, r.error, r.raw) for r in rejects])
        window = page_loki(client, path, query, start_ns, end_ns, on_page, limit=limit, max_lines=max_lines)
        return window.warnings
    return _booked(store, "loki", uri, lease or _lease_of(token), client, read)


# -- Tempo and Jaeger: fetch responses, let the trace readers parse them -------------------

def load_tempo(store, url: str, trace_ids=None, *, query: str | None = None, start=None, end=None,
               limit: int = 20, token=None, headers=None, auth=None, lease=None, **http_opts):
    """Load traces from Tempo: by id (``trace_ids``) or by a TraceQL search (``query``) in a window.

    A search returns at most ``limit`` traces; when it returns exactly that many
    the summary warns that more may match.  A trace id Tempo does not have is a
    reject, not an error.

    >>> load_tempo(store, "http://tempo:3200", query='{ status = error }',
    ...            start="2026-11-29T13:45Z", end="2026-11-29T14:30Z")   # doctest: +SKIP
    """
    client = client_for(url, token, headers, auth, **http_opts)
    ids = [trace_ids] if isinstance(trace_ids, str) else list(trace_ids or [])
    if not ids and not query:
        raise IngestError("load_tempo needs trace_ids= or query=", hint="pass a trace id or a TraceQL query")
    params = None
    if query:
        start_ns, end_ns = _window(start, end)
        params = {"q": query, "start": str(start_ns // 1_000_000_000), "end": str(-(-end_ns // 1_000_000_000)),
                  "limit": str(limit)}
    uri = client.url("/api/search", params) if query else client.url("/api/traces/" + ",".join(ids))

    def read(source_id: int) -> list[str]:
        notes = []
        if query:
            found = client.get_json("/api/search", params) or {}
            traces = found.get("traces") if isinstance(found, dict) else None
            if not isinstance(traces, list):
                raise IngestError(f"{client.url('/api/search', params)} is not a Tempo search response",
                                  hint="check the URL points at Tempo's HTTP API")
            ids.extend(t.get("traceID") for t in traces if isinstance(t, dict) and t.get("traceID"))
            if len(traces) >= limit:
                notes.append(f"the search stopped at limit={limit} traces; more may match (raise limit=)")
        for trace_id in dict.fromkeys(ids):
            _read_trace(store, client, source_id, f"/api/traces/{trace_id}", "tempo", trace_id)
        return notes
    return _booked(store, "tempo", uri, lease or _lease_of(token), client, read)


def load_jaeger(store, url: str, service: str | None = None, *, trace_ids=None, operation: str | None = None,
                tags: dict | None = None, start=None, end=None, limit: int = 20, token=None, headers=None,
                auth=None, lease=None, **http_opts):
    """Load traces from Jaeger's query API: a service's traces in a window, or traces by id.

    Uses ``/api/traces?service=...`` (at most ``limit`` traces; exactly that many
    is a warning that more may match) or ``/api/traces/<id>``.

    >>> load_jaeger(store, "http://jaeger:16686", "checkout", start="2026-11-29T13:45Z",
    ...             end="2026-11-29T14:30Z", tags={"error": "true"})   # doctest: +SKIP
    """
    client = client_for(url, token, headers, auth, **http_opts)
    ids = [trace_ids] if isinstance(trace_ids, str) else list(trace_ids or [])
    if not ids and not service:
        raise IngestError("load_jaeger needs service= or trace_ids=", hint="pass the service to search")
    params = None
    if service:
        start_ns, end_ns = _window(start, end)
        params = {"service": service, "start": str(start_ns // 1000), "end": str(end_ns // 1000),
                  "limit": str(limit)}
        if operation:
            params["operation"] = operation
        if tags:
            params["tags"] = json.dumps(tags)
    uri = client.url("/api/traces", params) if service else client.url("/api/traces/" + ",".join(ids))

    def read(source_id: int) -> list[str]:
        notes = []
        if service:
            body = client.get("/api/traces", params)
            data = _json_object(body, client.url("/api/traces", params))
            if len(data.get("data") or []) >= limit:
                notes.append(f"the search stopped at limit={limit} traces; more may match (raise limit=)")
            _parse_with(store, source_id, body, f"{client.url('/api/traces', params)}#0", "jaeger")
        for trace_id in dict.fromkeys(ids):
            _read_trace(store, client, source_id, f"/api/traces/{trace_id}", "jaeger", trace_id)
        return notes
    return _booked(store, "jaeger", uri, lease or _lease_of(token), client, read)


def _read_trace(store, client: HttpClient, source_id: int, path: str, format: str, trace_id: str) -> None:
    body = client.get(path, not_found_ok=True)
    where = client.url(path)
    if body is None:
        store.add_rejects(source_id, [(where, f"trace {trace_id} not found (404)", None)])
        return
    _parse_with(store, source_id, body, where, format)


def _parse_with(store, source_id: int, body: bytes, where: str, format: str) -> None:
    from .registry import Source, get, sniff
    source = Source.from_bytes(body, where, kind="http")
    try:
        reader = get(format)
    except IngestError:  # the reader may be registered under another name: let the content say
        reader = sniff(source.head(), where)
    reader.read(store, source, source_id)


def _json_object(body: bytes, where: str) -> dict:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise IngestError(f"{where} did not answer JSON", hint="check the URL points at the API") from None
    if not isinstance(data, dict):
        raise IngestError(f"{where} answered a JSON {type(data).__name__}, not an object",
                          hint="check the URL points at the API")
    return data


# -- bookkeeping shared by the HTTP loads ------------------------------------------------

def _booked(store, format: str, uri: str, lease, client: HttpClient, read: Callable[[int], list[str]]):
    # one `sources` row per load; a failure takes back every row the load wrote
    from . import LoadWarning
    started = time.perf_counter()
    source_id = store.begin_source("http", uri, format, lease)
    try:
        notes = read(source_id)
    except BaseException:
        store.discard_source(source_id)
        raise
    finally:
        client.close()
    summary = store.finish_source(source_id, format=format, bytes=client.bytes_read,
                                  seconds=time.perf_counter() - started, warnings=notes)
    for note in summary.warnings:
        warnings.warn(f"{uri}: {note}", LoadWarning, stacklevel=3)
    return summary


def _lease_of(token):
    return token if token is not None and not isinstance(token, str) and hasattr(token, "lease_id") else None


def _window(start, end) -> tuple[int, int]:
    if start is None or end is None:
        raise IngestError("a time window is needed: pass start= and end=",
                          hint="e.g. start='2026-11-29T13:45Z', end='2026-11-29T14:30Z'")
    try:
        start_ns, end_ns = _ns(start), _ns(end)
    except ValueError as err:
        raise IngestError(f"bad time window: {err}", hint="use RFC 3339 text, a datetime or epoch seconds") from None
    if end_ns <= start_ns:
        raise IngestError(f"the window ends ({_iso(end_ns)}) before it starts ({_iso(start_ns)})",
                          hint="swap start and end")
    return start_ns, end_ns


def _ns(value) -> int:
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    ns = to_unix_ns(value)
    if ns is None:
        raise ValueError("empty time")
    return ns


def _iso(ns: int) -> str:
    secs, frac = divmod(ns, 1_000_000_000)
    stamp = dt.datetime.fromtimestamp(secs, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{frac:09d}Z" if frac else f"{stamp}Z"
