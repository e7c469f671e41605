"""Application logs into ``logs`` rows: JSON lines, logfmt, and plain text with a pattern.

Each reader turns one line into one row of the ``logs`` table (columns in
:data:`LOG_COLUMNS` order) or raises ``ValueError`` with a one-line reason; the
driver :func:`parse_lines` turns those reasons into rejects that carry
``file:line``, so one bad line never costs the rest of the file.

Field names differ between logging libraries, so each role (time, level,
message, trace id, span id, service) is looked up under the names the common
ones use (``time``/``ts``/``@timestamp``, ``level``/``severity``/``levelname``,
``msg``/``message``, ``trace_id``/``traceId``/``trace.id`` ...); every field
not claimed by a role is kept in ``attributes`` as JSON.

Normalisation (shared with the Loki reader): times in s/ms/µs/ns or RFC 3339
become UTC nanoseconds since the epoch; severity text becomes an OTLP
``severity_number`` (1-24); ids become lower-case hex.

For the ingest benchmark (B1): big JSON-lines log files take the DuckDB bulk
path (:mod:`jitbench.ingest.bulk_logs`) by themselves — any ``json-logs`` file
of ``BULK_BYTES`` (8 MiB) or more; nothing to call specially::

    Store().load("logs-5000000.jsonl", format="json-logs")        # bulk, both cores
    Store().load("logs.jsonl", format="json-logs", bulk=False)    # force the Python path
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from .log_values import hex_id, severity_number, to_unix_ns

LOG_COLUMNS = ("time", "observed_time", "severity_text", "severity_number", "service_name", "body",
               "trace_id", "span_id", "attributes", "resource_attributes")

RAW_CUT = 2000  # characters of a rejected record kept in `rejects.raw`
BULK_BYTES = 8 << 20  # JSON-lines files from this size on are read by DuckDB (bulk_logs)


@dataclass(frozen=True)
class Reject:
    """A record that could not be read: where it was, why, and its text (cut)."""
    location: str
    error: str
    raw: str


def _cut(text, n: int = RAW_CUT) -> str:
    text = text if isinstance(text, str) else repr(text)
    return text if len(text) <= n else text[:n] + "…"


# -- field roles ----------------------------------------------------------------

_ROLE_NAMES = {
    "time": ("time", "timestamp", "@timestamp", "ts", "@t", "t", "datetime", "date", "time_unix_nano",
             "timeunixnano", "eventtime", "asctime", "logtime"),
    "observed_time": ("observed_time", "observedtime", "observed_time_unix_nano", "observedtimeunixnano",
                      "observedtimestamp"),
    "level": ("level", "severity", "severity_text", "severitytext", "lvl", "loglevel", "log.level",
              "levelname", "level_name", "@l", "@level", "detected_level"),
    "severity_number": ("severity_number", "severitynumber"),
    "body": ("message", "msg", "body", "@m", "@message", "log", "text", "event"),
    "trace_id": ("trace_id", "traceid", "trace.id", "otel.trace_id", "oteltraceid", "@tr", "trace"),
    "span_id": ("span_id", "spanid", "span.id", "otel.span_id", "otelspanid", "@sp", "span"),
    "service_name": ("service.name", "service_name", "servicename", "service", "otelservicename", "app",
                     "application", "app_name"),
}
# lower-cased field name -> (role, rank); a lower rank wins when a record has two names for one role
ROLE_OF: dict[str, tuple[str, int]] = {
    name: (role, rank) for role, names in _ROLE_NAMES.items() for rank, name in enumerate(names)}


def row_from_fields(fields: dict, resource: dict | None = None) -> tuple:
    """One ``logs`` row (in :data:`LOG_COLUMNS` order) from a record's fields.

    Each role takes the first of its known field names present (nested objects
    one level deep count too: ``{"log": {"level": "info"}}``); a field whose
    value does not fit its role (a trace id that is not hex) stays an attribute.
    Raises ``ValueError`` when the record's time is present but unreadable.

    >>> row_from_fields({"ts": 1764424920, "level": "warn", "msg": "slow", "user": "u1"})[:6]
    (1764424920000000000, None, 'warn', 13, None, 'slow')
    """
    best: dict[str, tuple[int, str, str | None, object]] = {}  # role -> (rank, key, sub-key, value)
    for key, value in fields.items():
        lower = key.lower()
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                hit = ROLE_OF.get(f"{lower}.{sub.lower()}")
                if hit and subvalue is not None and subvalue != "" and not isinstance(subvalue, dict):
                    if hit[0] not in best or hit[1] < best[hit[0]][0]:
                        best[hit[0]] = (hit[1], key, sub, subvalue)
            if lower not in ("body", "message"):
                continue
        hit = ROLE_OF.get(lower)
        if hit and value is not None and value != "" and (hit[0] not in best or hit[1] < best[hit[0]][0]):
            best[hit[0]] = (hit[1], key, None, value)

    taken: list[tuple[str, str | None]] = []

    def value_of(role: str, accept=None):
        # the winning field of a role, marked as taken unless `accept` refuses its value
        hit = best.get(role)
        if hit is None:
            return None
        value = hit[3] if accept is None else accept(hit[3])
        if value is not None:
            taken.append((hit[1], hit[2]))
        return value

    time = value_of("time", to_unix_ns)
    observed = value_of("observed_time", to_unix_ns)
    level = value_of("level")
    number = value_of("severity_number", severity_number) or severity_number(level)
    body = value_of("body")
    trace_id = value_of("trace_id", _trace_hex)
    span_id = value_of("span_id", _span_hex)
    service = value_of("service_name", lambda v: v if isinstance(v, str) else None)

    top = {key for key, sub in taken if sub is None}
    attributes = {k: v for k, v in fields.items() if k not in top}
    for key, sub in taken:
        if sub is not None and key in attributes:
            rest = {k: v for k, v in attributes[key].items() if k != sub}
            if rest:
                attributes[key] = rest
            else:
                del attributes[key]
    return (
        time if time is not None else observed,
        observed,
        None if level is None else (level if isinstance(level, str) else _json(level)),
        number,
        service,
        None if body is None else (body if isinstance(body, str) else _json(body)),
        trace_id,
        span_id,
        _json(attributes) if attributes else None,
        _json(resource) if resource else None,
    )


def _json(value) -> str:
    # compact, as DuckDB writes JSON: the bulk path gives the same text
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _trace_hex(value) -> str | None:
    return hex_id(value, (32, 16))


def _span_hex(value) -> str | None:
    return hex_id(value, (16,))


# -- one line, one record ------------------------------------------------------------

def json_log_row(line: str) -> tuple:
    """A ``logs`` row from one JSON-lines log record; ``ValueError`` names what is wrong.

    >>> json_log_row('{"time":"2026-11-29T14:02:00Z","level":"ERROR","msg":"boom","trace_id":"%s"}' % ("AB" * 16))[3:7]
    (17, None, 'boom', 'abababababababababababababababab')
    """
    try:
        fields = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON: {err.msg} at column {err.colno}") from None
    except RecursionError:
        raise ValueError("not valid JSON: nested too deeply") from None
    if not isinstance(fields, dict):
        raise ValueError(f"a JSON {type(fields).__name__}, not an object")
    return row_from_fields(fields)


_LOGFMT_PAIR = re.compile(r'\s*([^\s=]+)(?:=("(?:[^"\\]|\\.)*"|[^\s"]*))?')


def parse_logfmt(line: str) -> dict:
    """The ``key=value`` pairs of a logfmt line as a dict (values are text; a bare key is ``True``).

    Quoted values may contain spaces and ``\\"`` escapes.  Raises ``ValueError``
    for an unterminated quote or a line with no ``key=value`` pair.

    >>> parse_logfmt('level=info msg="hello world" dur=3ms ok')
    {'level': 'info', 'msg': 'hello world', 'dur': '3ms', 'ok': True}
    """
    fields: dict = {}
    pos, end, pairs = 0, len(line), 0
    while pos < end:
        m = _LOGFMT_PAIR.match(line, pos)
        if not m or m.end() == pos:
            if line[pos:].strip() == "":
                break
            raise ValueError(f"not logfmt at column {pos + 1}")
        key, value = m.group(1), m.group(2)
        if value is None:
            if '"' in key:
                raise ValueError(f"not logfmt: unterminated quote at column {pos + 1}")
            fields[key] = True
        else:
            pairs += 1
            if value.startswith('"'):
                value = json.loads(value) if "\\" in value else value[1:-1]
            fields[key] = value
        pos = m.end()
        if pos < end and not line[pos].isspace():
            raise ValueError(f"not logfmt: unterminated quote or stray character at column {pos + 1}")
    if not pairs:
        raise ValueError("not logfmt: no key=value pair")
    return fields


def logfmt_row(line: str) -> tuple:
    """A ``logs`` row from one logfmt line (``ts=... level=... msg=...``)."""
    return row_from_fields(parse_logfmt(line))


def pattern_row_reader(pattern: str | re.Pattern) -> Callable[[str], tuple]:
    """A line reader for plain text: a regex whose named groups are the record's fields.

    Group names follow the JSON field names (``time``, ``level``, ``msg``,
    ``trace_id``, ``service`` ...); other named groups become attributes.  A line
    the pattern does not match is rejected.  Raises ``ValueError`` for a pattern
    that does not compile or has no named group.

    >>> read = pattern_row_reader(r"(?P<time>\\S+) (?P<level>\\w+) (?P<msg>.*)")
    >>> read("2026-11-29T14:02:00Z WARN disk almost full")[2:6]
    ('WARN', 13, None, 'disk almost full')
    """
    try:
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
    except re.error as err:
        raise ValueError(f"pattern does not compile: {err}") from None
    if not regex.groupindex:
        raise ValueError("pattern has no named group, e.g. (?P<time>\\S+) (?P<level>\\w+) (?P<msg>.*)")

    def read(line: str) -> tuple:
        first, _, rest = line.partition("\n")
        m = regex.search(first)
        if not m:
            raise ValueError("line does not match the pattern")
        row = row_from_fields({k: v for k, v in m.groupdict().items() if v is not None})
        if rest:  # continuation lines (multiline=True): part of the message, e.g. a stack trace
            row = row[:5] + (f"{row[5] or ''}\n{rest}",) + row[6:]
        return row
    return read


# -- the driver: lines in, rows and rejects out, in chunks ---------------------------------

def parse_lines(lines: Iterable[bytes], read_row: Callable[[str], tuple], where: str,
                chunk: int = 50_000, first_line: int = 1) -> Iterator[tuple[list[tuple], list[Reject]]]:
    """Read lines with ``read_row``; yield ``(rows, rejects)`` every ``chunk`` lines.

    ``lines`` are bytes (numbered from ``first_line``) or ``(number, bytes)``
    pairs.  Blank lines are skipped; a line that is not UTF-8 or that
    ``read_row`` refuses becomes a :class:`Reject` at ``where:line``.  Chunks
    bound memory on big files: the caller writes each one before the next is read.
    """
    rows: list[tuple] = []
    rejects: list[Reject] = []
    for number, raw in _numbered(lines, first_line):
        try:
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError as err:
            rejects.append(Reject(f"{where}:{number}", f"not UTF-8 text (byte {err.start + 1})",
                                  _cut(raw.decode("utf-8", "replace"))))
            continue
        text = text.rstrip("\r\n")
        if not text.strip():
            continue
        if "\x00" in text:
            rejects.append(Reject(f"{where}:{number}", "binary data (NUL byte) in a text line",
                                  _cut(text.replace("\x00", "\\x00"))))
            continue
        try:
            rows.append(read_row(text))
        except (ValueError, TypeError, OverflowError) as err:
            rejects.append(Reject(f"{where}:{number}", str(err) or type(err).__name__, _cut(text)))
        if len(rows) + len(rejects) >= chunk:
            yield rows, rejects
            rows, rejects = [], []
    if rows or rejects:
        yield rows, rejects


# -- sniffing ---------------------------------------------------------------------

def sniff_log_format(head: bytes) -> str | None:
    """``"json-logs"``, ``"logfmt"`` or ``None`` from the first bytes of a file.

    JSON-lines whose objects are OTLP (``resourceLogs``/``resourceSpans``) or a
    Loki response are left to their own readers (``None`` here); logfmt needs
    every one of the first lines to parse with at least two pairs.
    """
    lines = [ln for ln in head.split(b"\n")[:20] if ln.strip()]
    if len(head) >= 4096 and len(lines) > 1:
        lines = lines[:-1]  # the last line of a cut-off head may be partial
    if not lines:
        return None
    try:
        first_text = lines[0].decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    texts = [first_text] + [ln.decode("utf-8", "replace").strip() for ln in lines[1:]]
    if texts[0].startswith("{"):
        try:
            first = json.loads(texts[0])
        except json.JSONDecodeError:
            return None
        if not isinstance(first, dict) or {"resourceLogs", "resourceSpans", "data", "batches", "trace",
                                           "result", "traceID", "spans"} & first.keys():
            return None
        return "json-logs" if _looks_like_log(first) else None
    # the first line must be logfmt, and most of the others: a stray line is a reject, not a veto
    good = sum(_is_logfmt(t) for t in texts)
    return "logfmt" if _is_logfmt(texts[0]) and good * 3 >= len(texts) * 2 else None


def _is_logfmt(text: str) -> bool:
    try:
        return len(parse_logfmt(text)) >= 2
    except (ValueError, json.JSONDecodeError):
        return False


def _looks_like_log(fields: dict) -> bool:
    roles = {ROLE_OF[k.lower()][0] for k in fields if k.lower() in ROLE_OF}
    return bool(roles & {"time", "body", "level"})


# -- writing, and the readers of the registry ----------------------------------------

def write_log_rows(store, source_id: int, rows: list[tuple]) -> int:
    """Append ``logs`` rows (tuples in :data:`LOG_COLUMNS` order) for one load, through Arrow.

    Arrow keeps the nanosecond times exact and is much faster than row inserts.
    """
    if not rows:
        return 0
    import pyarrow as pa

    columns = list(zip(*rows))
    arrow_rows = pa.table({  # noqa: F841 (read by DuckDB's replacement scan)
        "time": pa.array(columns[0], pa.timestamp("ns")),
        "observed_time": pa.array(columns[1], pa.timestamp("ns")),
        "severity_text": pa.array(columns[2], pa.string()),
        "severity_number": pa.array(columns[3], pa.int32()),
        "service_name": pa.array(columns[4], pa.string()),
        "body": pa.array(columns[5], pa.string()),
        "trace_id": pa.array(columns[6], pa.string()),
        "span_id": pa.array(columns[7], pa.string()),
        "attributes": pa.array(columns[8], pa.string()),
        "resource_attributes": pa.array(columns[9], pa.string()),
    })
    store.con.execute(f"INSERT INTO logs ({', '.join(LOG_COLUMNS)}, source_id) "
                      f"SELECT {', '.join(LOG_COLUMNS)}, {int(source_id)} FROM arrow_rows")
    return len(rows)


def _numbered(lines, first_line: int) -> Iterator[tuple[int, bytes]]:
    for number, item in enumerate(lines, first_line):
        yield item if isinstance(item, tuple) else (number, item)


def with_continuations(numbered: Iterable[tuple[int, bytes]], regex: re.Pattern) -> Iterator[tuple[int, bytes]]:
    """Lines the pattern does not match joined to the line before, as a stack trace belongs to its record.

    Yields ``(number of the first line, text)``; the text of a joined record has
    its continuation lines after newlines.  A line before any record, or one
    that is not UTF-8, is passed on alone (to be rejected).

    >>> lines = enumerate([b"E boom", b"  at f()", b"I ok"], 1)
    >>> [n for n, _ in with_continuations(lines, re.compile(r"^[EI] "))]
    [1, 3]
    """
    pending: tuple[int, bytes] | None = None
    for number, raw in numbered:
        try:
            text = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            text = None
        if pending is not None and text is not None and text.strip() and not regex.search(text):
            pending = (pending[0], pending[1] + b"\n" + text.encode("utf-8"))
            continue
        if pending is not None:
            yield pending
        pending = (number, raw.rstrip(b"\r\n"))
    if pending is not None:
        yield pending


def read_with(read_row: Callable[[str], tuple], store, source, source_id: int,
              continuation: re.Pattern | None = None) -> int:
    """Read every line of ``source`` with ``read_row`` into ``logs``; rejects keep ``file:line``.

    With ``continuation`` (the record pattern), lines it does not match join
    the record before them (see :func:`with_continuations`).
    """
    count = 0
    numbered = source.lines()
    if continuation is not None:
        numbered = with_continuations(numbered, continuation)
    for rows, rejects in parse_lines(numbered, read_row, source.uri):
        count += write_log_rows(store, source_id, rows)
        store.add_rejects(source_id, [(r.location, r.error, r.raw) for r in rejects])
    return count


def _register() -> None:
    from .registry import Reader, ReadResult, register

    def sniff_json(head: bytes) -> int:
        return 60 if sniff_log_format(head) == "json-logs" else 0

    def sniff_logfmt(head: bytes) -> int:
        return 50 if sniff_log_format(head) == "logfmt" else 0

    def sniff_text(head: bytes) -> int:
        # any other text: the text reader then asks for a pattern, a clearer answer than "unknown"
        text = head[:4096].decode("utf-8", "ignore").lstrip()
        return 1 if text and text[0] not in "{[" and "\x00" not in text else 0

    def read_json(store, source, source_id, bulk=None, **opts) -> ReadResult:
        # big files go through DuckDB (bulk_logs); bulk=True/False forces the choice
        if bulk or (bulk is None and source.size >= BULK_BYTES):
            from .bulk_logs import field_paths, read_bulk
            paths = field_paths(source.head())
            if paths is not None:
                read_bulk(store, source, source_id, paths)
                return ReadResult()
        return ReadResult(read_with(json_log_row, store, source, source_id))

    def read_logfmt(store, source, source_id, **opts) -> ReadResult:
        return ReadResult(read_with(logfmt_row, store, source, source_id))

    def read_text(store, source, source_id, pattern=None, multiline=False, **opts) -> ReadResult:
        from ..errors import IngestError
        if not pattern:
            raise IngestError(f"{source.uri} is plain text and no pattern was given",
                              hint="pass pattern= with named groups, e.g. "
                                   r"pattern=r'(?P<time>\S+) (?P<level>\w+) (?P<msg>.*)' and format='text'")
        try:
            read_row = pattern_row_reader(pattern)
        except ValueError as err:
            raise IngestError(f"bad pattern for {source.uri}: {err}", hint="fix the regular expression") from None
        joined = re.compile(pattern) if multiline and isinstance(pattern, str) else (pattern if multiline else None)
        return ReadResult(read_with(read_row, store, source, source_id, continuation=joined))

    register(Reader("json-logs", "logs", sniff_json, read_json,
                    "JSON-lines application logs (time/level/msg/trace_id under common names)"))
    register(Reader("logfmt", "logs", sniff_logfmt, read_logfmt, "logfmt key=value lines"))
    register(Reader("text", "logs", sniff_text, read_text,
                    "plain text lines read with pattern= (a regex with named groups); multiline=True "
                    "joins lines it does not match, such as stack traces, to the record before"))


_register()
