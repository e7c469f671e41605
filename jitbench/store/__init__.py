"""The investigation store: DuckDB tables for spans, logs, their sources and rejects.

>>> from jitbench.store import Store
>>> store = Store()                      # in memory; Store("inc.duckdb") for a file
>>> store.sql("select count(*) as n from spans").n[0]
0
"""
from .store import Store
from .summary import LoadSummary

__all__ = ["Store", "LoadSummary"]
