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
import json
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

from ..errors import IngestError
from .http_client import HttpClient, client_for, public_url  # noqa: F401 (public_url re-exported)
from .logs import Reject, to_unix_ns, write_log_rows
from .loki import Entry, entries, entry_row

LOKI_PATH = "/loki/api/v1/query_range"
LOKI_PAGE_LIMIT = 1000      # lines a page; Loki's default max_entries_limit_per_query is 5000
LOKI_MAX_PAGE_LIMIT = 5000  # how far a page grows when one nanosecond holds more lines than a page


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
            more = "holds more lines" if cut else "may hold more lines"
            window.warnings.append(f"stopped at max_lines={max_lines}: the window {more} "
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
              limit: int = LOKI_PAGE_LIMIT, max_lines: int | None = None, progress: bool | None = None,
              **http_opts):
    """Load every log line of a LogQL ``query`` in ``[start, end)`` from Loki into ``store.logs``.

    ``url`` is Loki's base URL (``http://loki:3100``) or a full ``.../query_range``
    URL (e.g. through a Grafana proxy); ``start``/``end`` are RFC 3339 text,
    datetimes or epoch numbers.  Pages through the whole window (see
    :func:`page_loki`); ``max_lines`` caps the load and the summary then warns
    that it is partial.  A tqdm bar follows the window for loads longer than two
    seconds (``progress`` forces it on or off).  Returns the load's ``LoadSummary``.

    >>> load_loki(store, "http://loki:3100", '{app="checkout"}', "2026-11-29T13:45Z",
    ...           "2026-11-29T14:30Z", token=jwt)            # doctest: +SKIP
    """
    start_ns, end_ns = _window(start, end)
    # Loki 3 then keeps structured metadata apart from stream labels (older versions ignore it)
    headers = {"X-Loki-Response-Encoding-Flags": "categorize-labels", **(headers or {})}
    client = client_for(url, token, headers, auth, **http_opts)
    path = "" if urlsplit(url).path.rstrip("/").endswith("query_range") else LOKI_PATH
    uri = client.url(path, {"query": query, "start": _iso(start_ns), "end": _iso(end_ns)})

    def read(source_id: int) -> list[str]:
        from tqdm.auto import tqdm
        # progress through the window's seconds; shown only for loads longer than two seconds
        with tqdm(total=round((end_ns - start_ns) / 1e9, 3), unit="s", desc="loki", leave=False,
                  delay=2 if progress is None else 0, disable=progress is False) as bar:
            def on_page(found: list[Entry], rejects: list[Reject]) -> None:
                write_log_rows(store, source_id, [entry_row(e) for e in found])
                store.add_rejects(source_id, [(r.location, r.error, r.raw) for r in rejects])
                if found:
                    bar.update(max(0.0, round((found[-1].time_ns - start_ns) / 1e9, 3) - bar.n))
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
