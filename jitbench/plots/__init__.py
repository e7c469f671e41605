"""Figures for the analysis results: DataFrame in, plotly figure out.

Pure: no store, no Vault, no file.  Every figure uses only what plotly.js
draws by itself (no map tiles, no web fonts, no CDN), so it renders the same
in JupyterLab and in an offline HTML export that embeds plotly.js.

>>> from jitbench import analysis as an, plots
>>> plots.waterfall(an.trace_tree(store, trace_id), an.critical_path(store, trace_id))   # doctest: +SKIP
"""
from jitbench.plots.charts import compare, signals, templates, timeline
from jitbench.plots.servicemap import service_map
from jitbench.plots.waterfall import waterfall

__all__ = ["compare", "service_map", "signals", "templates", "timeline", "waterfall"]
