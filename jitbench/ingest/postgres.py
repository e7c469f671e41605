"""A PostgreSQL query, run with leased credentials, into a DuckDB table of the store through Arrow.

The rows stream from a server-side cursor in batches, each batch becomes an
Arrow record batch with a schema taken from the column types PostgreSQL
reports, and DuckDB appends it — so memory stays at one batch whatever the
result size, types survive (integers, decimals, timestamps with time zone,
booleans, bytes; JSON, UUID and addresses as text), and no DuckDB extension
(``postgres_scanner``) is needed, nothing is downloaded.

Credentials are taken as given — a DSN, an open psycopg connection, connection
keyword arguments, or anything with ``connect(host, port, database)`` such as
a database lease — and are never written anywhere: the ``sources`` row names
``postgresql://host:port/db`` and the query, without user or password.
"""
from __future__ import annotations

import json
import re
import time
import warnings
from decimal import Decimal
from typing import Iterator

import pyarrow as pa

from ..errors import IngestError, SourceDenied, SourceUnreachable

BATCH_ROWS = 50_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED = {"spans", "span_events", "span_links", "logs", "sources", "rejects"}

# PostgreSQL type OID -> Arrow type; anything else arrives as text (JSON text for arrays and records)
_ARROW_TYPES = {
    16: pa.bool_(), 20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 26: pa.int64(),
    700: pa.float32(), 701: pa.float64(),
    25: pa.string(), 1043: pa.string(), 1042: pa.string(), 19: pa.string(), 18: pa.string(),
    1082: pa.date32(), 1083: pa.time64("us"), 1114: pa.timestamp("us"), 1184: pa.timestamp("us", tz="UTC"),
    1186: pa.duration("us"), 17: pa.binary(),
}
_TEXT_TYPES = ("json", "jsonb", "uuid", "inet", "cidr", "macaddr", "money", "xml")


def arrow_type(type_code: int, precision: int | None = None, scale: int | None = None) -> pa.DataType:
    """The Arrow type a PostgreSQL column of type OID ``type_code`` is loaded as.

    ``numeric(p, s)`` keeps its precision as a decimal; an unconstrained
    ``numeric`` becomes a double.  Unknown types are text.

    >>> arrow_type(1184), arrow_type(1700, 10, 2), arrow_type(3802)
    (TimestampType(timestamp[us, tz=UTC]), Decimal128Type(decimal128(10, 2)), DataType(string))
    """
    if type_code == 1700:
        if precision and precision <= 38:
            return pa.decimal128(precision, scale or 0)
        return pa.float64()
    return _ARROW_TYPES.get(type_code, pa.string())


def _as_text(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str, ensure_ascii=False)
    return str(value)


def record_batches(cursor, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The rows of an executed psycopg cursor as Arrow record batches of ``batch_rows`` rows.

    The first batch is yielded even when there are no rows, so the table gets
    its columns either way.
    """
    description = cursor.description
    if description is None:
        raise IngestError("the query returns no rows (it is not a SELECT)", hint="load a SELECT query")
    names = _unique([col.name for col in description])
    types = [arrow_type(col.type_code, col.precision, col.scale) for col in description]
    schema = pa.schema(list(zip(names, types)))
    first = True
    while True:
        rows = cursor.fetchmany(batch_rows)
        if not rows and not first:
            return
        first = False
        columns = list(zip(*rows)) if rows else [[] for _ in names]
        arrays = []
        for values, type_ in zip(columns, types):
            if pa.types.is_string(type_):
                values = [_as_text(v) for v in values]
            elif pa.types.is_floating(type_):
                values = [float(v) if isinstance(v, Decimal) else v for v in values]
            arrays.append(pa.array(values, type_))
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
        if len(rows) < batch_rows:
            return


def _unique(names: list[str]) -> list[str]:
    # `select a.id, b.id` has two columns called id: DuckDB needs them told apart
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name}_{n}")
    return out


def load_postgres(store, credentials, query: str, table: str, *, params=None, lease=None,
                  host: str | None = None, port: int = 5432, database: str = "postgres",
                  if_exists: str = "fail", batch_rows: int = BATCH_ROWS):
    """Run ``query`` on PostgreSQL and put its rows into the store's table ``table``.

    ``credentials`` is a DSN, an open psycopg connection (left open), a dict of
    connection arguments, or a database lease (``host``/``port``/``database``
    say where to connect it).  ``params`` are bound server-side, never
    interpolated.  ``if_exists`` is ``"fail"``, ``"replace"`` or ``"append"``.
    A failure leaves the store as it was.  Returns the load's ``LoadSummary``.

    >>> pg = inv.lease_database("readonly")                                  # doctest: +SKIP
    >>> store.load_postgres(pg, "select * from orders where created > %s", "orders",
    ...                     params=[start], host="db.internal", database="shop")   # doctest: +SKIP
    """
    import psycopg
    from . import LoadWarning

    if not isinstance(table, str) or not _NAME.fullmatch(table) or table.lower() in _RESERVED:
        raise IngestError(f"cannot load into table {table!r}",
                          hint="name a new table: letters, digits and _, not one of the store's own tables")
    if if_exists not in ("fail", "replace", "append"):
        raise IngestError(f"if_exists={if_exists!r} is not one of fail, replace, append", hint="")
    exists = table.lower() in {t.lower() for (t,) in store.con.execute(
        "SELECT table_name FROM duckdb_tables()").fetchall()}
    if exists and if_exists == "fail":
        raise IngestError(f"the store already has a table {table!r}",
                          hint="pass if_exists='replace' or 'append', or another table name")
    conn, owned = _connect(credentials, host, port, database, psycopg)
    lease = lease if lease is not None else (credentials if hasattr(credentials, "lease_id") else None)
    info = conn.info
    uri = f"postgresql://{info.host}:{info.port}/{info.dbname}: {' '.join(query.split())}"
    started = time.perf_counter()
    source_id = store.begin_source("postgres", uri, "postgres", lease)
    rows = nbytes = 0
    try:
        store.con.begin()
        try:
            if exists and if_exists == "replace":
                store.con.execute(f'DROP TABLE "{table}"')
            for batch in _run(conn, query, params, batch_rows, psycopg):
                arrow_rows = pa.Table.from_batches([batch])  # noqa: F841 (read by DuckDB's replacement scan)
                if rows == 0 and not (exists and if_exists == "append"):
                    store.con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM arrow_rows')
                else:
                    store.con.execute(f'INSERT INTO "{table}" BY NAME SELECT * FROM arrow_rows')
                rows += batch.num_rows
                nbytes += batch.nbytes
                if rows and not (exists and if_exists == "append"):
                    exists, if_exists = True, "append"
            store.con.commit()
        except BaseException:
            store.con.rollback()
            raise
    except BaseException:
        store.discard_source(source_id)
        raise
    finally:
        if owned:
            conn.close()
    summary = store.finish_source(source_id, format="postgres", bytes=nbytes, rows=rows,
                                  seconds=time.perf_counter() - started)
    for note in summary.warnings:
        warnings.warn(f"{uri}: {note}", LoadWarning, stacklevel=2)
    return summary


def _connect(credentials, host, port, database, psycopg):
    """``(connection, opened_here)`` from whatever form the credentials came in."""
    if isinstance(credentials, psycopg.Connection):
        return credentials, False
    try:
        if isinstance(credentials, str):
            return psycopg.connect(credentials), True
        if isinstance(credentials, dict):
            return psycopg.connect(**credentials), True
        if callable(getattr(credentials, "connect", None)):
            if not host:
                raise IngestError("a database lease needs host= (and port=, database=) to connect",
                                  hint="pass host='db.internal', database='shop'")
            return credentials.connect(host, port, database), True
    except psycopg.OperationalError as err:
        # libpq's text names host and user, never the password; the user of a lease is leased too
        raise SourceUnreachable(f"cannot connect to PostgreSQL: {_first_line(err, credentials)}",
                                hint="check host, port, database and that the lease is still active") from None
    raise IngestError(f"credentials of type {type(credentials).__name__} cannot connect to PostgreSQL",
                      hint="pass a DSN, a psycopg connection, or a database lease")


def _run(conn, query: str, params, batch_rows: int, psycopg) -> Iterator[pa.RecordBatch]:
    # a server-side cursor streams the result instead of holding it all in this process
    from psycopg.types.string import TextLoader
    try:
        with conn.transaction():
            with conn.cursor(name=f"jitbench_load_{id(conn) & 0xffff:x}") as cursor:
                for name in _TEXT_TYPES:  # as the server wrote them, not parsed into Python objects
                    try:
                        cursor.adapters.register_loader(name, TextLoader)
                    except (psycopg.ProgrammingError, KeyError):
                        pass
                cursor.execute(query, params)
                yield from record_batches(cursor, batch_rows)
    except psycopg.errors.InsufficientPrivilege as err:
        raise SourceDenied(f"PostgreSQL refused the query: {_first_line(err)}",
                           hint="the leased role may not read this; ask for a role that can") from None
    except psycopg.OperationalError as err:
        raise SourceUnreachable(f"PostgreSQL connection failed during the query: {_first_line(err)}",
                                hint="the lease may have been revoked or expired; take a new one") from None
    except psycopg.Error as err:
        raise IngestError(f"PostgreSQL refused the query: {_first_line(err)}", hint="check the SQL") from None


def _first_line(err: Exception, credentials=None) -> str:
    text = str(err).strip()
    text = text.splitlines()[0] if text else type(err).__name__
    password = credentials.get("password") if isinstance(credentials, dict) else None
    return text.replace(password, "***") if password else text

