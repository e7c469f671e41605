"""PostgreSQL queries into the store, against the real server of the ``postgres`` fixture.

The superuser makes a table; it is read with a read-only login made for the test,
and with dynamic credentials leased from the real OpenBao under a grant
(``jitbench.access``), the way an investigation reads a production database.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import Decimal

import psycopg
import pytest

from jitbench.errors import IngestError, SourceDenied, SourceUnreachable
from jitbench.ingest import LoadWarning
from jitbench.store import Store

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def shop(postgres):
    """A database ``shop`` with an ``orders`` table, and a read-only login (user, password)."""
    admin = psycopg.connect(postgres.dsn(), autocommit=True)
    admin.execute("DROP DATABASE IF EXISTS shop_b2")
    admin.execute("CREATE DATABASE shop_b2")
    user, password = "reader_b2", secrets.token_urlsafe(16)
    admin.execute(f"DROP ROLE IF EXISTS {user}")
    admin.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
    with psycopg.connect(postgres.dsn("shop_b2"), autocommit=True) as db:
        db.execute("""
            CREATE TABLE orders (id bigint PRIMARY KEY, customer text, amount numeric(10,2),
                                 ratio double precision, paid boolean, created timestamptz,
                                 day date, meta jsonb, ref uuid, tags text[], blob bytea)""")
        db.execute("""
            INSERT INTO orders
            SELECT i, 'cust-' || (i % 7), (i * 1.25)::numeric(10,2), i / 3.0, i % 2 = 0,
                   timestamptz '2026-11-29 14:02:00.123456+00' + i * interval '1 second',
                   date '2026-11-29', jsonb_build_object('n', i, 'tag', 'x'),
                   ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid,
                   ARRAY['a', 'b' || i], decode('00ff', 'hex')
            FROM generate_series(1, 50000) AS i""")
        db.execute("INSERT INTO orders (id) VALUES (0)")  # a row of NULLs
        db.execute("CREATE TABLE secrets_table (x int)")
        db.execute(f"GRANT SELECT ON orders TO {user}")
        db.execute(f"GRANT CONNECT ON DATABASE shop_b2 TO {user}")
    yield {"host": postgres.host, "port": postgres.port, "dbname": "shop_b2", "user": user,
           "password": password}
    admin.execute("DROP DATABASE IF EXISTS shop_b2 WITH (FORCE)")
    admin.execute(f"DROP ROLE IF EXISTS {user}")
    admin.close()


def test_query_streams_into_a_typed_duckdb_table(shop):
    events = []
    store = Store(on_load=events.append)
    summary = store.load_postgres(shop, "select * from orders where id <= %s order by id", "orders",
                                  params=[40000], batch_rows=15000)
    assert summary.rows == 40001 and summary.format == "postgres" and summary.warnings == []
    types = dict(store.con.execute("select column_name, data_type from duckdb_columns() "
                                   "where table_name = 'orders'").fetchall())
    assert types == {"id": "BIGINT", "customer": "VARCHAR", "amount": "DECIMAL(10,2)", "ratio": "DOUBLE",
                     "paid": "BOOLEAN", "created": "TIMESTAMP WITH TIME ZONE", "day": "DATE", "meta": "VARCHAR",
                     "ref": "VARCHAR", "tags": "VARCHAR", "blob": "BLOB"}
    first = store.con.execute("select * from orders where id = 1").fetchall()[0]
    assert first[:5] == (1, "cust-1", Decimal("1.25"), pytest.approx(1 / 3), False)
    assert first[5] == dt.datetime(2026, 11, 29, 14, 2, 1, 123456, tzinfo=dt.timezone.utc)
    assert json.loads(first[7]) == {"n": 1, "tag": "x"} and first[8].endswith("000000000001")
    assert json.loads(first[9]) == ["a", "b1"] and first[10] == b"\x00\xff"
    assert store.con.execute("select count(*) from orders where customer is null").fetchall() == [(1,)]
    # sums agree with PostgreSQL's own
    with psycopg.connect(**shop) as conn:
        expected = conn.execute("select sum(amount), count(distinct customer) from orders "
                                "where id <= 40000").fetchone()
    assert store.con.execute("select sum(amount), count(distinct customer) from orders").fetchall()[0] == expected
    source = store.sql("select kind, uri, rows_loaded from sources").iloc[0]
    assert source.kind == "postgres" and source.rows_loaded == 40001
    assert source.uri.startswith(f"postgresql://{shop['host']}:{shop['port']}/shop_b2: select * from orders")
    assert shop["password"] not in source.uri and shop["user"] not in source.uri
    assert events[0]["rows"] == 40001 and shop["password"] not in json.dumps(events)


def test_dsn_and_open_connection_work_and_the_callers_connection_stays_open(shop):
    dsn = f"postgresql://{shop['user']}:{shop['password']}@{shop['host']}:{shop['port']}/shop_b2"
    store = Store()
    assert store.load_postgres(dsn, "select id from orders limit 10", "ten").rows == 10
    with psycopg.connect(dsn) as conn:
        store.load_postgres(conn, "select id, id from orders limit 3", "three")
        assert not conn.closed
        assert conn.execute("select 1").fetchone() == (1,)
    assert store.sql("select * from three").columns.tolist() == ["id", "id_1"]


def test_existing_table_fails_unless_replace_or_append(shop):
    store = Store()
    store.load_postgres(shop, "select id from orders where id < 5", "t")
    with pytest.raises(IngestError, match="already has a table 't'"):
        store.load_postgres(shop, "select id from orders where id < 5", "t")
    store.load_postgres(shop, "select id from orders where id < 3", "t", if_exists="append")
    assert store.sql("select count(*) n from t").n[0] == 5 + 3
    store.load_postgres(shop, "select id from orders where id < 2", "t", if_exists="replace")
    assert store.sql("select count(*) n from t").n[0] == 2
    for bad in ("spans", "1abc", "x; drop table logs"):
        with pytest.raises(IngestError, match="cannot load into table"):
            store.load_postgres(shop, "select 1", bad)


def test_empty_result_makes_an_empty_table_and_warns(shop):
    store = Store()
    with pytest.warns(LoadWarning, match="no rows"):
        summary = store.load_postgres(shop, "select id, customer from orders where false", "none")
    assert summary.rows == 0
    assert store.sql("select * from none").columns.tolist() == ["id", "customer"]


def test_refused_queries_and_bad_credentials_are_clear_and_leave_nothing(shop):
    store = Store()
    with pytest.raises(SourceDenied, match="permission denied for table secrets_table"):
        store.load_postgres(shop, "select * from secrets_table", "s")
    with pytest.raises(IngestError, match="PostgreSQL refused the query: .*syntax"):
        store.load_postgres(shop, "selec nonsense", "s")
    wrong = dict(shop, password="definitely-wrong-pw")
    with pytest.raises(SourceUnreachable) as err:
        store.load_postgres(wrong, "select 1", "s")
    assert "definitely-wrong-pw" not in str(err.value) and "\n" not in str(err.value)
    assert store.sql("select count(*) n from sources").n[0] == 0
    assert "s" not in store.sql("select table_name from duckdb_tables()").table_name.tolist()


def test_with_dynamic_credentials_leased_from_openbao(openbao, postgres, shop, monkeypatch):
    import hvac
    from jitbench.access import Grant
    from jitbench.access.setup import configure_dev

    root = hvac.Client(url=openbao.addr, token=openbao.root_token)
    configure_dev(root, postgres, role="readonly")
    events = []
    store = Store(on_load=events.append)
    with Grant.open(root, incident="INC-B2", reason="test postgres load", ttl="5m") as grant:
        lease = grant.lease_database("readonly")
        summary = store.load_postgres(lease, "select id, amount from orders where id between %s and %s",
                                      "leased", params=[10, 19], host=postgres.host, port=postgres.port,
                                      database="shop_b2")
        username, password = lease.secret("username"), lease.secret("password")
    assert summary.rows == 10 and summary.lease_id == lease.lease_id and lease.lease_id
    assert events[0]["lease_id"] == lease.lease_id
    written = json.dumps(events) + " ".join(store.sql("select * from sources").astype(str).values.ravel())
    assert password not in written and username not in written
