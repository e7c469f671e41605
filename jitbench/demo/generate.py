"""Write a realistic incident as OTLP file-exporter JSON lines (traces) and JSON-lines logs.

The shop of :mod:`jitbench.demo.fleet` serves product, cart and checkout
requests in three regions for a baseline hour; then ``payment`` v2.3.1 rolls
out in one region, exhausts its database connection pool, and checkout starts
returning 5xx there.  A harmless ``frontend`` rollout in another region and a
slow recommendation tail everywhere keep the answer from being obvious.

Everything is drawn from one seeded ``random.Random``: the same seed and size
give byte-identical files.  :func:`generate` returns the ground truth, so tests
can check that the analysis finds it — the demo itself never reads it to
produce its summary.
"""
from __future__ import annotations

import gzip as gzip_module
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ParameterError
from .fleet import CULPRIT, CULPRIT_VERSION, REGIONS, SERVICES, Fleet
from .flows import MIX, MS, POOL_MESSAGE, Trace

DEFAULT_START = datetime(2026, 11, 29, 13, 2, tzinfo=timezone.utc)
SPANS_PER_TRACE = 10.0  # measured average of the mix, used to size a run by span count
TRACES_PER_LINE = 32    # a collector batch: one JSON line holds this many traces' spans


@dataclass(frozen=True)
class Incident:
    """What the generator injected, and where it wrote it (the answer key)."""

    service: str
    version: str
    previous_version: str
    region: str
    baseline: tuple[datetime, datetime]
    window: tuple[datetime, datetime]
    log_template: str
    traces_path: Path
    logs_path: Path
    traces: int = 0
    spans: int = 0
    logs: int = 0
    seed: int = 0
    services: tuple[str, ...] = field(default=tuple(SERVICES))

    def to_dict(self) -> dict:
        """JSON-ready form (ISO times, paths as text)."""
        d = asdict(self)
        for key in ("baseline", "window"):
            d[key] = [t.isoformat().replace("+00:00", "Z") for t in d[key]]
        d["traces_path"], d["logs_path"] = str(self.traces_path), str(self.logs_path)
        d["services"] = list(self.services)
        return d


def _iso(ns: int) -> str:
    sec, frac = divmod(ns, 1_000_000_000)
    return datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def _trace_line(batch: list[Trace]) -> str:
    by_pod: dict[tuple, tuple] = {}
    for tr in batch:
        for pod, span, _ in tr.spans:
            entry = by_pod.get(pod.key)
            if entry is None:
                entry = by_pod[pod.key] = (pod, [])
            entry[1].append(span)
    return '{"resourceSpans":[' + ",".join(pod.prefix + ",".join(spans) + "]}]}"
                                           for pod, spans in by_pod.values()) + "]}"


def _log_lines(batch: list[Trace]) -> list[tuple[int, str]]:
    out = []
    for tr in batch:
        for pod, t, severity, body, span_id in tr.logs:
            out.append((t, json.dumps({
                "timestamp": _iso(t), "level": severity, "service": pod.service, "message": body,
                "trace_id": tr.trace_id, "span_id": span_id, "service.version": pod.version,
                "cloud.region": pod.region, "k8s.pod.name": pod.name}, separators=(",", ":"))))
    return out


def _open(path: Path, compress: bool):
    return gzip_module.open(path, "wt", compresslevel=1, encoding="utf-8") if compress \
        else open(path, "w", encoding="utf-8")


def generate(out_dir: str | Path, *, seed: int = 7, traces_per_minute: float = 30,
             spans: int | None = None, baseline_minutes: int = 60, incident_minutes: int = 30,
             start: datetime = DEFAULT_START, compress: bool = False) -> Incident:
    """Write ``traces.jsonl`` and ``logs.jsonl`` (``.gz`` with ``compress``) into ``out_dir``.

    ``traces_per_minute`` sets the load (the default gives ~3,000 traces,
    ~33,000 spans); ``spans`` instead sizes the run to about that many spans
    (1M spans take well under a minute).  Returns the :class:`Incident`.

    >>> inc = generate("/tmp/shop", seed=7)             # doctest: +SKIP
    >>> inc.service, inc.version, inc.region            # doctest: +SKIP
    ('payment', '2.3.1', 'eu-west-1')
    """
    if baseline_minutes < 1 or incident_minutes < 1:
        raise ParameterError(f"baseline_minutes and incident_minutes must be >= 1, got "
                             f"{baseline_minutes} and {incident_minutes}", hint="pass whole minutes")
    if start.tzinfo is None:
        raise ParameterError("start must be timezone-aware", hint="pass e.g. datetime(..., tzinfo=timezone.utc)")
    minutes = baseline_minutes + incident_minutes
    if spans is not None:
        if spans < 1:
            raise ParameterError(f"spans must be positive, got {spans}", hint="pass e.g. spans=1_000_000")
        traces_per_minute = spans / SPANS_PER_TRACE / minutes
    if traces_per_minute <= 0:
        raise ParameterError(f"traces_per_minute must be positive, got {traces_per_minute}",
                             hint="pass e.g. traces_per_minute=30")
    rng = random.Random(seed)
    culprit_region = rng.choice(REGIONS)
    decoy_region = rng.choice([r for r in REGIONS if r != culprit_region])
    t0 = int(start.timestamp()) * 1_000_000_000
    deploy = t0 + baseline_minutes * 60_000 * MS
    end = t0 + minutes * 60_000 * MS
    fleet = Fleet(rng, culprit_region, deploy, decoy_region, deploy + 6 * 60_000 * MS)
    flows = [f for f, _ in MIX]
    weights = [w for _, w in MIX]

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = ".jsonl.gz" if compress else ".jsonl"
    traces_path, logs_path = out / f"traces{suffix}", out / f"logs{suffix}"
    n_traces = n_spans = n_logs = 0
    with _open(traces_path, compress) as tf, _open(logs_path, compress) as lf:
        pending_logs = [(t, json.dumps({"timestamp": _iso(t), "level": "INFO", "service": pod.service,
                                        "message": f"starting {pod.service} version={pod.version}"
                                                   + (" pool_size=10" if pod.service == CULPRIT else ""),
                                        "service.version": pod.version, "cloud.region": pod.region,
                                        "k8s.pod.name": pod.name}, separators=(",", ":")))
                        for t, pod in sorted(fleet.rollouts(), key=lambda x: x[0])]
        batch: list[Trace] = []
        carry = 0.0
        for minute in range(minutes):
            m0 = t0 + minute * 60_000 * MS
            # a gentle ramp, as morning traffic builds up
            carry += traces_per_minute * (0.9 + 0.2 * minute / minutes)
            count, carry = int(carry), carry - int(carry)
            starts = sorted(m0 + rng.randrange(60_000 * MS) for _ in range(count))
            for t in starts:
                tr = Trace(rng, fleet, rng.choice(REGIONS), incident=t >= deploy)
                rng.choices(flows, weights)[0](tr, t)
                batch.append(tr)
                if len(batch) == TRACES_PER_LINE:
                    n_traces, n_spans, n_logs = _flush(batch, tf, lf, pending_logs, n_traces, n_spans, n_logs)
                    batch = []
        n_traces, n_spans, n_logs = _flush(batch, tf, lf, pending_logs, n_traces, n_spans, n_logs, last=True)
    as_dt = lambda ns: datetime.fromtimestamp(ns / 1e9, timezone.utc)  # noqa: E731
    return Incident(
        service=CULPRIT, version=CULPRIT_VERSION, previous_version=SERVICES[CULPRIT][0], region=culprit_region,
        baseline=(as_dt(t0), as_dt(deploy)), window=(as_dt(deploy), as_dt(end)),
        log_template=POOL_MESSAGE.split(":")[0], traces_path=traces_path, logs_path=logs_path,
        traces=n_traces, spans=n_spans, logs=n_logs, seed=seed)


def _flush(batch, tf, lf, pending_logs, n_traces, n_spans, n_logs, last=False):
    if batch:
        tf.write(_trace_line(batch))
        tf.write("\n")
        pending_logs.extend(_log_lines(batch))
        n_traces += len(batch)
        n_spans += sum(len(tr.spans) for tr in batch)
    # logs are written in time order; a later batch cannot log before this one's first trace
    # started, so everything older than that is final
    horizon = float("inf") if last or not batch else min(tr.spans[-1][2] for tr in batch)
    pending_logs.sort(key=lambda x: x[0])
    cut = len(pending_logs)
    if horizon != float("inf"):
        cut = next((i for i, (t, _) in enumerate(pending_logs) if t >= horizon), len(pending_logs))
    if cut:
        lf.write("\n".join(line for _, line in pending_logs[:cut]))
        lf.write("\n")
        n_logs += cut
        del pending_logs[:cut]
    return n_traces, n_spans, n_logs
