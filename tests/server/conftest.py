"""The server API tests use the session fixtures of tests/conftest.py.

``jupyter_server`` runs a bare Jupyter server with jitbench.server enabled, the OpenBao root token as
the user's ``VAULT_TOKEN`` and its own ``JITBENCH_HOME``; ``server_home`` points the test process at
that same folder, so grants opened by a test are the ones the server lists.
"""
