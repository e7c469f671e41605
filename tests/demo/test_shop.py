"""The shop database is seeded in the real PostgreSQL, consistent with the generated incident."""
import psycopg
import pytest

from jitbench.demo import generate
from jitbench.demo.shop import seed
from jitbench.errors import ConfigError

pytestmark = pytest.mark.postgres


def test_orders_stall_in_pending_payment_only_in_the_incident_region_and_window(postgres, tmp_path):
    inc = generate(tmp_path, seed=5, traces_per_minute=1, baseline_minutes=30, incident_minutes=20)
    conn = psycopg.connect(postgres.dsn(), autocommit=True)
    conn.execute("DROP DATABASE IF EXISTS shop_test")
    conn.execute("CREATE DATABASE shop_test")
    conn.close()
    counts = seed(postgres.dsn("shop_test"), inc, seed=5)
    counts_again = seed(postgres.dsn("shop_test"), inc, seed=5)
    assert counts == counts_again, "re-seeding replaces, deterministically"
    with psycopg.connect(postgres.dsn("shop_test")) as conn:
        rows = conn.execute("""
            select o.region, o.created_at >= %s as in_window, count(*) filter (where o.status = 'pending_payment'),
                   count(*), count(p.id) from orders o left join payments p on p.order_id = o.id
            group by 1, 2""", (inc.window[0],)).fetchall()
        total = conn.execute("select (select count(*) from orders), (select count(*) from payments), "
                             "(select count(*) from customers)").fetchone()
    assert total == (counts["orders"], counts["payments"], counts["customers"])
    stuck = {(region, in_window): pending for region, in_window, pending, _, _ in rows}
    assert stuck[inc.region, True] == counts["pending_payment"] > 0
    assert sum(stuck.values()) == stuck[inc.region, True]
    # a pending order has no payment
    for region, in_window, pending, n, paid in rows:
        assert paid <= n - pending


def test_an_unreachable_database_is_a_one_line_error():
    with pytest.raises(ConfigError, match="cannot connect to the shop database") as err:
        seed("postgresql://nobody:x@127.0.0.1:1/none")
    assert "\n" not in str(err.value)
