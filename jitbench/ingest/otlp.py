"""OTLP JSON traces and logs: request documents and the collector file-exporter's JSON lines.

A clean local file of JSON lines is read by DuckDB itself, in one parallel pass
(:mod:`.direct`).  Anything else - a document, bytes from HTTP, a file in which that pass
met a bad record - takes the line-numbered path: :mod:`.jsonchunks` cuts the source into
chunks of lines and each chunk is flattened by a few DuckDB statements.  Both use explicit
structure (``json_transform``, never schema inference: inference is slower and its schema
changes with the data).
Attributes become JSON object text (:func:`.normalize.sql_attributes_text`).  A line that is
not JSON, or not an OTLP record, is rejected with its ``file:line``; so is a span whose
ids or times cannot be read; everything else in that line still loads.

The same reader takes the wrappers other backends put around OTLP: Tempo's v1
``{"batches": [...]}`` and v2 ``{"trace": {...}}``, Jaeger api_v3's ``{"result": {...}}``,
and the pre-1.0 ``instrumentationLibrarySpans`` name.
"""
from __future__ import annotations

import pyarrow.compute as pc

from . import direct
from .jsonchunks import run_chunks
from .normalize import (SPAN_KINDS, STATUS_CODES, sql_attributes, sql_attributes_text, sql_enum,
                        sql_hex_id, sql_time_ns)
from .registry import ReadResult, Reader, register

V = '"VARCHAR"'
ANY = ('{"stringValue":"VARCHAR","intValue":"VARCHAR","doubleValue":"DOUBLE","boolValue":"BOOLEAN",'
       '"bytesValue":"VARCHAR","arrayValue":"JSON","kvlistValue":"JSON"}')
KV = f'[{{"key":{V},"value":{ANY}}}]'
SCOPE = f'{{"name":{V},"version":{V}}}'
EVENT = f'{{"timeUnixNano":{V},"name":{V},"attributes":{KV}}}'
LINK = f'{{"traceId":{V},"spanId":{V},"traceState":{V},"attributes":{KV}}}'
SPAN = (f'{{"traceId":{V},"spanId":{V},"parentSpanId":{V},"traceState":{V},"name":{V},"kind":{V},'
        f'"startTimeUnixNano":{V},"endTimeUnixNano":{V},"attributes":"JSON","events":[{EVENT}],'
        f'"links":[{LINK}],"status":{{"code":{V},"message":{V}}}}}')
# span and resource attributes stay JSON text here and become objects by text replacement
# (normalize.sql_attributes_text): building them as DuckDB structs costs more than the parse
WRAPPERS = ("batches", "result", "trace", "instrumentationLibrarySpans")
WRAPPER_PATTERN = '"(' + "|".join(WRAPPERS) + ')"'


def traces_layout(present: set[str]) -> dict[str, str]:
    """The json_transform structure and the SQL paths for the wrappers seen in a chunk.

    Asking only for what is there keeps each chunk's statements small: the structure of
    every wrapper at once costs several times more to plan than the plain OTLP one.
    ``present`` holds the names of :data:`WRAPPERS` that occur in the chunk's text.
    """
    old = "instrumentationLibrarySpans" in present
    scope_spans = (f'[{{"scope":{SCOPE},' + (f'"instrumentationLibrary":{SCOPE},' if old else "")
                   + f'"spans":[{SPAN}]}}]')
    resource_spans = (f'[{{"resource":{{"attributes":"JSON"}},"scopeSpans":{scope_spans}'
                      + (f',"instrumentationLibrarySpans":{scope_spans}' if old else "") + "}]")
    fields, roots = [f'"resourceSpans":{resource_spans}'], ["j.resourceSpans"]
    if "batches" in present:
        fields.append(f'"batches":{resource_spans}')
        roots.append("j.batches")
    if "result" in present:
        fields.append(f'"result":{{"resourceSpans":{resource_spans}}}')
        roots.append("j.result.resourceSpans")
    if "trace" in present:
        fields.append(f'"trace":{{"resourceSpans":{resource_spans},"batches":{resource_spans}}}')
        roots += ["j.trace.resourceSpans", "j.trace.batches"]
    return {"doc": "{" + ",".join(fields) + "}",
            "root": roots[0] if len(roots) == 1 else f"coalesce({', '.join(roots)})",
            "scope_spans": "coalesce(rs.scopeSpans, rs.instrumentationLibrarySpans)" if old else "rs.scopeSpans",
            "scope": "coalesce(ss.scope, ss.instrumentationLibrary)" if old else "ss.scope"}


TRACES_DOC = traces_layout(set(WRAPPERS))["doc"]  # every wrapper: what the reader accepts

LOG = (f'{{"timeUnixNano":{V},"observedTimeUnixNano":{V},"severityNumber":{V},"severityText":{V},'
       f'"body":{ANY},"attributes":{KV},"traceId":{V},"spanId":{V},"eventName":{V}}}')
SCOPE_LOGS = f'[{{"scope":{SCOPE},"logRecords":[{LOG}]}}]'
LOGS_DOC = (f'{{"resourceLogs":[{{"resource":{{"attributes":{KV}}},"scopeLogs":{SCOPE_LOGS},'
            f'"instrumentationLibraryLogs":{SCOPE_LOGS}}}]}}')

SEVERITY_NAMES = {f"{level}{n if n > 1 else ''}": base + n - 1
                  for level, base in (("TRACE", 1), ("DEBUG", 5), ("INFO", 9), ("WARN", 13),
                                      ("ERROR", 17), ("FATAL", 21)) for n in range(1, 5)}

SERVICE = "(list_filter(ra, lambda a: a.key = 'service.name'))[1].value.stringValue"
SERVICE_OF_OBJECT = "json_extract_string(resource_attributes, '$.\"service.name\"')"


def _parse(cursor, name: str, doc: str, root: str) -> None:
    """Parse a chunk's lines into ``name`` (line, j); the text is kept only for lines that failed."""
    cursor.execute(f"""CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT line, j, CASE WHEN j IS NULL OR {root} IS NULL THEN coalesce(text, '') END AS bad
        FROM (SELECT line, text, try(json_transform(text, '{doc}')) AS j FROM {name}_in)""")


def _line_rejects(cursor, name: str, source, source_id: int, what: str) -> None:
    """Reject the lines of a chunk that are not UTF-8, not JSON, or not an OTLP record."""
    cursor.execute(f"""
        INSERT INTO rejects
        SELECT {source_id}, ? || ':' || line,
               CASE WHEN bad = '' THEN 'not UTF-8 text (binary data?)'
                    WHEN NOT json_valid(bad) THEN 'not valid JSON (a truncated or corrupt line?)'
                    ELSE 'no {what} here: not an OTLP {what} record' END,
               nullif(left(rtrim(bad, chr(13) || chr(10)), 2000), '')
        FROM {name} WHERE bad IS NOT NULL""", [source.uri])


def _span_problem() -> str:
    """SQL naming what is wrong with a flattened span, NULL when nothing is."""
    checks = [("sp.traceId IS NULL", "'span has no traceId'"),
              ("sp.spanId IS NULL", "'span has no spanId'"),
              ("trace_id IS NULL", "'traceId is neither hex nor base64: ' || sp.traceId"),
              ("span_id IS NULL", "'spanId is neither hex nor base64: ' || sp.spanId"),
              ("parent_span_id IS NULL AND coalesce(sp.parentSpanId, '') <> ''",
               "'parentSpanId is neither hex nor base64: ' || sp.parentSpanId"),
              ("start_time IS NULL AND sp.startTimeUnixNano IS NOT NULL",
               "'startTimeUnixNano is not a number: ' || sp.startTimeUnixNano"),
              ("end_time IS NULL AND sp.endTimeUnixNano IS NOT NULL",
               "'endTimeUnixNano is not a number: ' || sp.endTimeUnixNano")]
    return "CASE " + " ".join(f"WHEN {c} THEN {m}" for c, m in checks) + " END"


def _wrappers_in(texts) -> set[str]:
    """The names of :data:`WRAPPERS` that occur in a chunk's text column.

    One RE2 pass for all of them first: plain OTLP (the common case) then costs a single
    scan, where a ``match_substring`` scan per wrapper cost a quarter of the whole load.
    """
    if not pc.any(pc.match_substring_regex(texts, WRAPPER_PATTERN)).as_py():
        return set()
    return {w for w in WRAPPERS if pc.any(pc.match_substring(texts, f'"{w}"')).as_py()}


def _flat_spans(carry: str, scope_spans: str, scope: str) -> str:
    """The CTEs from ``r`` (one ``rs`` resourceSpans a row) to ``n``: a span a row, ids and times read.

    ``carry`` names columns of ``r`` kept on every row (``"line, "`` or ``""``).  Both read
    paths flatten with this; they differ in where ``r`` comes from and what they do with ``n``.
    """
    return f"""
        s AS (SELECT {carry}{sql_attributes_text('rs.resource.attributes', KV)} AS resource_attributes,
                     unnest({scope_spans}) AS ss FROM r),
        p AS (SELECT {carry}{SERVICE_OF_OBJECT} AS service_name, resource_attributes, {scope} AS sc,
                     unnest(ss.spans) AS sp FROM s),
        n AS (SELECT *, {sql_hex_id('sp.traceId')} AS trace_id, {sql_hex_id('sp.spanId')} AS span_id,
                     nullif({sql_hex_id('sp.parentSpanId')}, '') AS parent_span_id,
                     {sql_time_ns('sp.startTimeUnixNano')} AS start_time,
                     {sql_time_ns('sp.endTimeUnixNano')} AS end_time FROM p)"""


def _span_columns(source_id: int, trace_id: str = "trace_id") -> str:
    """The ``spans`` columns, in table order, of a row of :func:`_flat_spans`'s ``n``."""
    return f"""{trace_id}, span_id, parent_span_id, sp.traceState, service_name, sp.name,
               {sql_enum('sp.kind', SPAN_KINDS, 'SPAN_KIND_', 'UNSPECIFIED')},
               start_time, end_time, epoch_ns(end_time) - epoch_ns(start_time),
               {sql_enum('sp.status.code', STATUS_CODES, 'STATUS_CODE_', 'UNSET')},
               nullif(sp.status.message, ''), {sql_attributes_text('sp.attributes', KV)},
               resource_attributes, sc.name, sc.version, {source_id}"""


def _event_columns(e: str, source_id: int) -> str:
    """The ``span_events`` columns of an OTLP event ``e`` of the span (trace_id, span_id)."""
    return f"trace_id, span_id, {sql_time_ns(e + '.timeUnixNano')}, {e}.name, {sql_attributes(e + '.attributes')}, {source_id}"


def _link_columns(link: str, source_id: int) -> str:
    """The ``span_links`` columns of an OTLP link of the span (trace_id, span_id)."""
    return (f"trace_id, span_id, {sql_hex_id(link + '.traceId')}, {sql_hex_id(link + '.spanId')}, {link}.traceState, "
            f"{sql_attributes(link + '.attributes')}, {source_id}")


def read_traces(store, source, source_id: int, **opts) -> ReadResult:
    """Read OTLP JSON traces (document or file-exporter lines) into spans, span_events, span_links.

    A clean local file of JSON lines is read by DuckDB itself (:mod:`.direct`); anything
    else, or a file in which that finds a bad record, is read in line-numbered chunks.
    """
    if direct.eligible(source) and _read_traces_direct(store, source, source_id):
        return ReadResult()
    uri = source.uri

    def work(cursor, chunk, name: str) -> None:
        layout = traces_layout(_wrappers_in(chunk.column("text")))
        cursor.register(f"{name}_in", chunk)
        try:
            _parse(cursor, name, layout["doc"], layout["root"])
            _line_rejects(cursor, name, source, source_id, "resourceSpans")
            cursor.execute(f"""
                CREATE OR REPLACE TEMP TABLE {name}_sp AS
                WITH r AS (SELECT line, unnest({layout['root']}) AS rs FROM {name} WHERE bad IS NULL),
                {_flat_spans("line, ", layout['scope_spans'], layout['scope'])}
                SELECT *, {_span_problem()} AS problem FROM n""")
            cursor.execute(f"""
                INSERT INTO spans SELECT {_span_columns(source_id)} FROM {name}_sp WHERE problem IS NULL""")
            cursor.execute(f"""
                INSERT INTO span_events SELECT {_event_columns('e', source_id)}
                FROM (SELECT trace_id, span_id, unnest(sp.events) AS e FROM {name}_sp
                      WHERE problem IS NULL AND len(sp.events) > 0)""")
            cursor.execute(f"""
                INSERT INTO span_links SELECT {_link_columns('l', source_id)}
                FROM (SELECT trace_id, span_id, unnest(sp.links) AS l FROM {name}_sp
                      WHERE problem IS NULL AND len(sp.links) > 0)""")
            cursor.execute(f"""
                INSERT INTO rejects SELECT {source_id}, ? || ':' || line, problem, left(to_json(sp)::VARCHAR, 2000)
                FROM {name}_sp WHERE problem IS NOT NULL""", [uri])
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {name}; DROP TABLE IF EXISTS {name}_sp")
            cursor.unregister(f"{name}_in")

    run_chunks(store.con, source, work)
    return ReadResult()


EVENTS_OR_LINKS = "span events or links"


def _read_traces_direct(store, source, source_id: int) -> bool:
    """Load a clean file of plain OTLP lines in DuckDB's own parallel scan; False if it is not clean.

    Spans come first in a pass that refuses any span with events or links, because
    those need a second pass over the file (one statement fills one table); a file
    whose first 64 KiB show them gets both passes at once.
    """
    head = source.head()
    if b'"events"' not in head and b'"links"' not in head:
        reason = direct.load(store, source, [_direct_spans(source, source_id, refuse_events=True)])
        if reason is None or EVENTS_OR_LINKS not in reason:
            return reason is None
    return direct.load(store, source, [_direct_spans(source, source_id, refuse_events=False),
                                       _direct_events(source, source_id), _direct_links(source, source_id)]) is None


def _direct_spans(source, source_id: int, refuse_events: bool) -> str:
    """INSERT of every span of a clean file (see :mod:`.direct` for what "clean" means)."""
    layout = traces_layout(set())
    span = SPAN.replace(f'"events":[{EVENT}],"links":[{LINK}]', '"events":"JSON","links":"JSON"')
    doc = (layout["doc"].replace(f'"spans":[{SPAN}]', f'"spans":[{span}]')
           .replace('"scopeSpans":', f'"instrumentationLibrarySpans":"JSON","scopeSpans":', 1))
    problem = _span_problem()
    if refuse_events:
        problem = (f"coalesce({problem}, CASE WHEN coalesce(sp.events::VARCHAR, '[]') <> '[]' "
                   f"OR coalesce(sp.links::VARCHAR, '[]') <> '[]' THEN '{EVENTS_OR_LINKS}' END)")
    resource_spans = direct.refuse("j.resourceSpans IS NULL", "a line without resourceSpans", "j.resourceSpans")
    scope_spans = direct.refuse("rs.instrumentationLibrarySpans IS NOT NULL", "instrumentationLibrarySpans",
                                "rs.scopeSpans")
    return f"""
        INSERT INTO spans
        WITH r AS (SELECT unnest({resource_spans}) AS rs
                   FROM (SELECT json_transform(json, '{doc}') AS j FROM {direct.scan(source)})),
        {_flat_spans("", scope_spans, "ss.scope")}
        SELECT {_span_columns(source_id, direct.refuse(f"({problem}) IS NOT NULL", "a span needs a closer look: ' || ("
                                                           + problem + ") || '", "trace_id"))}
        FROM n"""


def _direct_spans_of(source, field: str, item: str) -> str:
    """SQL rows (trace_id, span_id, x) for every item of ``field`` (events or links) of a clean file."""
    doc = (f'{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":{V},"spanId":{V},'
           f'"{field}":[{item}]}}]}}]}}]}}')
    return f"""
        SELECT {sql_hex_id('sp.traceId')} AS trace_id, {sql_hex_id('sp.spanId')} AS span_id, unnest(sp.{field}) AS x
        FROM (SELECT unnest(ss.spans) AS sp
              FROM (SELECT unnest(rs.scopeSpans) AS ss
                    FROM (SELECT unnest(json_transform(json, '{doc}').resourceSpans) AS rs
                          FROM {direct.scan(source)} WHERE contains(json, '"{field}"'))))
        WHERE len(sp.{field}) > 0"""


def _direct_events(source, source_id: int) -> str:
    return f"""
        INSERT INTO span_events SELECT {_event_columns('x', source_id)}
        FROM ({_direct_spans_of(source, 'events', EVENT)})"""


def _direct_links(source, source_id: int) -> str:
    return f"""
        INSERT INTO span_links SELECT {_link_columns('x', source_id)}
        FROM ({_direct_spans_of(source, 'links', LINK)})"""


def read_logs(store, source, source_id: int, **opts) -> ReadResult:
    """Read OTLP JSON logs (document or file-exporter lines) into ``logs``."""
    severity = " ".join(f"WHEN 'SEVERITY_NUMBER_{n}' THEN {v}" for n, v in SEVERITY_NAMES.items())
    body = ("coalesce(lr.body.stringValue, lr.body.intValue, CAST(lr.body.doubleValue AS VARCHAR), "
            "CAST(lr.body.boolValue AS VARCHAR), lr.body.bytesValue, CAST(lr.body.arrayValue AS VARCHAR), "
            "CAST(lr.body.kvlistValue AS VARCHAR))")
    event = "CASE WHEN lr.eventName IS NULL THEN [] ELSE [{'key': 'event.name', 'value': {'stringValue': lr.eventName}}] END"
    attributes = sql_attributes(f"list_concat(lr.attributes, {event})")
    root = "j.resourceLogs"

    def work(cursor, chunk, name: str) -> None:
        cursor.register(f"{name}_in", chunk)
        try:
            _parse(cursor, name, LOGS_DOC, root)
            _line_rejects(cursor, name, source, source_id, "resourceLogs")
            cursor.execute(f"""
                CREATE OR REPLACE TEMP TABLE {name}_lr AS
                WITH r AS (SELECT line, unnest({root}) AS rl FROM {name} WHERE bad IS NULL),
                s AS (SELECT line, rl.resource.attributes AS ra,
                             unnest(coalesce(rl.scopeLogs, rl.instrumentationLibraryLogs)) AS sl FROM r),
                p AS (SELECT line, {SERVICE} AS service_name, {sql_attributes('ra')} AS resource_attributes,
                             unnest(sl.logRecords) AS lr FROM s)
                SELECT *, {sql_time_ns('lr.timeUnixNano')} AS t, {sql_time_ns('lr.observedTimeUnixNano')} AS ot,
                       nullif({sql_hex_id('lr.traceId')}, '') AS trace_id,
                       nullif({sql_hex_id('lr.spanId')}, '') AS span_id,
                       CASE WHEN t IS NULL AND lr.timeUnixNano IS NOT NULL
                            THEN 'timeUnixNano is not a number: ' || lr.timeUnixNano
                            WHEN trace_id IS NULL AND coalesce(lr.traceId, '') <> ''
                            THEN 'traceId is neither hex nor base64: ' || lr.traceId END AS problem
                FROM p""")
            cursor.execute(f"""
                INSERT INTO logs
                SELECT coalesce(t, ot), ot, lr.severityText,
                       coalesce(TRY_CAST(lr.severityNumber AS INTEGER), CASE upper(lr.severityNumber) {severity} END),
                       service_name, {body}, trace_id, span_id, {attributes}, resource_attributes, {source_id}
                FROM {name}_lr WHERE problem IS NULL""")
            cursor.execute(f"""
                INSERT INTO rejects SELECT {source_id}, ? || ':' || line, problem, left(to_json(lr)::VARCHAR, 2000)
                FROM {name}_lr WHERE problem IS NOT NULL""", [source.uri])
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {name}; DROP TABLE IF EXISTS {name}_lr")
            cursor.unregister(f"{name}_in")

    run_chunks(store.con, source, work)
    return ReadResult()


def sniff_traces(head: bytes) -> int:
    """OTLP traces: the ``resourceSpans`` key near the start."""
    return 90 if b'"resourceSpans"' in head[:4096] else 0


def sniff_logs(head: bytes) -> int:
    """OTLP logs: the ``resourceLogs`` key near the start."""
    return 90 if b'"resourceLogs"' in head[:4096] else 0


register(Reader("otlp-traces", "spans", sniff_traces, read_traces,
                "OTLP JSON traces: request documents or collector file-exporter lines"))
register(Reader("otlp-logs", "logs", sniff_logs, read_logs,
                "OTLP JSON logs: request documents or collector file-exporter lines"))
