"""The one composition root: what the app, the HTTP API, the CLI and the benchmarks open.

`open_runtime(settings)` gives a `Runtime` that owns every part built from the settings: the
catalog and the run store, the vector store (locked: one handle per process), the model specs,
the model loader, a `Retriever` per corpus and model, the `Index` and the `Answerer`. Its
`close()` closes what it opened, once. Each part is opened on first use, so a command that
lists model specs opens no database, and one that lists documents works while another
process holds the store.

The app's pages and jobs and the API's thread pool share one runtime: parts are made under
locks, so two first requests never build two of anything.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from adapters import AdapterError, Encoder, ModelSpec, get_spec
from adapters.cross_encoder import CrossEncoder
from adapters.encoder import SHARED
from adapters.specs import get_reranker_spec
from retrieval.answer.answerer import Answerer
from retrieval.catalog import Catalog, RunStore
from retrieval.index import Index, open_catalog
from retrieval.model_loader import ModelLoader
from retrieval.search.retriever import Retriever
from retrieval.settings import Settings
from retrieval.store.backends import open_store
from retrieval.store.interface import VectorStore
from retrieval.store.locked import LockedStore

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = logging.getLogger(__name__)


class Runtime:
    """The parts of one process, made from its settings on first use; build it with `open_runtime`.

    Example:
        >>> with open_runtime(Settings()) as runtime:  # doctest: +SKIP
        ...     hits = runtime.retriever("cardiology").search("syncope work-up", k=5)
        ...     given = runtime.answerer.answer(runtime.retriever("cardiology"), "syncope?")
    """

    def __init__(self, settings: Settings, specs: dict[str, ModelSpec] | None = None) -> None:
        self.settings = settings
        self.specs = settings.model_specs() if specs is None else specs
        self.models = ModelLoader(settings)
        self.answerer = Answerer(chat=self.chat_model)
        self._parts_lock = threading.RLock()  # catalog, run store, store, index
        self._retrievers_lock = threading.Lock()  # held while a retriever loads its model
        self._chat_lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._runs: RunStore | None = None
        self._store: VectorStore | None = None
        self._index: Index | None = None
        self._retrievers: dict[tuple[str | None, str | None], Retriever] = {}
        self._chat: BaseChatModel | None = None
        self._chat_made = False
        self._closed = False

    @property
    def catalog(self) -> Catalog:
        """The catalog of documents and chunks, its schema made."""
        with self._parts_lock:
            if self._catalog is None:
                self._catalog = open_catalog(self.settings)
            return self._catalog

    @property
    def runs(self) -> RunStore:
        """Benchmark runs and relevance judgments, in the catalog's database."""
        with self._parts_lock:
            if self._runs is None:
                self._runs = RunStore(engine=self.catalog.engine)
            return self._runs

    @property
    def store(self) -> VectorStore:
        """The one store handle of the process; one lock serialises its calls.

        Raises:
            StoreLockedError: Another process holds the embedded store's folder.
            StoreUnavailableError: The Qdrant server cannot be reached.
        """
        with self._parts_lock:
            if self._store is None:
                self._store = LockedStore(open_store(self.settings))
            return self._store

    @property
    def index(self) -> Index:
        """The catalog and the store as one index: every write goes through it."""
        with self._parts_lock:
            if self._index is None:
                self._index = Index(self.catalog, self.store, self.settings, models=self.models)
            return self._index

    def encoder(self, model_id: str, *, instance: str = SHARED) -> Encoder:
        """The encoder of a model spec, by id (see `ModelLoader.encoder` for `instance`).

        Raises:
            UnknownModelError: No spec has this id.
            ModelNotFoundError: Its weights are not available offline.
        """
        return self.models.encoder(get_spec(self.specs, model_id), instance=instance)

    def reranker(self) -> CrossEncoder | None:
        """The configured reranker where searches are reranked by default, else None.

        Raises:
            ModelNotFoundError: The configured reranker's weights are not available here.
        """
        if not (self.settings.rerank and self.settings.reranker):
            return None
        spec = get_reranker_spec(self.settings.reranker_specs(), self.settings.reranker)
        return self.models.reranker(spec)

    def warm_up(self, *, reranker: bool = True) -> None:
        """Load the default model (and the reranker) now, so that no search waits for it.

        A model that cannot load is logged, not raised: the search that needs it reports it.
        """
        try:
            if self.settings.default_model in self.specs:
                self.encoder(self.settings.default_model)
            if reranker:
                self.reranker()
        except AdapterError as error:
            logger.warning("warm-up: %s", error)

    def retriever(self, corpus: str | None = None, model: str | None = None) -> Retriever:
        """The retriever of a corpus (None: the default one) and model (None: the corpus's own).

        Made once per (corpus, model); its query-embedding cache lives with it.

        Raises:
            UnknownCorpusError, CorpusNotEmbeddedError, ModelNotFoundError: As `Retriever` does.
        """
        key = (corpus, model)
        with self._retrievers_lock:
            if key not in self._retrievers:
                self._retrievers[key] = Retriever(
                    corpus,
                    model,
                    settings=self.settings,
                    store=self.store,
                    catalog=self.catalog,
                    specs=self.specs,
                    models=self.models,
                )
            return self._retrievers[key]

    def chat_model(self) -> BaseChatModel | None:
        """The configured chat model (made once), or None: answers are then quoted.

        Raises:
            ChatModelError: The setting names a provider whose package is not installed (the
                next call tries again).
        """
        with self._chat_lock:
            if not self._chat_made:
                from retrieval.answer.rag import chat_model_from_settings

                self._chat = chat_model_from_settings(self.settings)
                self._chat_made = True
            return self._chat

    def close(self) -> None:
        """Close the store (its folder lock goes with it) and the catalog, if they were opened."""
        with self._retrievers_lock, self._parts_lock:
            if self._closed:
                return
            self._closed = True
            self._retrievers.clear()
            if self._store is not None:
                self._store.close()
            if self._catalog is not None:
                self._catalog.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_runtime(
    settings: Settings | None = None, *, specs: dict[str, ModelSpec] | None = None
) -> Runtime:
    """The runtime of `settings` (default: environment and cardiorag.toml), torch set up.

    `specs` replaces the settings' model specs, for a process that must not read them (its
    models are loaded elsewhere).

    Raises:
        PlacementError: The settings name a device this machine lacks, or a dtype it cannot run.
    """
    settings = settings or Settings()
    settings.configure_torch()
    return Runtime(settings, specs)
