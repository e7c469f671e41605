"""A process that holds a grant, for the SIGKILL and SIGTERM tests (run as a script, not collected).

Reads VAULT_ADDR, ACCESS_USER, ACCESS_PASSWORD, HOLD_TTL, HOLD_OUT, HOLD_KEEPER from its environment,
opens a grant with a database lease, writes the leased credentials to HOLD_OUT (0600, read by the test
itself), prints "ready" and waits to be killed.
"""
import json
import os
import time

from jitbench.access import Grant, Keeper, connect, login_userpass

client = login_userpass(connect(os.environ["VAULT_ADDR"]), os.environ["ACCESS_USER"], os.environ["ACCESS_PASSWORD"])
grant = Grant.open(client, incident="INC-KILL", reason="holder process", ttl=os.environ["HOLD_TTL"])
lease = grant.lease_database("readonly")
if os.environ.get("HOLD_KEEPER"):
    Keeper(grant, interval=0.5).start()
fd = os.open(os.environ["HOLD_OUT"], os.O_WRONLY | os.O_CREAT, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump({"grant_id": grant.id, "lease_id": lease.lease_id, "expires": grant.expires.isoformat(), **lease.secrets()}, f)
print("ready", flush=True)
while True:
    time.sleep(0.2)
