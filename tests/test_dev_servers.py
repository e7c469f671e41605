"""The embedded servers the demo and the tests rely on really start and serve."""
import hvac
import psycopg
import pytest

from jitbench.dev import DevOpenBao, DevPostgres
from jitbench.errors import ServerStartError


def test_openbao_dev_server_is_unsealed_and_accepts_its_root_token(openbao):
    client = hvac.Client(url=openbao.addr, token=openbao.root_token)
    assert client.sys.read_health_status(method="GET")["sealed"] is False
    assert client.is_authenticated()
    assert openbao.root_token not in repr(openbao)


def test_postgres_accepts_the_superuser_over_tcp(postgres):
    with psycopg.connect(postgres.dsn()) as conn:
        assert conn.execute("select current_user").fetchone()[0] == postgres.user
    assert postgres.password not in repr(postgres)


def test_a_taken_port_is_a_clear_error(openbao):
    with pytest.raises(ServerStartError, match=f"port {openbao.port} .* already in use"):
        DevOpenBao(port=openbao.port).start()


def test_dev_postgres_stops_and_removes_its_directory():
    pg = DevPostgres().start()
    datadir = pg.datadir
    assert (datadir / "data" / "PG_VERSION").exists()
    pg.stop()
    assert not datadir.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg.dsn(), connect_timeout=2)
