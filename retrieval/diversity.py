"""Varied hits: drop near-duplicate chunks, and re-rank by maximal marginal relevance.

Both work on the dense vectors the store returns with the hits (Qdrant keeps them normalised
for cosine collections), never re-embedding a chunk, and both are bounded: a candidate is
compared with the hits kept so far (at most `capacity`, i.e. offset + k), so a request costs
O(candidates * kept * d) multiply-adds in numpy, not a Python loop per pair.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from retrieval.store import ScoredChunk

# Two chunks whose dense vectors are this close say the same thing: keep the better one.
NEAR_DUPLICATE_COSINE = 0.97
_SPACES = re.compile(r"\s+")


def _text_key(text: str) -> bytes:
    """A short digest of the text, blind to case and spacing (exact-text duplicates)."""
    normalised = _SPACES.sub(" ", text).strip().lower()
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).digest()


class NearDuplicateFilter:
    """Admits chunks best first, refusing one that repeats a kept chunk's text or meaning.

    Example:
        >>> keep = NearDuplicateFilter(capacity=10)
        >>> a = ScoredChunk("a", 0.9, "Mitral valve", dense=(1.0, 0.0))
        >>> b = ScoredChunk("b", 0.8, "mitral  VALVE", dense=(0.0, 1.0))
        >>> c = ScoredChunk("c", 0.7, "other words", dense=(0.999, 0.04))
        >>> [keep.admit(x) for x in (a, b, c)]
        [True, False, False]
    """

    def __init__(self, capacity: int, threshold: float = NEAR_DUPLICATE_COSINE) -> None:
        self.capacity = capacity
        self.threshold = threshold
        self._texts: set[bytes] = set()
        self._vectors: np.ndarray | None = None  # (capacity, d), rows [0, _count) are kept
        self._count = 0

    def admit(self, chunk: ScoredChunk) -> bool:
        """Whether `chunk` is new; if so it is kept (up to `capacity` chunks are compared)."""
        key = _text_key(chunk.text)
        if key in self._texts:
            return False
        vector = None if chunk.dense is None else np.asarray(chunk.dense, dtype=np.float32)
        if self._is_near_kept(vector):
            return False
        self._texts.add(key)
        if vector is not None and self._count < self.capacity:
            if self._vectors is None:
                self._vectors = np.empty((self.capacity, vector.shape[0]), dtype=np.float32)
            self._vectors[self._count] = vector
            self._count += 1
        return True

    def _is_near_kept(self, vector: np.ndarray | None) -> bool:
        """Whether `vector` is within `threshold` cosine of a kept one (one matrix product)."""
        if vector is None or self._vectors is None or not self._count:
            return False
        return float(np.max(self._vectors[: self._count] @ vector)) >= self.threshold


def mmr_order(query: Sequence[float], vectors: np.ndarray, lambda_mult: float, k: int) -> list[int]:
    """Indices of `k` rows of `vectors` chosen by maximal marginal relevance, in order.

    Each step picks the row maximising `lambda * cos(query, row) - (1 - lambda) * max cos(row,
    chosen)` (the first: the most relevant), as langchain_core's `maximal_marginal_relevance`
    does; here each step is one matrix-vector product, O(k * n * d) in all, where LangChain's
    recomputes every similarity per step in a Python loop.
    """
    count = min(k, len(vectors))
    if count <= 0:
        return []
    matrix = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    target = np.asarray(query, dtype=np.float32)
    relevance = matrix @ (target / max(float(np.linalg.norm(target)), 1e-12))
    redundancy = np.full(len(matrix), -np.inf, dtype=np.float32)
    available = np.ones(len(matrix), dtype=bool)
    chosen = [int(np.argmax(relevance))]
    for _ in range(count - 1):
        available[chosen[-1]] = False
        redundancy = np.maximum(redundancy, matrix @ matrix[chosen[-1]])
        score = np.where(
            available, lambda_mult * relevance - (1 - lambda_mult) * redundancy, -np.inf
        )
        chosen.append(int(np.argmax(score)))
    return chosen
