"""The Catalog: every corpus's source files, documents and chunks, and what each model embedded.

One class over the modules that hold its parts: corpora, source writes, embedding bookkeeping
and reads. Benchmark runs and judgments are the RunStore's (`runs`), copying to another
database is `transfer`'s.
"""

from __future__ import annotations

from retrieval.catalog.embeddings import CatalogEmbeddings
from retrieval.catalog.reads import CatalogReads
from retrieval.catalog.sources import CatalogSources


class Catalog(CatalogSources, CatalogEmbeddings, CatalogReads):
    """The document and chunk registry of every corpus, in any SQLAlchemy database.

    Example:
        >>> catalog = Catalog("sqlite:///:memory:")
        >>> catalog.create_schema()
        >>> catalog.ensure_corpus("cardiology", {"chunk_tokens": 254}).name
        'cardiology'
    """
