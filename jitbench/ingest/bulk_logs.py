"""JSON-lines logs through DuckDB: the bulk path of the ``json-logs`` reader, for big files.

The Python reader (:func:`jitbench.ingest.logs.json_log_row`) costs tens of
microseconds a line; this path hands a clean local file to DuckDB whole
(:mod:`jitbench.ingest.direct`), or anything else in chunks of numbered lines
(:mod:`jitbench.ingest.jsonchunks`), and DuckDB parses each line
(``json_extract_string`` over a list of paths) and applies the same rules in
SQL: which field name fills which role, times by magnitude or RFC 3339 to UTC
nanoseconds, OTLP severity numbers, hex ids, the unclaimed fields as
``attributes``.  Tests hold both paths to the same rows and reject locations.

The field names are learned from the first lines of the file (the head), so
a name first seen further down stays in ``attributes`` instead of filling its
role; nothing is lost either way.  Files whose roles sit in nested objects
(``{"log": {"level": ...}}``) take the Python path.

Known differences from the Python path, all at the edges of JSON: DuckDB
accepts a trailing comma (``{"a":1,}``) and refuses a lone surrogate escape
(``"\ud800"``), Python the reverse; in ``attributes`` DuckDB writes
``1e16`` as ``10000000000000000.0`` and escapes control characters as
``\u001F`` (Python ``1e+16``, ``\u001f``) — the same JSON values.
"""
from __future__ import annotations

import json

from . import direct
from .jsonchunks import run_chunks
from .log_values import _NUMERIC_LEVEL, _SEVERITY
from .logs import LOG_COLUMNS, ROLE_OF

ROLE_ORDER = ("time", "observed_time", "level", "severity_number", "body", "trace_id", "span_id",
              "service_name")
_RFC3339_RE = (r"^\s*(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*"
               r"(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?\s*$")
_PARTS = "['y', 'mo', 'd', 'h', 'mi', 's', 'frac', 'tz']"
# the commonest shape by far; DuckDB's TIMESTAMP_NS cast reads it whole, nanoseconds included
# (it would ignore an offset, hence only "Z"; a leap second or hour 24 takes the general path)
_ZULU_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?Z"


def field_paths(head: bytes, sample_lines: int = 500) -> dict[str, list[str]] | None:
    """Role -> the top-level field names that fill it in this file, best first; None if the bulk path can't.

    Learned from the complete JSON-object lines of ``head``; ``None`` when a
    role sits in a nested object or no line could be read.

    >>> field_paths(b'{"ts": 1, "Level": "info", "msg": "x"}\\n')
    {'time': ['ts'], 'level': ['Level'], 'body': ['msg']}
    """
    seen: dict[str, dict[str, int]] = {}
    objects = 0
    for raw in head.split(b"\n")[:sample_lines]:
        try:
            fields = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(fields, dict):
            continue
        objects += 1
        for key, value in fields.items():
            lower = key.lower()
            if isinstance(value, dict) and lower not in ("body", "message"):
                if any(f"{lower}.{sub.lower()}" in ROLE_OF for sub in value):
                    return None
                continue
            hit = ROLE_OF.get(lower)
            if hit:
                seen.setdefault(hit[0], {})[key] = hit[1]
    if not objects:
        return None
    return {role: sorted(names, key=lambda n: (names[n], n)) for role in ROLE_ORDER
            if (names := seen.get(role))}


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def severity_values() -> str:
    """A SQL ``VALUES`` list of level name -> OTLP number: the names of logs.severity_number."""
    names = dict(_SEVERITY)
    for base in ("trace", "debug", "info", "warn", "error", "fatal"):
        for step in range(1, 5):
            names.setdefault(f"{base}{step}", _SEVERITY[base] + step - 1)
    return "VALUES " + ", ".join(f"({_q(k)}, {v})" for k, v in names.items())


def _severity_sql(text: str, type_: str, by_name: str) -> str:
    # the SQL twin of logs.severity_number; `by_name` is the joined number of lower(trim(text))
    by_number = " ".join(f"WHEN {k} THEN {v}" for k, v in _NUMERIC_LEVEL.items())
    number = f"TRY_CAST(trunc(TRY_CAST(trim({text}) AS DOUBLE)) AS BIGINT)"
    return (f"CASE WHEN {type_} = 'BOOLEAN' OR {text} IS NULL THEN NULL "
            f"WHEN {type_} IN ('UBIGINT', 'BIGINT', 'DOUBLE') OR regexp_full_match(trim({text}), '[0-9]+') "
            f"THEN (CASE {number} {by_number} ELSE CASE WHEN {number} BETWEEN 1 AND 24 THEN {number} END END) "
            f"ELSE {by_name} END")


def _time_sql(text: str, type_: str) -> str:
    """Nanoseconds (BIGINT, NULL when absent or unreadable): the SQL twin of logs.to_unix_ns.

    The common shape (``2026-11-29T14:02:00.123456789Z``) goes through DuckDB's
    timestamp cast, with the digits past the microsecond added back; other text
    through the RFC 3339 regexp; numbers by magnitude, exactly.
    """
    t = f"trim({text})"

    def scaled(n: str) -> str:
        return (f"(CASE WHEN abs({n}) < 1e11 THEN {n} * 1000000000 WHEN abs({n}) < 1e14 THEN {n} * 1000000 "
                f"WHEN abs({n}) < 1e17 THEN {n} * 1000 WHEN abs({n}) < 1e20 THEN {n} END)")
    exact = f"TRY_CAST(trunc({scaled(f'TRY_CAST({t} AS DECIMAL(38,9))')}) AS BIGINT)"
    approx = f"TRY_CAST(round({scaled(f'TRY_CAST({t} AS DOUBLE)')}) AS BIGINT)"
    is_number = f"regexp_full_match({t}, '[0-9]+(\\.[0-9]*)?')"
    is_signed = f"regexp_full_match({t}, '-?[0-9]+(\\.[0-9]*)?')"
    sub_micro = (f"coalesce(TRY_CAST(rpad(regexp_extract(substr({t}, 27, 3), '^[0-9]*'), 3, '0') AS BIGINT), 0)")
    # digits 7-9 of the fraction, which the timestamp cast (microseconds) drops
    sub_micro = (f"(CASE WHEN substr({t}, 20, 1) = '.' AND regexp_full_match(substr({t}, 21, 6), '[0-9]{{6}}') "
                 f"THEN coalesce(TRY_CAST(rpad(regexp_extract(substr({t}, 27, 3), '^[0-9]*'), 3, '0') AS BIGINT), 0) "
                 f"ELSE 0 END)")
    cast = f"epoch_us(TRY_CAST({t} AS TIMESTAMPTZ)) * 1000 + {sub_micro}"
    p = "p"
    offset = (f"(CASE WHEN {p}.tz IN ('', 'Z', 'z', 'UTC', 'GMT') THEN 0 ELSE "
              f"(CASE WHEN starts_with({p}.tz, '-') THEN -1 ELSE 1 END) * "
              f"(CAST(substr(replace({p}.tz, ':', ''), 2, 2) AS BIGINT) * 3600 + "
              f"coalesce(TRY_CAST(nullif(substr(replace({p}.tz, ':', ''), 4, 2), '') AS BIGINT), 0) * 60) END)")
    minute = (f"epoch_us(try(make_timestamp(TRY_CAST({p}.y AS BIGINT), TRY_CAST({p}.mo AS BIGINT), "
              f"TRY_CAST({p}.d AS BIGINT), TRY_CAST({p}.h AS BIGINT), TRY_CAST({p}.mi AS BIGINT), 0)))")
    second = f"coalesce(TRY_CAST(nullif({p}.s, '') AS BIGINT), 0)"
    from_parts = (f"CASE WHEN {p}.y <> '' AND {minute} IS NOT NULL AND {second} <= 60 "
                  f"THEN ({minute} // 1000000 + {second} - {offset}) * 1000000000 "
                  f"+ coalesce(TRY_CAST(nullif(rpad(left({p}.frac, 9), 9, '0'), '') AS BIGINT), 0) END")
    # a lambda over a one-element list binds the regexp's groups to `p` without recomputing them
    from_text = (f"list_transform([regexp_extract({t}, {_q(_RFC3339_RE)}, {_PARTS})], "
                 f"lambda p: {from_parts})[1]")
    # the common shape first, on the text as it is (matching it, the text has nothing to trim)
    zulu = (f"CASE WHEN {type_} = 'VARCHAR' AND {text} LIKE '____-__-__T__:__:__%Z' "
            f"AND regexp_full_match({text}, {_q(_ZULU_RE)}) THEN epoch_ns(TRY_CAST({text} AS TIMESTAMP_NS)) END")
    return (f"CASE WHEN {text} IS NULL THEN NULL ELSE coalesce({zulu}, CASE "
            f"WHEN {type_} IN ('UBIGINT', 'BIGINT') THEN {exact} "
            f"WHEN {type_} = 'DOUBLE' THEN coalesce(CASE WHEN {is_signed} THEN {exact} END, {approx}) "
            f"WHEN {type_} <> 'VARCHAR' THEN NULL "
            f"WHEN {t} LIKE '____-__-__T__:__:__%' AND regexp_full_match({t}, {_q(_RFC3339_RE)}) "
            f"THEN coalesce({cast}, {from_text}) "
            f"WHEN {is_number} THEN {exact} "
            f"ELSE {from_text} END) END")


def _time_error(text: str, ns: str) -> str:
    return (f"CASE WHEN {text} IS NOT NULL AND {ns} IS NULL THEN "
            f"'time ' || {text}[:60] || ' is not a timestamp (expected RFC 3339 or epoch s/ms/µs/ns)' END")


def _hex_sql(text: str, type_: str, sizes: tuple[int, ...]) -> str:
    # the SQL twin of logs.hex_id; plain hex (nearly every id) is settled by one regexp
    plain = "|".join(f"[0-9a-fA-F]{{{n}}}" for n in sizes)
    zeros = ", ".join(f"'{'0' * n}'" for n in sizes)  # the all-zero id means "none"
    in_sizes = ", ".join(str(s) for s in sizes)
    h = f"(CASE WHEN length({text}) = 36 THEN replace(trim({text}), '-', '') ELSE trim({text}) END)"
    raw = f"try(from_base64({h}))"
    other = (f"(CASE WHEN length({h}) IN ({in_sizes}) AND regexp_full_match({h}, '[0-9a-fA-F]+') THEN lower({h}) "
             f"WHEN octet_length({raw}) * 2 IN ({in_sizes}) THEN lower(hex({raw})) END)")
    return (f"CASE WHEN {type_} <> 'VARCHAR' THEN NULL "
            f"WHEN regexp_full_match({text}, '{plain}') THEN "
            f"(CASE WHEN {text} IN ({zeros}) THEN NULL ELSE lower({text}) END) "
            f"ELSE nullif({other}, repeat('0', length({other}))) END")


def _pick(role: str, candidates: list[int]) -> str:
    """SQL columns ``v_<role>, t_<role>``: the value and JSON type of the role's winning field."""
    if not candidates:
        return f"NULL::VARCHAR AS v_{role}, NULL::VARCHAR AS t_{role}"
    return ", ".join("CASE w_" + role + " " + " ".join(f"WHEN {i} THEN {x}_{i}" for i in candidates)
                     + f" END AS {x}_{role}" for x in ("v", "t"))


def rows_sql(paths: dict[str, list[str]], lines: str, parsed: bool = False) -> str:
    """The query turning ``lines`` (a relation of ``line``, ``text``) into ``logs`` columns plus ``error``.

    ``error`` names what is wrong with a line (NULL when nothing is); ``text`` is kept
    only for those lines, for ``rejects``.  Times come out as BIGINT nanoseconds.
    ``parsed`` says the texts are known to be JSON (DuckDB's JSON scan read them): each
    parse of a line saved is a tenth of the load.
    """
    flat = [(role, key) for role in ROLE_ORDER for key in paths.get(role, [])]
    index = {rk: i + 1 for i, rk in enumerate(flat)}
    path_list = "[" + ", ".join(_q(_json_path(k)) for _, k in flat) + "]" if flat else "[]::VARCHAR[]"
    winners, removals = [], []
    for role in ROLE_ORDER:
        keys = paths.get(role, [])
        if not keys:
            winners.append(f"NULL::INTEGER AS w_{role}")
            continue
        picks = []
        for key in keys:  # the first present, non-empty field of the role, as logs.row_from_fields picks
            i = index[(role, key)]
            ok = (f"t_{i} IS NOT NULL AND t_{i} <> 'NULL' AND NOT (t_{i} = 'VARCHAR' AND v_{i} = '')"
                  + ("" if key.lower() in ("body", "message") else f" AND t_{i} <> 'OBJECT'"))
            picks.append((ok, i, key))
        winners.append("CASE " + " ".join(f"WHEN {ok} THEN {i}" for ok, i, _ in picks) + f" END AS w_{role}")
        removals.append((role, "CASE w_" + role + " " + " ".join(
            f"WHEN {i} THEN {_q(json.dumps(k) + ':null')}" for _, i, k in picks) + " END"))
    # each field's value and JSON type taken out of the lists once, then each role's winner's
    # (a list element read with a computed index costs a copy every time it is named)
    value = {r: (f"v_{r}", f"t_{r}") for r in ROLE_ORDER}
    fields = "".join(f", v[{i}] AS v_{i}, t[{i}] AS t_{i}" for i in index.values())
    valid = "true" if parsed else "text IS NOT NULL AND json_valid(text)"
    json_type = "CASE WHEN starts_with(text, '{') THEN 'OBJECT' ELSE json_type(text) END" if parsed else "json_type(text)"
    picked = ", ".join(_pick(r, [index[(r, k)] for k in paths.get(r, [])]) for r in ROLE_ORDER)
    taken = {"time": "time_ns IS NOT NULL", "observed_time": "obs_ns IS NOT NULL",
             "level": "w_level IS NOT NULL", "severity_number": "sev_claim IS NOT NULL",
             "body": "w_body IS NOT NULL", "trace_id": "trace_id IS NOT NULL", "span_id": "span_id IS NOT NULL",
             "service_name": "service_name IS NOT NULL"}
    # one merge patch a row that removes the fields the roles took (RFC 7396: null deletes)
    patch = ("'{' || concat_ws(',', " + ", ".join(f"CASE WHEN {taken[r]} THEN {frag} END" for r, frag in removals)
             + ") || '}'") if removals else "'{}'"
    attributes = f"nullif(json_merge_patch(text, {patch})::VARCHAR, '{{}}')"
    return f"""
        WITH severity(name, number) AS ({severity_values()}
        ), parsed AS (
            SELECT line, text, {valid} AS valid FROM {lines}
        ), fields AS (
            SELECT line, text, valid, jt,
                   CASE WHEN jt = 'OBJECT' THEN json_extract_string(text, {path_list}) END AS v,
                   CASE WHEN jt = 'OBJECT' THEN json_type(text, {path_list}) END AS t
            FROM (SELECT *, CASE WHEN valid THEN {json_type} END AS jt FROM parsed)
        ), split AS (
            SELECT * EXCLUDE (v, t){fields} FROM fields
        ), won AS (
            SELECT *, {", ".join(winners)} FROM split
        ), picked AS (
            SELECT *, {picked} FROM won
        ), timed AS (
            SELECT picked.*, {_time_sql(*value["time"])} AS time_ns, {_time_sql(*value["observed_time"])} AS obs_ns,
                   {_severity_sql(*value["severity_number"], "s1.number")} AS sev_claim,
                   {_severity_sql(*value["level"], "s2.number")} AS level_sev,
                   {_hex_sql(*value["trace_id"], (32, 16))} AS trace_id,
                   {_hex_sql(*value["span_id"], (16,))} AS span_id,
                   CASE WHEN t_service_name = 'VARCHAR' THEN v_service_name END AS service_name
            FROM picked
            LEFT JOIN severity s1 ON s1.name = lower(trim(v_severity_number))
            LEFT JOIN severity s2 ON s2.name = lower(trim(v_level))
        )
        SELECT line, CASE WHEN error IS NOT NULL THEN text END AS text, * EXCLUDE (line, text) FROM (
        SELECT line, text,
               CASE WHEN text IS NULL THEN 'not UTF-8 text'
                    WHEN NOT valid THEN 'not valid JSON'
                    WHEN jt <> 'OBJECT' THEN 'a JSON ' || lower(jt) || ', not an object'
                    ELSE coalesce({_time_error(value["time"][0], "time_ns")},
                                  {_time_error(value["observed_time"][0], "obs_ns")}) END AS error,
               coalesce(time_ns, obs_ns) AS time, obs_ns AS observed_time,
               v_level AS severity_text,
               coalesce(sev_claim, level_sev) AS severity_number,
               service_name, v_body AS body, trace_id, span_id,
               CASE WHEN jt = 'OBJECT' THEN {attributes} END AS attributes
        FROM timed)"""


def _insert_logs(rows: str, source_id: int, where: str) -> str:
    return f"""INSERT INTO logs ({', '.join(LOG_COLUMNS)}, source_id)
        SELECT make_timestamp_ns(time), make_timestamp_ns(observed_time), severity_text, severity_number,
               service_name, body, trace_id, span_id, attributes, NULL, {int(source_id)}
        FROM {rows} WHERE {where}"""


def chunk_sql(paths: dict[str, list[str]], source_id: int, uri: str, chunk: str, out: str) -> list[str]:
    """The statements that read one chunk table (``line``, ``text``) into ``logs`` and ``rejects``."""
    return [
        f"CREATE OR REPLACE TEMP TABLE {out} AS {rows_sql(paths, chunk)}",
        _insert_logs(out, source_id, "error IS NULL"),
        f"""INSERT INTO rejects
        SELECT {int(source_id)}, {_q(uri + ':')} || line, error, left(rtrim(coalesce(text, ''), E'\\r\\n'), 2000)
        FROM {out} WHERE error IS NOT NULL ORDER BY line""",
        f"DROP TABLE {out}",
    ]


def direct_sql(paths: dict[str, list[str]], source_id: int, source) -> str:
    """The one statement that loads a clean local file (see :mod:`.direct`): any bad line fails it."""
    rows = rows_sql(paths, f"(SELECT NULL::BIGINT AS line, json::VARCHAR AS text FROM {direct.scan(source)})",
                    parsed=True)
    return _insert_logs(f"({rows})", source_id, direct.refuse("error IS NOT NULL", "a bad log line", "true"))


def read_bulk(store, source, source_id: int, paths: dict[str, list[str]]) -> None:
    """Read a JSON-lines log source into ``logs``/``rejects`` in DuckDB, on every core.

    A clean local file in one statement that DuckDB reads itself; otherwise (or if that
    finds a bad line) chunk by chunk, so that every bad line is rejected with its number.
    """
    if direct.eligible(source) and direct.load(store, source, [direct_sql(paths, source_id, source)]) is None:
        return

    def work(cursor, chunk, name: str) -> None:
        # a time without an offset is UTC, as in the Python path, whatever the machine's zone
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.register(f"{name}_in", chunk)
        try:
            for statement in chunk_sql(paths, source_id, source.uri, f"{name}_in", f"{name}_out"):
                cursor.execute(statement)
        finally:
            cursor.unregister(f"{name}_in")
    run_chunks(store.con, source, work)
