"""The Library page's long work, as job functions for `JobBoard.start`: ingest and re-embed.

Everything a job needs is captured when it starts, in the page's thread: the worker thread
never touches Streamlit, its caches or session state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters import Encoder, ModelSpec, get_spec
from ingest import DocType, IngestOptions, IngestReport, LoadOptions, ingest_paths
from ingest.pipeline import run_model_ids
from retrieval import Runtime
from ui.jobs.board import Progress

# The encoder instance of background jobs (see `adapters.load_encoder`).
JOBS = "jobs"


@dataclass(frozen=True, slots=True)
class IngestContext:
    """The app's runtime, as its jobs use it: its index and specs, and models of their own."""

    runtime: Runtime

    def load(self, spec: ModelSpec) -> Encoder:
        """The spec's encoder for jobs: a copy of its own, so searches never wait for a batch.

        Jobs share it with each other (one per spec and instance is loaded).
        """
        return self.runtime.models.encoder(spec, instance=JOBS)

    def run(
        self,
        paths: Sequence[Path],
        corpus: str,
        models: Sequence[ModelSpec],
        progress: Progress,
        options: LoadOptions | None = None,
    ) -> IngestReport:
        """`ingest_paths` with the app's index and settings."""
        return ingest_paths(
            list(paths),
            IngestOptions.from_settings(
                self.runtime.settings, corpus, list(models), load=options or LoadOptions()
            ),
            index=self.runtime.index,
            load_encoder=self.load,
            progress=progress,
        )


def ingest_files(
    context: IngestContext, paths: Sequence[Path], corpus: str, doc_type: DocType | None
) -> Callable[[Progress], IngestReport]:
    """A job that ingests files into a corpus with every model the corpus has (or the default)."""
    runtime = context.runtime
    model_ids = run_model_ids(runtime.catalog, corpus, [], runtime.settings.default_model)
    models = [get_spec(runtime.specs, model_id) for model_id in model_ids]
    options = LoadOptions(doc_type=doc_type)
    return lambda progress: context.run(paths, corpus, models, progress, options)


def embed_corpus(
    context: IngestContext, corpus: str, model_id: str
) -> Callable[[Progress], IngestReport]:
    """A job that embeds every chunk of a corpus with one more model (no file is re-read)."""
    spec = get_spec(context.runtime.specs, model_id)
    return lambda progress: context.run([], corpus, [spec], progress)


def progress_text(stage: str, done: int, total: int) -> str:
    """A job's progress in words, in the units its stage counts (see `ProgressCallback`)."""
    verb, _, model_id = stage.partition(" ")
    if verb == "load":
        return f"loading model {model_id}…"
    if verb == "embed":
        return f"embedding with {model_id}: {done:,} of {total:,} chunks"
    if verb == "parse":
        return f"reading files: {done:,} of {total:,}"
    if verb in ("check", "write"):
        doing = "checking" if verb == "check" else "writing"
        return f"{doing} {model_id}: {done:,} records"
    return "starting…"  # queued: the worker thread has not reported yet


def report_summary(report: IngestReport) -> str:
    """What a job did: documents by outcome (when it read files), chunks each model embedded.

    A re-embedding reads no file, so its line is the models' alone, not a row of zeros.
    """
    parts = []
    counts = (report.added, report.updated, report.skipped, report.deleted, len(report.failed))
    if any(counts):
        parts.append(
            f"{report.added} added, {report.updated} updated, {report.skipped} unchanged, "
            f"{report.deleted} removed, {len(report.failed)} failed"
        )
    parts.extend(
        f"{run.model_id} embedded {run.chunks:,} chunks in {run.seconds:.1f} s"
        for run in report.models
    )
    return " · ".join([*(parts or ["nothing to do"]), f"{report.seconds:.1f} s in all"])
