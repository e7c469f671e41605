"""Configure a development Vault/OpenBao for jitbench: what ``jitbench dev-vault``, the demo and the tests use.

``configure_dev`` mounts the database engine against a PostgreSQL server with a
read-only role whose revocation first terminates the user's sessions, adds a
userpass user whose policy allows child tokens, database credentials and
identity tokens, and an identity OIDC key and role for gateway JWTs.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import hvac

from .client import vault_errors

POLICY = "jitbench-oncall"
DB_CONFIG = "jitbench-postgres"
OIDC_KEY = "jitbench"

# pg_terminate_backend first: DROP ROLE alone leaves open sessions running
CREATION = ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
            "GRANT pg_read_all_data TO \"{{name}}\";"]
REVOCATION = ["SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';",
              "DROP ROLE IF EXISTS \"{{name}}\";"]

POLICY_HCL = """
path "auth/token/create" { capabilities = ["update"] }
path "auth/token/lookup-accessor" { capabilities = ["update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
path "auth/token/renew-accessor" { capabilities = ["update"] }
path "%(mount)s/creds/*" { capabilities = ["read"] }
path "sys/leases/revoke/%(mount)s/creds/*" { capabilities = ["update"] }
path "identity/oidc/token/*" { capabilities = ["read"] }
path "identity/oidc/role/*" { capabilities = ["read"] }
"""


@dataclass
class DevAccess:
    """What :func:`configure_dev` set up; ``password`` is the userpass user's (not shown in repr)."""
    addr: str
    user: str
    password: str = field(repr=False)
    db_mount: str
    db_role: str
    token_role: str
    policy: str = POLICY


def configure_dev(client: hvac.Client, pg, *, role: str = "readonly", mount: str = "database",
                  user: str = "oncall", password: str | None = None, token_role: str = "gateway",
                  token_ttl: str = "5m", default_ttl: str = "1h", max_ttl: str = "24h") -> DevAccess:
    """Set up ``client``'s server (root token) for jitbench against ``pg`` (``.host .port .user .password``).

    Idempotent: re-running updates what exists.

    >>> dev = configure_dev(root_client, postgres)          # doctest: +SKIP
    >>> login_userpass(connect(dev.addr), dev.user, dev.password)
    """
    password = password or secrets.token_urlsafe(16)
    with vault_errors("sys/mounts", client):
        mounts = client.sys.list_mounted_secrets_engines()
        if f"{mount}/" not in mounts.get("data", mounts):
            client.sys.enable_secrets_engine("database", path=mount)
        auths = client.sys.list_auth_methods()
        if "userpass/" not in auths.get("data", auths):
            client.sys.enable_auth_method("userpass")
    with vault_errors(f"{mount}/config/{DB_CONFIG}", client):
        client.secrets.database.configure(
            name=DB_CONFIG, plugin_name="postgresql-database-plugin", mount_point=mount,
            allowed_roles=["*"], verify_connection=True,
            connection_url=f"postgresql://{{{{username}}}}:{{{{password}}}}@{pg.host}:{pg.port}/postgres?sslmode=disable",
            username=pg.user, password=pg.password)
    with vault_errors(f"{mount}/roles/{role}", client):
        client.secrets.database.create_role(
            name=role, db_name=DB_CONFIG, mount_point=mount, creation_statements=CREATION,
            revocation_statements=REVOCATION, default_ttl=default_ttl, max_ttl=max_ttl)
    with vault_errors(f"sys/policies/acl/{POLICY}", client):
        client.sys.create_or_update_policy(POLICY, POLICY_HCL % {"mount": mount})
    with vault_errors(f"auth/userpass/users/{user}", client):
        client.write(f"auth/userpass/users/{user}", password=password, token_policies=[POLICY],
                     token_ttl="8h", token_max_ttl="24h")
    with vault_errors(f"identity/oidc/key/{OIDC_KEY}", client):
        client.write(f"identity/oidc/key/{OIDC_KEY}", allowed_client_ids="*", verification_ttl="2h",
                     rotation_period="24h", algorithm="RS256")
        client.write(f"identity/oidc/role/{token_role}", key=OIDC_KEY, ttl=token_ttl)
    return DevAccess(addr=client.url, user=user, password=password, db_mount=mount, db_role=role,
                     token_role=token_role)
