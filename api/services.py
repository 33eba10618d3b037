"""The heavy objects one API process shares between requests: store, catalog, retrievers.

One of each per process: the embedded store locks its folder, so a second handle (or a second
worker process) would fail; models load once. Requests run in uvicorn's thread pool, so:
- the store is a `LockedStore`: one lock serialises every store call (Qdrant Edge's shards
  have no documented thread-safety);
- encoders hold their base model's lock while they encode (`adapters.encoder`), so adapters
  that share a base never swap under a running encode;
- retrievers are made once per (corpus, model) under `_lock`, so two first requests do not
  build two.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from retrieval import Catalog, Retriever, Settings, VectorStore, open_store
from retrieval.answer.rag import chat_model_from_settings
from retrieval.store.locked import LockedStore

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


class Services:
    """Store, catalog and one retriever per (corpus, model), made on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.configure_torch()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = Catalog(settings.sql_url_or_default())
        self.catalog.create_schema()
        self.store: VectorStore = LockedStore(open_store(settings))
        self.specs = settings.model_specs()
        self._retrievers: dict[tuple[str | None, str | None], Retriever] = {}
        self._lock = threading.Lock()
        self._chat: BaseChatModel | None = None
        self._chat_loaded = False

    def chat_model(self) -> BaseChatModel | None:
        """The configured chat model (made once), or None: answers are then quoted.

        Raises:
            ChatModelError: The setting names a provider whose package is not installed.
        """
        with self._lock:
            if not self._chat_loaded:
                self._chat = chat_model_from_settings(self.settings)
                self._chat_loaded = True
            return self._chat

    def retriever(self, corpus: str | None, model: str | None) -> Retriever:
        """The retriever of a corpus (None: the only or default one) and model (None: its own).

        Raises:
            UnknownCorpusError, CorpusNotEmbeddedError, ModelNotFoundError: As `Retriever` does.
        """
        key = (corpus, model)
        with self._lock:
            if key not in self._retrievers:
                self._retrievers[key] = Retriever(
                    corpus,
                    model,
                    settings=self.settings,
                    store=self.store,
                    catalog=self.catalog,
                    specs=self.specs,
                )
            return self._retrievers[key]

    def close(self) -> None:
        """Close the store (its folder lock goes with it) and the catalog."""
        self._retrievers.clear()
        self.store.close()
        self.catalog.close()
