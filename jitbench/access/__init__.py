"""Just-in-time access through Vault/OpenBao: the only part of jitbench that imports hvac.

``connect`` + a login, then :class:`Grant` (a child token for one incident)
and its :class:`Lease` objects; a :class:`Keeper` renews and watches; the local
state (``state``) and the hash-chained ``journal`` record everything without a
secret value; :func:`attach`, :func:`revoke_grant` and :func:`renew_grant` act
on a grant by id from another process.  Importing this package contacts nothing.

>>> from jitbench import access                                   # doctest: +SKIP
>>> g = access.Grant.open(access.connect(), incident="INC-7", reason="5xx", ttl="15m")
"""
from . import journal, setup, state
from .client import connect, login_approle, login_jwt, login_userpass
from .grant import Grant
from .held import held_secrets
from .keeper import Keeper
from .lease import Lease
from .stored import attach, renew_grant, revoke_grant

__all__ = ["connect", "login_userpass", "login_approle", "login_jwt", "Grant", "Lease", "Keeper",
           "held_secrets", "attach", "revoke_grant", "renew_grant", "journal", "state", "setup"]
