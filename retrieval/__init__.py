"""The index and how it is searched: settings, the SQL catalog and the Qdrant store."""

from __future__ import annotations

from retrieval.answer.confidence import Assessment
from retrieval.answer.sentences import AnswerSentence, ExtractiveAnswer
from retrieval.catalog.documents import Catalog
from retrieval.catalog.records import BenchmarkRun, Judgment
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
from retrieval.search.hits import Hit
from retrieval.search.request import SearchRequest
from retrieval.search.retriever import Comparison, PairAgreement, Retriever
from retrieval.settings import Settings
from retrieval.store.backends import open_embedded_store, open_store
from retrieval.store.interface import (
    DEFAULT_PARTS,
    DOCUMENT_PARTS,
    ScoredChunk,
    VectorStore,
    collection_name,
)
from retrieval.store.query import DEFAULT_FUSION, FusionMethod, Quantization, SearchMode

__all__ = [
    "DEFAULT_FUSION",
    "DEFAULT_PARTS",
    "DOCUMENT_PARTS",
    "AnswerSentence",
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
    "open_store",
]
