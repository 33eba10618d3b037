"""The ingest run: find files, load them, diff them against the catalog, chunk, embed.

Every write goes through `retrieval.index.Index`, which keeps the order that survives a crash:
one call per file (`replace_source`, in `files`), then one per model (`embed_pending`, here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
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
EMBED_BESIDE_PARSE = 4 * EMBED_WINDOW  # chunks written between embeddings while parsing goes on


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


class _EmbedBesideParse:
    """Embeds the chunks written so far, each model's runs summed into one `ModelRun`.

    Called every `EMBED_BESIDE_PARSE` chunks while parse workers read the next files, so a
    batch of PDFs is not parsed first and embedded after (on a GPU, parsing is the slow part).
    """

    def __init__(
        self,
        index: Index,
        corpus: str,
        prepared: PreparedCorpus | None,
        *,
        show_progress: bool,
        progress: ProgressCallback,
    ) -> None:
        self._index, self._corpus, self._prepared = index, corpus, prepared
        self._show_progress, self._progress = show_progress, progress
        self._builders: list[PointBuilder] | None = None
        self.chunks_seen = 0
        self.runs: dict[str, ModelRun] = {}

    def embed(self, chunks_written: int) -> None:
        """Embed every pending chunk with every model of the run."""
        self.chunks_seen = chunks_written
        if self._prepared is None or not self._prepared.has_work():
            return
        if self._builders is None:
            self._builders = self._prepared.point_builders()
        for builder in self._builders:
            run = _embed_pending(
                self._index, self._corpus, builder,
                show_progress=self._show_progress, progress=self._progress,
            )  # fmt: skip
            earlier = self.runs.get(run.model_id)
            if earlier is not None:
                run = replace(
                    run, chunks=earlier.chunks + run.chunks, seconds=earlier.seconds + run.seconds
                )
            self.runs[run.model_id] = run


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

    embedding = _EmbedBesideParse(
        index, corpus, prepared, show_progress=options.show_progress, progress=progress
    )
    for job, parsed in parse_ahead(planned(), options.load, options.parse_workers):
        ingestor.write(job, parsed)
        if report.chunks - embedding.chunks_seen >= EMBED_BESIDE_PARSE:
            embedding.embed(report.chunks)  # the workers parse the next files meanwhile
    ingestor.record_deferred_failures()
    if not dry_run and corpus in index.catalog.corpus_names():
        index.scan_definitions(corpus)  # documents written before definitions were kept
    embedding.embed(report.chunks)
    report.models.extend(embedding.runs.values())
    report.seconds = time.perf_counter() - started
    return report


def remove_source(path: Path, *, corpus: str, index: Index) -> int:
    """Remove a file (or every file under a folder) from the corpus; the documents removed."""
    return index.remove_sources(corpus, str(Path(path).expanduser().resolve()))
