"""What one load did: the figures a user sees and the journal records."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class LoadSummary:
    """The result of ``Store.load``: one ``sources`` row's worth of figures.

    ``rows`` counts records written (spans, or log records), ``rejects`` the records that
    went to the ``rejects`` table instead, ``bytes`` the bytes read (compressed size for a
    compressed file).  ``warnings`` says what a user must not miss, e.g. that nothing was
    loaded.  ``str(summary)`` is one line:

    >>> print(LoadSummary(1, "spans.jsonl", "otlp-traces", 10, 1, 2048, 0.5))
    #1 spans.jsonl: 10 rows (otlp-traces), 1 rejected, 2.0 KiB in 0.50 s
    """

    source_id: int
    uri: str
    format: str | None
    rows: int = 0
    rejects: int = 0
    bytes: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    files: int = 1
    lease_id: str | None = None
    grant_id: str | None = None

    def __str__(self) -> str:
        size = _human_bytes(self.bytes)
        rate = f", {self.bytes / self.seconds / 1e6:.0f} MB/s" if self.seconds > 0 and self.bytes > 10e6 else ""
        files = f" from {self.files} files" if self.files != 1 else ""
        text = (f"#{self.source_id} {self.uri}: {self.rows} rows ({self.format or 'no format'}){files}, "
                f"{self.rejects} rejected, {size} in {self.seconds:.2f} s{rate}")
        for warning in self.warnings:
            text += f" — warning: {warning}"
        return text

    def to_dict(self) -> dict:
        """The summary as plain JSON-able values (what ``jitbench load --json`` prints)."""
        return asdict(self)

    def journal_fields(self) -> dict:
        """The ``data_load`` journal event's fields (docs/architecture.md)."""
        return {"source": self.source_id, "uri": self.uri, "format": self.format,
                "lease_id": self.lease_id, "grant_id": self.grant_id, "rows": self.rows,
                "rejects": self.rejects, "bytes": self.bytes, "seconds": round(self.seconds, 3)}


def _human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
