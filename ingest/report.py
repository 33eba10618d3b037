"""What an ingest run did: documents by outcome, failures with reasons, per-model throughput."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.diff import FileDiff


@dataclass(frozen=True, slots=True)
class FileFailure:
    """A file that was not ingested, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class ModelRun:
    """What one model embedded in a run. `chunks_per_second` counts encode + upsert + record."""

    model_id: str
    collection: str
    chunks: int
    seconds: float

    @property
    def chunks_per_second(self) -> float:
        """Throughput of this model's embedding stage."""
        return self.chunks / self.seconds if self.seconds > 0 else 0.0


@dataclass(slots=True)
class IngestReport:
    """Counts of documents by outcome, failures with reasons, and per-model throughput."""

    corpus: str
    dry_run: bool = False
    added: int = 0
    updated: int = 0
    skipped: int = 0
    deleted: int = 0
    empty_records: int = 0
    chunks: int = 0
    failed: list[FileFailure] = field(default_factory=list)
    # Pages left out of files that were ingested (a scan OCR could not read), with reasons.
    failed_pages: list[FileFailure] = field(default_factory=list)
    models: list[ModelRun] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed

    def count(self, diff: FileDiff) -> None:
        """Add a file's documents by outcome: the one place the counters are written."""
        self.added += diff.new
        self.updated += diff.changed
        self.skipped += diff.unchanged
        self.deleted += len(diff.removed)
        self.empty_records += diff.empty
