"""What the demo reports as found: the culprit, read from the store by the analysis functions.

Pure (store in, result out), like :mod:`jitbench.analysis`: the failing traces
of the window are walked with :func:`jitbench.analysis.root_cause`, the
service where their errors originate is the suspect, and its spans are split
by ``service.version`` and ``cloud.region`` to see which deployment fails.
Nothing here knows what the generator injected.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from .. import analysis

_VERSION = "json_extract_string(resource_attributes, '$.\"service.version\"')"
_REGION = "json_extract_string(resource_attributes, '$.\"cloud.region\"')"


@dataclass(frozen=True)
class Finding:
    """The suspect deployment and the evidence for it, as the summary prints it."""

    service: str
    version: str | None
    region: str | None
    error_rate: float
    baseline_version: str | None
    failing_traces: int
    evidence: str
    new_log_template: str | None = None

    def headline(self) -> str:
        """One line: ``payment v2.3.1 in eu-west-1 (was v2.3.0): 41% of its spans fail``; ``evidence`` says why."""
        where = f" in {self.region}" if self.region else ""
        was = f" (was v{self.baseline_version})" if self.baseline_version and self.baseline_version != self.version else ""
        return f"{self.service} v{self.version}{where}{was}: {self.error_rate:.0%} of its spans fail"


def _ts(value) -> str:
    return pd.Timestamp(value).tz_localize(None).isoformat() if pd.Timestamp(value).tzinfo \
        else pd.Timestamp(value).isoformat()


def find_culprit(store, window, baseline, *, traces: int = 15) -> Finding | None:
    """The deployment the window's failures start in, or ``None`` when nothing failed.

    ``window`` and ``baseline`` are ``(start, end)`` pairs (datetimes or ISO
    text, UTC).  Up to ``traces`` of the window's failing traces are examined.

    >>> find_culprit(store, incident.window, incident.baseline).headline()   # doctest: +SKIP
    'payment v2.3.1 in eu-west-1 (was v2.3.0): 42% of its spans fail'
    """
    w0, w1 = _ts(window[0]), _ts(window[1])
    b0, b1 = _ts(baseline[0]), _ts(baseline[1])
    worst = analysis.worst_traces(store, "errors", window=(w0, w1), limit=traces)
    if worst.empty:
        return None
    origins: Counter = Counter()
    evidence: dict[str, Counter] = {}
    for trace_id in worst["trace_id"]:
        cause = analysis.root_cause(store, trace_id)
        if cause.empty:
            continue
        top = cause.iloc[0]
        origins[top["service_name"]] += 1
        evidence.setdefault(top["service_name"], Counter())[str(top.get("evidence") or top["name"])] += 1
    if not origins:
        return None
    service, count = origins.most_common(1)[0]
    by_deploy = store.sql(f"""
        SELECT {_VERSION} AS version, {_REGION} AS region, count(*) AS spans,
               avg(CASE WHEN status_code = 'ERROR' THEN 1 ELSE 0 END) AS error_rate
        FROM spans
        WHERE service_name = $service AND start_time >= $w0::TIMESTAMP AND start_time < $w1::TIMESTAMP
        GROUP BY 1, 2 ORDER BY error_rate DESC, spans DESC""", {"service": service, "w0": w0, "w1": w1})
    top = by_deploy.iloc[0]
    before = store.sql(f"""
        SELECT {_VERSION} AS version, count(*) AS n FROM spans
        WHERE service_name = $service AND {_REGION} IS NOT DISTINCT FROM $region
          AND start_time >= $b0::TIMESTAMP AND start_time < $b1::TIMESTAMP
        GROUP BY 1 ORDER BY n DESC LIMIT 1""", {"service": service, "region": top["region"], "b0": b0, "b1": b1})
    new_template = None
    try:
        templates = analysis.new_log_templates(store, (w0, w1), (b0, b1))
        if not templates.empty:
            mine = templates[[service in list(s) for s in templates["services"]]]
            if not mine.empty:
                new_template = str(mine.iloc[0]["template"])
    except Exception:  # noqa: BLE001 - a missing log table must not hide the trace finding
        new_template = None
    return Finding(service=service, version=top["version"], region=top["region"],
                   error_rate=float(top["error_rate"]),
                   baseline_version=None if before.empty else before.iloc[0]["version"],
                   failing_traces=count, evidence=evidence[service].most_common(1)[0][0],
                   new_log_template=new_template)
