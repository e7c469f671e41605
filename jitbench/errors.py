"""Every error jitbench raises on purpose.

One root (:class:`JitbenchError`) so callers can catch everything of ours in
one ``except``; one subclass per thing that can go wrong, each with a message
of one line that says what happened and what to do about it.  Messages never
carry a secret value: callers pass names, paths and ids, not credentials.
"""
from __future__ import annotations


class JitbenchError(Exception):
    """Root of every jitbench error. ``str(err)`` is one line meant for a human."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None):
        hint = self.hint if hint is None else hint
        text = message if not hint else f"{message} — {hint}"
        super().__init__(" ".join(text.split()))


# -- configuration and parameters -------------------------------------------
class ConfigError(JitbenchError):
    """A setting (environment variable, option, file) is missing or malformed."""


class ParameterError(JitbenchError):
    """A parameter has the wrong type or value (name, expected, got)."""


# -- access ------------------------------------------------------------------
class AccessError(JitbenchError):
    """Anything that went wrong while talking to Vault/OpenBao."""


class VaultUnreachable(AccessError):
    hint = "check VAULT_ADDR and that the server is running (try `bao status`)"


class VaultSealed(AccessError):
    hint = "ask an operator to unseal it (`bao operator unseal`)"


class PermissionDenied(AccessError):
    hint = "ask for a policy that grants this path, or use a different role"


class AuthenticationError(AccessError):
    hint = "log in again (`bao login`) or set VAULT_TOKEN"


class GrantExpired(AccessError):
    hint = "request a new grant (jitbench access request ...)"


class GrantRevoked(AccessError):
    hint = "request a new grant (jitbench access request ...)"


class RoleMissing(AccessError):
    hint = "check the role name with your Vault administrator (`bao list <mount>/roles`)"


class WindowTooLong(AccessError):
    hint = "ask for a shorter window"


class RevocationUnconfirmed(AccessError):
    hint = "check the leases in Vault (`bao list sys/leases/lookup/...`) and revoke them by hand"


class JournalError(AccessError):
    hint = "fix the journal file's permissions or disk space; no access is issued until it can be written"


# -- data --------------------------------------------------------------------
class StoreError(JitbenchError):
    """The investigation store (DuckDB) could not do what was asked."""


class IngestError(JitbenchError):
    """A source could not be read at all (a bad record goes to `rejects` instead)."""


class UnknownFormat(IngestError):
    hint = "pass format= explicitly (see `jitbench load --help` for the formats)"


class SourceUnreachable(IngestError):
    hint = "check the URL and the credentials of the lease"


# -- runbooks and post-mortems -------------------------------------------------
class RunbookError(JitbenchError):
    """A runbook could not be found, validated or executed."""


class CellFailed(RunbookError):
    """A cell of an executed notebook raised; the bundle was still written."""


class RedactionFailed(JitbenchError):
    hint = "the bundle was not written; report this, it is a redaction gap"


class ServerStartError(JitbenchError):
    """A development server (OpenBao, PostgreSQL) could not be started."""


class LeaseOutlivesGrant(AccessError):
    """A credential Vault cannot revoke early (identity JWT, STS) would still be valid after the grant ends."""
    hint = "ask for a longer grant, or use a role whose TTL ends before the grant does"


class SourceDenied(IngestError):
    """An HTTP source answered 401/403: the token or lease is missing, expired or not allowed."""
    hint = "take a new lease for this source (or check its policy) and load again"
