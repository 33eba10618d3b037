"""The index and how it is searched: settings, the SQL catalog and the Qdrant store.

`open_runtime(settings)` opens them together, with the models, retrievers and the Answerer.
"""

from __future__ import annotations

from retrieval.answer import Answer, Answerer, AnswerSentence, Assessment, ExtractiveAnswer
from retrieval.catalog import BenchmarkRun, Catalog, Judgment, RunStore
from retrieval.errors import (
    CollectionMismatchError,
    CorpusConfigError,
    CorpusNotEmbeddedError,
    EmptyQueryError,
    InsufficientDiskError,
    InvalidRequestError,
    QuantizationMismatchError,
    RequestTooLargeError,
    RetrievalError,
    SearchTimeoutError,
    StaleEmbeddingsError,
    StoreLockedError,
    StoreUnavailableError,
    UnknownCorpusError,
    UnknownFilterError,
)
from retrieval.index import Index, open_index
from retrieval.parts import DEFAULT_PARTS, DOCUMENT_PARTS
from retrieval.runtime import Runtime, open_runtime
from retrieval.search import Comparison, Hit, PairAgreement, Retriever, SearchRequest
from retrieval.settings import Settings
from retrieval.store.backends import open_embedded_store, open_store
from retrieval.store.interface import ScoredChunk, VectorStore, collection_name
from retrieval.store.query import DEFAULT_FUSION, FusionMethod, Quantization, SearchMode

__all__ = [
    "DEFAULT_FUSION",
    "DEFAULT_PARTS",
    "DOCUMENT_PARTS",
    "Answer",
    "AnswerSentence",
    "Answerer",
    "Assessment",
    "BenchmarkRun",
    "Catalog",
    "CollectionMismatchError",
    "Comparison",
    "CorpusConfigError",
    "CorpusNotEmbeddedError",
    "EmptyQueryError",
    "ExtractiveAnswer",
    "FusionMethod",
    "Hit",
    "Index",
    "InsufficientDiskError",
    "InvalidRequestError",
    "Judgment",
    "PairAgreement",
    "Quantization",
    "QuantizationMismatchError",
    "RequestTooLargeError",
    "RetrievalError",
    "Retriever",
    "RunStore",
    "Runtime",
    "ScoredChunk",
    "SearchMode",
    "SearchRequest",
    "SearchTimeoutError",
    "Settings",
    "StaleEmbeddingsError",
    "StoreLockedError",
    "StoreUnavailableError",
    "UnknownCorpusError",
    "UnknownFilterError",
    "VectorStore",
    "collection_name",
    "open_embedded_store",
    "open_index",
    "open_runtime",
    "open_store",
]
