"""The SQL side of the index: the Catalog, the RunStore, and the copy that migration makes.

`Catalog` knows every corpus's files, documents and chunks and which model embedded which.
`RunStore` keeps benchmark runs and relevance judgments in the same database: build it on a
catalog's engine, `RunStore(engine=catalog.engine)`. `copy_corpus_rows` copies a corpus's rows
to another catalog. The values they give and take hold no SQLAlchemy.
"""

from __future__ import annotations

from retrieval.catalog.documents import Catalog
from retrieval.catalog.records import (
    BenchmarkRun,
    ChunkRecord,
    CorpusDefinition,
    CorpusModel,
    DocumentRecord,
    DocumentSummary,
    Judgment,
    PageChunk,
    PendingChunk,
    SourceState,
)
from retrieval.catalog.runs import RunStore
from retrieval.catalog.transfer import copy_corpus_rows

__all__ = [
    "BenchmarkRun",
    "Catalog",
    "ChunkRecord",
    "CorpusDefinition",
    "CorpusModel",
    "DocumentRecord",
    "DocumentSummary",
    "Judgment",
    "PageChunk",
    "PendingChunk",
    "RunStore",
    "SourceState",
    "copy_corpus_rows",
]
