"""jitbench: just-in-time production access for incident investigations.

Importing jitbench has no side effects: no server is contacted and no file is
written until a function is called.
"""
__version__ = "0.1.0"


def __getattr__(name):
    # the notebook facade pulls in Vault, DuckDB and IPython: load it when first used
    if name in ("investigate", "Investigation"):
        from . import investigation
        return getattr(investigation, name)
    if name in ("access", "analysis", "plots", "store", "ingest", "runbooks", "redact", "widgets", "demo"):
        # `jb.analysis.compare(...)` without a separate import, still loaded only when used
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'jitbench' has no attribute {name!r}")
