"""The questions an on-call engineer asks, answered in one call each.

Every function takes a :class:`jitbench.store.Store` first and returns a
pandas DataFrame; none touches Vault or writes a file.  The heavy lifting is
DuckDB SQL; single traces are walked in Python.  Plot the results with
:mod:`jitbench.plots`.

>>> from jitbench import analysis as an
>>> an.timeline(store, window=("13:45", "14:30"))                    # doctest: +SKIP
>>> bad = an.worst_traces(store, "errors").trace_id[0]               # doctest: +SKIP
>>> an.root_cause(store, bad)                                        # doctest: +SKIP
>>> an.compare(store, baseline=("13:00", "13:45"))                   # doctest: +SKIP
"""
from jitbench.analysis.compare import compare
from jitbench.analysis.critical_path import critical_path
from jitbench.analysis.locus import root_cause
from jitbench.analysis.log_templates import log_templates, new_log_templates
from jitbench.analysis.logs import logs_for_spans
from jitbench.analysis.servicemap import service_map
from jitbench.analysis.signals import first_signals
from jitbench.analysis.timelines import timeline
from jitbench.analysis.trace_compare import compare_traces
from jitbench.analysis.traces import trace_events, trace_tree, worst_traces

__all__ = ["compare", "compare_traces", "critical_path", "first_signals", "log_templates", "logs_for_spans",
           "new_log_templates", "root_cause", "service_map", "timeline", "trace_events", "trace_tree",
           "worst_traces"]
