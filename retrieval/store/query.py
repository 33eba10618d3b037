"""What a search asks of a store: mode, vectors, filter conditions, depth and fusion.

Backend-neutral, so Qdrant Edge and a Qdrant server receive the same request: one Query API
call, with two prefetches fused by RRF or DBSF in hybrid mode.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.store.sparse import SparseVector

# RRF's constant. The paper's 60 flattens the top ranks of two 100-deep lists, so the weaker
# list pulls the fused order toward its own; 2 rewards top ranks
# (docs/benchmarks.md#the-fusion-study-historical-text-alone).
DEFAULT_RRF_K = 2
# Chunks each branch of a hybrid search fetches before fusion.
DEFAULT_CANDIDATES = 100


class SearchMode(enum.StrEnum):
    """Dense (the model's vectors), sparse (BM25) or hybrid (both, fused)."""

    DENSE = "dense"
    SPARSE = "sparse"
    HYBRID = "hybrid"


class Quantization(enum.StrEnum):
    """How a collection keeps its dense vectors: float only, or int8 in RAM and float on disk."""

    NONE = "none"
    INT8 = "int8"


class FusionMethod(enum.StrEnum):
    """How hybrid search merges its two candidate lists.

    RRF scores by rank (1/(k + rank), summed); DBSF normalises each list's scores by their
    distribution and sums them. Neither score is comparable with a cosine similarity.
    """

    RRF = "rrf"
    DBSF = "dbsf"


# DBSF ranked better than RRF (k=2) with both shipped base models on both eval sets
# (docs/benchmarks.md): scores carry how far apart two candidates are, ranks do not.
DEFAULT_FUSION = FusionMethod.DBSF


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """A metadata field equal to one of `values`."""

    key: str
    values: tuple[str | int | bool, ...]


@dataclass(frozen=True, slots=True)
class FieldRange:
    """A numeric metadata field within [gte, lte] (either bound may be open)."""

    key: str
    gte: float | None = None
    lte: float | None = None


@dataclass(frozen=True, slots=True)
class FieldExclude:
    """A metadata field equal to none of `values` (a chunk without the field passes)."""

    key: str
    values: tuple[str | int | bool, ...]


Condition = FieldMatch | FieldRange | FieldExclude


@dataclass(frozen=True, slots=True)
class StoreQuery:
    """One search request to a collection; all conditions must hold.

    `candidates` is how many chunks each branch of a hybrid search fetches before fusion.
    `timeout_s` is how long a server may take (whole seconds; the embedded store has no timeout
    of its own, see `retrieval.search.deadline`).
    """

    mode: SearchMode
    k: int
    dense: Sequence[float] | None = None
    sparse: SparseVector | None = None
    conditions: tuple[Condition, ...] = ()
    offset: int = 0
    score_threshold: float | None = None
    fusion: FusionMethod = DEFAULT_FUSION
    candidates: int = DEFAULT_CANDIDATES
    rrf_k: int = DEFAULT_RRF_K
    hnsw_ef: int | None = None  # HNSW beam width for the dense search; None = Qdrant's default
    exact: bool = False  # brute-force dense search (ground truth for recall checks)
    with_dense: bool = False
    timeout_s: int | None = None
