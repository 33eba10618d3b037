"""Move a corpus to another store and catalog (embedded -> Qdrant server + PostgreSQL).

Points go first, then catalog rows (the catalog-last rule: the target's catalog never says a
chunk is embedded before its point is there), and every step is checked by counts. Vectors
are copied, not recomputed, so no model loads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import islice

from tqdm.auto import tqdm

from retrieval.catalog.transfer import copy_corpus_rows
from retrieval.errors import RetrievalError
from retrieval.index import Index
from retrieval.store.interface import VectorStore

logger = logging.getLogger(__name__)

BATCH = 256


class MigrationError(RetrievalError):
    """A migration that would overwrite data, or whose copy does not match its source."""


@dataclass(slots=True)
class MigrationReport:
    """What was copied: points per collection and catalog rows."""

    corpus: str
    points: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


def _copy_points(
    source: VectorStore, target: VectorStore, name: str, *, show_progress: bool
) -> int:
    info = source.collection_info(name)
    if target.collection_exists(name):
        raise MigrationError(f"the target store already has collection {name!r}; drop it first")
    target.create_collection(name, info.dimension, info.quantization)
    points = source.export_points(name)
    with tqdm(total=info.points, desc=name, unit="point", disable=not show_progress) as bar:
        while batch := list(islice(points, BATCH)):
            target.upsert(name, batch)
            bar.update(len(batch))
    target.finish_writes(name)
    copied = target.collection_info(name).points
    if copied != info.points:
        raise MigrationError(f"{name}: {info.points} points in the source, {copied} in the target")
    return copied


def migrate_corpus(
    corpus: str, source: Index, target: Index, *, show_progress: bool = False
) -> MigrationReport:
    """Copy a corpus's collections and catalog rows, then check the counts match.

    Raises:
        MigrationError: When the target has the corpus or one of its collections already, or a
            count differs after the copy.
    """
    if corpus in target.catalog.corpus_names():
        raise MigrationError(f"the target catalog already has corpus {corpus!r}")
    report = MigrationReport(corpus)
    for model in source.catalog.corpus_models(corpus):
        report.points[model.collection] = _copy_points(
            source.store, target.store, model.collection, show_progress=show_progress
        )
    copy_corpus_rows(corpus, source.catalog, target.catalog)
    report.rows = source.catalog.corpus_counts(corpus)
    copied = target.catalog.corpus_counts(corpus)
    if copied != report.rows:
        raise MigrationError(f"catalog rows differ after the copy: {report.rows} != {copied}")
    logger.info("migrated corpus %s: %s points, %s", corpus, report.points, report.rows)
    return report
