"""The search API over one corpus and one model (dense search; sparse and hybrid follow)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from adapters import Encoder
from retrieval.catalog import Catalog
from retrieval.errors import RetrievalError
from retrieval.hits import Hit
from retrieval.store import VectorStore, collection_name

logger = logging.getLogger(__name__)


class Retriever:
    """Search a corpus with a model that has embedded it.

    Example:
        >>> retriever = Retriever(
        ...     store=store, catalog=catalog, encoder=minilm, corpus="cardiology"
        ... )  # doctest: +SKIP
        >>> retriever.search("heart failure in the elderly", k=3)[0].citation  # doctest: +SKIP
        'ehag110.pdf, p. 1'
    """

    def __init__(
        self, *, store: VectorStore, catalog: Catalog, encoder: Encoder, corpus: str
    ) -> None:
        model_ids = [model.model_id for model in catalog.corpus_models(corpus)]
        collection = collection_name(corpus, encoder.spec.id)
        if encoder.spec.id not in model_ids or not store.collection_exists(collection):
            known = ", ".join(model_ids) or "none"
            raise RetrievalError(
                f"model {encoder.spec.id!r} has not embedded corpus {corpus!r} (it has: {known}); "
                f"run `ingest PATH --corpus {corpus} --model {encoder.spec.id}`"
            )
        self.store = store
        self.encoder = encoder
        self.corpus = corpus
        self.collection = collection
        store.check_dimension(collection, encoder.dimension)

    def search(self, query: str, k: int = 10, *, doc_types: Sequence[str] = ()) -> list[Hit]:
        """The `k` chunks nearest to `query`, best first."""
        if not query.strip():
            raise ValueError("the query is empty")
        vector = self.encoder.encode_queries([query])[0]
        found = self.store.search_dense(self.collection, vector, k, doc_types=doc_types)
        return [Hit.from_scored(rank, scored) for rank, scored in enumerate(found, start=1)]
