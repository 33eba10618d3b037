"""Benchmark runs and relevance judgments: what people measured and judged, beside the corpora.

A store of its own, not part of the Catalog: only the benchmarks and the app's Compare and
Benchmarks pages use it. It shares the catalog's database and schema.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from retrieval.catalog.connection import CatalogConnection
from retrieval.catalog.records import BenchmarkRun, Judgment
from retrieval.catalog.tables import BenchmarkRunRow, JudgmentRow, now


class RunStore(CatalogConnection):
    """Benchmark runs (running, then done or failed) and the latest judgment per query and chunk.

    Example:
        >>> runs = RunStore("sqlite:///:memory:")
        >>> runs.create_schema()
        >>> run_id = runs.start_benchmark_run("quality", "openstax_glossary")
        >>> [run.status for run in runs.benchmark_runs("quality")]
        ['running']
    """

    def start_benchmark_run(self, kind: str, name: str) -> int:
        """A `running` row, so that a crashed run shows as unfinished, never as a result."""
        with self._session() as session:
            row = BenchmarkRunRow(kind=kind, name=name, status="running")
            session.add(row)
            session.flush()
            return row.id

    def finish_benchmark_run(
        self, run_id: int, *, results: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        """Mark a run `finished` with its results, or `failed` with the reason."""
        if (results is None) == (error is None):
            raise ValueError("a run finishes with results or with an error, not both")
        with self._session() as session:
            row = session.get(BenchmarkRunRow, run_id)
            if row is None:
                raise KeyError(f"no benchmark run {run_id}")
            row.status = "finished" if results is not None else "failed"
            row.results, row.error, row.finished_at = results, error, now()

    def benchmark_runs(self, kind: str | None = None) -> list[BenchmarkRun]:
        """Runs newest first, of one kind or all."""
        query = select(BenchmarkRunRow).order_by(BenchmarkRunRow.id.desc())
        if kind is not None:
            query = query.where(BenchmarkRunRow.kind == kind)
        with self._session() as session:
            return [
                BenchmarkRun(
                    id=row.id,
                    kind=row.kind,
                    name=row.name,
                    status=row.status,
                    started_at=row.started_at,
                    finished_at=row.finished_at,
                    results=row.results,
                    error=row.error,
                )
                for row in session.scalars(query)
            ]

    def record_judgment(
        self, corpus: str, query: str, model_id: str, chunk_id: str, *, relevant: bool
    ) -> None:
        """Store (or change) whether a chunk answers a query; the last judgment wins."""
        with self._session() as session:
            row = session.scalar(
                select(JudgmentRow).where(
                    JudgmentRow.corpus == corpus,
                    JudgmentRow.query == query,
                    JudgmentRow.chunk_id == chunk_id,
                )
            )
            if row is None:
                session.add(
                    JudgmentRow(
                        corpus=corpus,
                        query=query,
                        model_id=model_id,
                        chunk_id=chunk_id,
                        relevant=relevant,
                    )
                )
            else:
                row.model_id, row.relevant, row.judged_at = model_id, relevant, now()

    def judgments(self, corpus: str) -> list[Judgment]:
        """Every judgment of a corpus, oldest first."""
        with self._session() as session:
            return [
                Judgment(
                    corpus=row.corpus,
                    query=row.query,
                    model_id=row.model_id,
                    chunk_id=row.chunk_id,
                    relevant=row.relevant,
                    judged_at=row.judged_at,
                )
                for row in session.scalars(
                    select(JudgmentRow).where(JudgmentRow.corpus == corpus).order_by(JudgmentRow.id)
                )
            ]
