"""The demo shop's production database: customers, orders and payments in PostgreSQL.

:func:`seed` creates the tables (dropping earlier ones) through a superuser
DSN and fills them deterministically.  Orders placed in the incident's region
and window partly stay ``pending_payment`` with no payment row — what an
on-call engineer sees when checkout's calls to ``payment`` time out.
"""
from __future__ import annotations

import random
from datetime import timedelta

from ..errors import ConfigError
from .fleet import REGIONS
from .generate import DEFAULT_START, Incident

SCHEMA = """
DROP TABLE IF EXISTS payments, orders, customers CASCADE;
CREATE TABLE customers (
    id          bigint PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL,
    region      text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE TABLE orders (
    id           text PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers(id),
    region       text NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending_payment', 'paid', 'shipped', 'cancelled')),
    total_cents  integer NOT NULL,
    currency     text NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE TABLE payments (
    id           text PRIMARY KEY,
    order_id     text NOT NULL REFERENCES orders(id),
    amount_cents integer NOT NULL,
    currency     text NOT NULL,
    status       text NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX orders_created_at ON orders (created_at);
"""

_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Linus", "Radia", "Donald", "Frances",
          "John", "Sophie", "Tim", "Karen", "Leslie")
_LAST = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton", "Torvalds", "Perlman",
         "Knuth", "Allen", "Backus", "Wilson", "Berners-Lee", "Jones", "Lamport")
_CURRENCY = {"eu-west-1": "EUR", "us-east-1": "USD", "ap-southeast-1": "SGD"}


def seed(dsn: str, incident: Incident | None = None, *, seed: int = 7, customers: int = 400,
         orders_per_minute: float = 6.0) -> dict[str, int]:
    """Create and fill ``customers``, ``orders`` and ``payments`` in the database of ``dsn``.

    ``dsn`` must be a superuser (or owner) DSN; nothing else in the database is
    touched.  Orders cover the incident's baseline and window; in the window and
    region of ``incident`` about 40 % of them stay ``pending_payment``.  Without
    ``incident`` the generator's defaults for the same ``seed`` are assumed.
    Returns the row count of each table.

    >>> seed(pg.dsn(), incident)                  # doctest: +SKIP
    {'customers': 400, 'orders': 540, 'payments': 512, 'pending_payment': 28}
    """
    import psycopg

    rng = random.Random(seed)
    if incident is not None:
        region, (b0, _), (w0, w1) = incident.region, incident.baseline, incident.window
    else:
        region = random.Random(seed).choice(REGIONS)  # the generator's first draw for this seed
        b0, w0 = DEFAULT_START, DEFAULT_START + timedelta(minutes=60)
        w1 = w0 + timedelta(minutes=30)
    people = [(i, f"{rng.choice(_FIRST)} {rng.choice(_LAST)}", rng.choice(REGIONS)) for i in range(1, customers + 1)]
    customer_rows = [(i, name, f"{name.lower().replace(' ', '.')}.{i}@example.com", reg,
                      b0 - timedelta(days=rng.randint(1, 900))) for i, name, reg in people]
    by_region = {r: [p[0] for p in people if p[2] == r] for r in REGIONS}
    order_rows, payment_rows = [], []
    minutes = int((w1 - b0).total_seconds() // 60)
    for minute in range(minutes):
        t_min = b0 + timedelta(minutes=minute)
        for _ in range(int(orders_per_minute) + (rng.random() < orders_per_minute % 1)):
            created = t_min + timedelta(seconds=rng.random() * 60)
            reg = rng.choice(REGIONS)
            oid = f"o-{rng.getrandbits(32):08x}"
            total, currency = rng.randint(900, 25000), _CURRENCY[reg]
            stuck = reg == region and w0 <= created < w1 and rng.random() < 0.4
            if stuck:
                status = "pending_payment"
            else:
                status = rng.choices(("paid", "shipped", "cancelled"), (0.6, 0.38, 0.02))[0]
            updated = created + timedelta(seconds=rng.uniform(0.05, 3))
            order_rows.append((oid, rng.choice(by_region[reg]), reg, status, total, currency, created, updated))
            if not stuck and status != "cancelled":
                payment_rows.append((f"pay-{rng.getrandbits(40):010x}", oid, total, currency, "authorized", updated))
    try:
        conn = psycopg.connect(dsn, connect_timeout=10)
    except psycopg.OperationalError as err:
        first = (str(err).strip().splitlines() or ["?"])[-1]
        raise ConfigError(f"cannot connect to the shop database: {first}",
                          hint="check that PostgreSQL is running and the DSN's host, port and user") from None
    with conn, conn.cursor() as cur:
        cur.execute(SCHEMA)
        _copy(cur, "customers (id, name, email, region, created_at)", customer_rows)
        _copy(cur, "orders (id, customer_id, region, status, total_cents, currency, created_at, updated_at)",
              order_rows)
        _copy(cur, "payments (id, order_id, amount_cents, currency, status, created_at)", payment_rows)
    return {"customers": len(customer_rows), "orders": len(order_rows), "payments": len(payment_rows),
            "pending_payment": sum(1 for r in order_rows if r[3] == "pending_payment")}


def _copy(cur, target: str, rows: list[tuple]) -> None:
    with cur.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

