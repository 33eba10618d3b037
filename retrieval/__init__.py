"""The index and how it is searched: settings, the SQL catalog and the Qdrant store."""

from __future__ import annotations

from retrieval.answer import AnswerSentence, ExtractiveAnswer
from retrieval.backends import open_embedded_store, open_store
from retrieval.catalog import Catalog
from retrieval.catalog_records import BenchmarkRun, Judgment
from retrieval.confidence import Assessment
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
from retrieval.hits import Hit
from retrieval.index import Index, open_index
from retrieval.query import DEFAULT_FUSION, FusionMethod, Quantization, SearchMode
from retrieval.request import SearchRequest
from retrieval.retriever import Comparison, PairAgreement, Retriever
from retrieval.settings import Settings
from retrieval.store import (
    DEFAULT_PARTS,
    DOCUMENT_PARTS,
    ScoredChunk,
    VectorStore,
    collection_name,
)

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
