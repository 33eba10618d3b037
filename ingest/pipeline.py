"""The ingest run: find files, load them, diff them against the catalog, chunk, embed.

Every write goes through `retrieval.index.Index`, which keeps the order that survives a crash:
one call per file (`replace_source`, in `files`), then one per model (`embed_pending`, here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from tqdm.auto import tqdm

from adapters.context_template import ContextTemplate
from ingest.chunking import requested_chunking
from ingest.files import FileIngestor
from ingest.loaders import ParseJob, discover_files, parse_ahead
from ingest.options import EncoderLoader, IngestOptions, ProgressCallback, no_progress
from ingest.points import PointBuilder
from ingest.prepared import PreparedCorpus, corpus_model
from ingest.report import FileFailure, IngestReport, ModelRun
from retrieval.catalog import Catalog, PendingChunk
from retrieval.index import Index
from retrieval.store import StoredPoint, collection_name

logger = logging.getLogger(__name__)

EMBED_WINDOW = 256  # chunks encoded, upserted and recorded together


def _embed_pending(
    index: Index,
    corpus: str,
    builder: PointBuilder,
    *,
    show_progress: bool,
    progress: ProgressCallback,
) -> ModelRun:
    """Embed every chunk of the corpus that the builder's model has not embedded yet."""
    model = corpus_model(corpus, builder.encoder)
    model_id = model.model_id
    started = time.perf_counter()
    with tqdm(desc=f"embed {model_id}", unit="chunk", disable=not show_progress) as bar:

        def done(chunks: int, total: int) -> None:
            bar.total = total
            bar.update(chunks - bar.n)
            progress(f"embed {model_id}", chunks, total)

        def embed(window: Sequence[PendingChunk]) -> list[StoredPoint]:
            points = builder.points(window)
            logger.debug("embedded %d chunks with %s", len(window), model_id)
            return points

        count = index.embed_pending(corpus, model, embed, window=EMBED_WINDOW, done=done)
    run = ModelRun(model_id, model.collection, count, time.perf_counter() - started)
    logger.info(
        "%s: embedded %d chunks in %.1f s (%.1f chunks/s)",
        run.model_id,
        run.chunks,
        run.seconds,
        run.chunks_per_second,
    )
    return run


def run_model_ids(
    catalog: Catalog, corpus: str, requested: Sequence[str], default: str
) -> list[str]:
    """The models of a run: those requested (else the corpus's, else `default`).

    Every model the corpus already has is added, so a changed file is replaced everywhere.
    """
    existing = [model.model_id for model in catalog.corpus_models(corpus)]
    chosen = list(requested) or existing or [default]
    return list(dict.fromkeys(chosen + existing))


def ingest_paths(
    paths: Sequence[Path],
    options: IngestOptions,
    *,
    index: Index,
    load_encoder: EncoderLoader | None = None,
    progress: ProgressCallback = no_progress,
) -> IngestReport:
    """Ingest files and folders into `options.corpus`, embedding with every model it names.

    Args:
        paths: Files and folders (searched recursively).
        options: The corpus, the models and how to read, cut and embed (`IngestOptions`).
        index: The catalog and store that every write goes through.
        load_encoder: Loads a spec's encoder (default: `index.encoder`).
        progress: Told each step, for the web app's progress bar.

    Returns:
        The report; a file that fails is in `report.failed` and does not stop the rest.
    """
    started = time.perf_counter()
    corpus, dry_run = options.corpus, options.dry_run
    report = IngestReport(corpus=corpus, dry_run=dry_run)
    if options.recreate and not dry_run:
        index.drop_corpus(corpus, [collection_name(corpus, spec.id) for spec in options.models])
    if not dry_run:
        index.drop_changed_models(corpus, options.models)
    if options.context_template is not None:
        ContextTemplate(options.context_template)  # a malformed template fails before any work
    stored = index.catalog.corpus_chunking(corpus)
    if stored is not None and not dry_run:
        # Refuse another overlap or template now, even when nothing needs chunking in this run.
        asked = requested_chunking(stored, options.overlap_tokens, options.context_template)
        index.ensure_corpus(corpus, asked.stored())
    files, refused = discover_files(paths, options.load.exclude)
    report.failed.extend(FileFailure(e.path, str(e)) for e in refused)
    prepared = (
        None if dry_run else PreparedCorpus(index, options, load_encoder or index.encoder, progress)
    )
    ingestor = FileIngestor(
        index, report, prepared, show_progress=options.show_progress, progress=progress
    )

    def planned() -> Iterator[ParseJob]:
        """The files that need parsing; the others are counted (or written, records) here."""
        bar = tqdm(files, desc="parse", unit="file", disable=not options.show_progress)
        for done, path in enumerate(bar, start=1):
            job = ingestor.plan(path, options.load)
            progress("parse", done, len(files))
            if job is not None:
                yield job

    for job, parsed in parse_ahead(planned(), options.load, options.parse_workers):
        ingestor.write(job, parsed)
    ingestor.record_deferred_failures()
    if not dry_run and corpus in index.catalog.corpus_names():
        index.scan_definitions(corpus)  # documents written before definitions were kept
    if prepared is not None and prepared.has_work():
        for builder in prepared.point_builders():
            report.models.append(
                _embed_pending(
                    index, corpus, builder, show_progress=options.show_progress, progress=progress
                )
            )
    report.seconds = time.perf_counter() - started
    return report


def remove_source(path: Path, *, corpus: str, index: Index) -> int:
    """Remove a file (or every file under a folder) from the corpus; the documents removed."""
    return index.remove_sources(corpus, str(Path(path).expanduser().resolve()))
