"""No leased secret value in any repr, log record, exception, grants/*.json, journal.jsonl or output."""
from __future__ import annotations

import logging
import pickle
import secrets

import pytest

from jitbench import config
from jitbench.access import Grant, Keeper, held_secrets, revoke_grant
from jitbench.errors import JitbenchError


def test_no_secret_value_is_shown_or_written(user, root, dev, postgres, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    kv_value = "kv-" + secrets.token_hex(8)
    root.secrets.kv.v2.create_or_update_secret(path="jitbench/api", secret={"apikey": kv_value})
    texts: list[str] = []

    grant = Grant.open(user, incident="INC-30", reason="secrets stay inside", ttl="2m", origin="cli")
    db = grant.lease_database("readonly")
    jwt_lease = grant.lease_token(dev.token_role)
    root_grant = Grant.open(root, incident="INC-30", reason="kv read", ttl="2m")
    kv = root_grant.read_kv("jitbench/api")
    keeper = Keeper(grant, interval=0.2)
    keeper.subscribe(lambda event: texts.append(repr(event)))
    keeper.tick()
    conn = db.connect(postgres.host, postgres.port)
    assert conn.execute("select 1").fetchone() == (1,)
    values = {grant._token, root_grant._token, user.token, db.secret("password"), db.secret("username"),
              jwt_lease.secret("token"), kv.secret("apikey"), dev.password}
    assert kv.static and kv.expires is None and "static" in repr(kv)
    assert values <= held_secrets()

    for obj in (grant, db, jwt_lease, kv, root_grant, keeper, dev):
        texts += [repr(obj), str(obj)]
        print(obj)
    for obj in (grant, db, kv):
        with pytest.raises(TypeError) as err:
            pickle.dumps(obj)
        texts.append(str(err.value))
    failures = [lambda: db.connect(postgres.host, postgres.port, database="no_such_db"),
                lambda: db.secret("nope"), lambda: grant.lease_database("no-such-role"),
                lambda: grant.read("secret/data/jitbench/api")]
    for call in failures:
        with pytest.raises(JitbenchError) as err:
            call()
        texts.append(str(err.value))
        print(err.value)
    revoke_grant(grant.id, client=user)
    keeper.tick()
    root_grant.revoke()
    for call in (lambda: grant.lease_database("readonly"), lambda: db.secret("password")):
        with pytest.raises(JitbenchError) as err:
            call()
        texts.append(str(err.value))

    out = capsys.readouterr()
    written = [p.read_text() for p in config.grants_dir().glob("*")] + [config.journal_path().read_text()]
    assert list(config.grants_dir().glob("*.token")) == []          # deleted at revoke
    haystacks = texts + written + [out.out, out.err, caplog.text] + [r.getMessage() for r in caplog.records]
    # name where a value leaked, never the value itself
    leaks = [(n, h) for n, value in enumerate(sorted(values)) for h, hay in enumerate(haystacks) if value in hay]
    assert leaks == [], f"secret values found (value #, haystack #): {leaks}"
