"""The index: the SQL catalog and the vector store together, and the order their writes keep.

Catalog-last (docs/architecture.md): a chunk is marked embedded only after the store accepted its
points, and unmarked before its points go. A crash between the two leaves work that the next
run redoes, never a row that claims points which are not there. Every write that touches the
catalog or the store goes through an `Index`; readers use `index.catalog` and `index.store`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from adapters import Encoder, ModelSpec
from retrieval.catalog.documents import Catalog
from retrieval.catalog.records import CorpusModel, DocumentRecord, PendingChunk
from retrieval.model_loader import ModelLoader
from retrieval.settings import Settings
from retrieval.store.backends import open_store
from retrieval.store.disk_space import check_disk_space
from retrieval.store.interface import StoredPoint, VectorStore

logger = logging.getLogger(__name__)

# Turns pending chunks into the points to store (dense and sparse vectors, text, payload).
EmbedWindow = Callable[[Sequence[PendingChunk]], list[StoredPoint]]
# Told (chunks done, chunks in all) after each window.
WindowDone = Callable[[int, int], None]
# Windows of pending chunks read from the catalog at once (sorted by length within the page).
PAGE_WINDOWS = 32


class Index:
    """A catalog and a store, written together in the one order that survives a crash."""

    def __init__(
        self,
        catalog: Catalog,
        store: VectorStore,
        settings: Settings | None = None,
        *,
        models: ModelLoader | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.settings = settings or Settings()
        self.models = models or ModelLoader(self.settings)

    def encoder(self, spec: ModelSpec) -> Encoder:
        """The spec's encoder, loaded once per process, from where the settings say."""
        return self.models.encoder(spec)

    def ensure_corpus(self, corpus: str, chunking: dict[str, Any]) -> None:
        """Create the corpus with its chunking, or check that it has this one."""
        self.catalog.ensure_corpus(corpus, chunking)

    def record_failure(self, corpus: str, path: str, sha256: str, reason: str) -> None:
        """Record a file that could not be ingested, with the reason (its rows stay as were)."""
        self.catalog.record_failure(corpus, path, sha256, reason)

    def scan_definitions(self, corpus: str) -> int:
        """Record the abbreviation definitions of documents written before they were kept."""
        return self.catalog.scan_definitions(corpus)

    def _collections(self, corpus: str) -> list[str]:
        return [model.collection for model in self.catalog.corpus_models(corpus)]

    def replace_source(
        self,
        corpus: str,
        path: str,
        sha256: str,
        records: Sequence[DocumentRecord],
        stale: Sequence[str],
        *,
        complete: bool = True,
    ) -> None:
        """A file's new and changed documents in, its `stale` ones (changed, removed) out.

        The stale documents are unmarked, then their points leave every collection, then the
        catalog replaces the file's rows in one transaction; the new chunks wait to be
        embedded (`embed_pending`). `complete=False` writes a part of a large file, which
        stays `partial` until its last part is written.
        """
        self.catalog.forget_embeddings(corpus, stale)
        for collection in self._collections(corpus):
            self.store.delete_documents(collection, stale)
        self.catalog.write_source(
            corpus, path, sha256, list(records), list(stale), complete=complete
        )

    def remove_sources(self, corpus: str, path: str) -> int:
        """Remove a file (or every file under a folder) everywhere; the documents removed."""
        sources = self.catalog.sources_under(corpus, path)
        doc_ids = [doc_id for ids in sources.values() for doc_id in ids]
        self.catalog.forget_embeddings(corpus, doc_ids)
        for collection in self._collections(corpus):
            self.store.delete_documents(collection, doc_ids)
        self.catalog.remove_sources(corpus, list(sources))
        logger.info("removed %d documents from %d files", len(doc_ids), len(sources))
        return len(doc_ids)

    def drop_corpus(self, corpus: str, collections: Sequence[str] = ()) -> None:
        """Drop a corpus: its rows, its models' collections and the other `collections` named."""
        if corpus in self.catalog.corpus_names():
            documents = self.catalog.list_documents(corpus)
            self.catalog.forget_embeddings(corpus, [d.doc_id for d in documents])
        for collection in dict.fromkeys([*self._collections(corpus), *collections]):
            self.store.drop_collection(collection)
        self.catalog.drop_corpus(corpus)

    def drop_changed_models(self, corpus: str, specs: Sequence[ModelSpec]) -> list[str]:
        """Forget the vectors of models whose spec changed since they embedded the corpus.

        A retrained adapter (or a new base, prefix or max length) gives other vectors; mixed
        with the old ones, search would be silently wrong. Their chunks become pending, so
        the next `embed_pending` embeds the corpus again. Returns the models dropped.
        """
        if corpus not in self.catalog.corpus_names():
            return []
        current = {spec.id: spec.spec_hash for spec in specs}
        dropped = []
        for model in self.catalog.corpus_models(corpus):
            if model.model_id in current and model.spec_hash != current[model.model_id]:
                logger.warning(
                    "model %r changed since it embedded corpus %r (spec hash %s, now %s): "
                    "embedding the corpus again",
                    model.model_id,
                    corpus,
                    model.spec_hash,
                    current[model.model_id],
                )
                self.catalog.drop_corpus_model(corpus, model.model_id)
                self.store.drop_collection(model.collection)
                dropped.append(model.model_id)
        return dropped

    def prepare_model(self, corpus: str, model: CorpusModel) -> None:
        """The model's collection made (or checked) and the model recorded for the corpus."""
        self.store.ensure_collection(model.collection, model.dimension, self.settings.quantization)
        self.catalog.add_corpus_model(corpus, model)

    def embed_pending(
        self,
        corpus: str,
        model: CorpusModel,
        embed: EmbedWindow,
        *,
        window: int,
        done: WindowDone,
    ) -> int:
        """Embed the chunks `model` has not embedded yet, `window` at a time; how many.

        Points that would not fit on the store's disk are refused before the first is written
        (InsufficientDiskError). The pending chunks are read a page at a time (memory stays
        flat however large the corpus), shortest first within a page (batches of like length
        pad least); each window's points are stored, then marked in the catalog, so a killed
        run resumes where it stopped.
        """
        total, chars = self.catalog.pending_size(corpus, model.model_id)
        check_disk_space(
            self.store,
            model.collection,
            points=total,
            dimension=model.dimension,
            quantization=self.store.collection_info(model.collection).quantization,
            text_chars=chars,
            reserve_bytes=self.settings.disk_reserve_mb * 2**20,
        )
        done(0, total)
        embedded = 0
        last_id: str | None = None
        while page := self.catalog.pending_chunks(
            corpus, model.model_id, after=last_id, limit=window * PAGE_WINDOWS
        ):
            last_id = page[-1].chunk_id
            page.sort(key=lambda chunk: len(chunk.text))
            for start in range(0, len(page), window):
                chunks = page[start : start + window]
                self.store.upsert(model.collection, embed(chunks))
                self.catalog.mark_embedded(model.model_id, [c.chunk_id for c in chunks])
                embedded += len(chunks)
                done(embedded, total)
        if embedded:
            self.store.finish_writes(model.collection)
        return embedded

    def close(self) -> None:
        """Close the store and release the catalog's connections (an index of `open_index`)."""
        self.store.close()
        self.catalog.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_catalog(settings: Settings) -> Catalog:
    """The catalog the settings name, its schema made (and the data dir, SQLite's home)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(settings.sql_url_or_default())
    catalog.create_schema()
    return catalog


def open_index(settings: Settings) -> Index:
    """The catalog and the store the settings name, as one index that closes both.

    For a script that only writes; the app, the API and the CLI use `open_runtime`, whose
    index shares the runtime's models and is closed by the runtime.
    """
    catalog = open_catalog(settings)
    try:
        return Index(catalog, open_store(settings), settings)
    except BaseException:
        catalog.close()
        raise
