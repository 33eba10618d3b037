"""Varied hits: drop near-duplicate chunks, and re-rank by maximal marginal relevance.

Both work on the dense vectors the store returns with the hits (Qdrant keeps them normalised
for cosine collections), never re-embedding a chunk, and both are bounded: a candidate is
compared with the hits kept so far (at most `capacity`, i.e. offset + k) in matrix products,
so a request costs O(candidates * kept * d) multiply-adds in BLAS, not a Python loop per
pair (timings at deep k: docs/limits.md).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from retrieval.store.interface import ScoredChunk

# Two chunks whose dense vectors are this close may say the same thing ...
NEAR_DUPLICATE_COSINE = 0.97
# ... and do when they share this much of their words (Jaccard of the word sets). Pieces of a
# table (caption and header row repeated) pass the cosine, and so do the rows of two tables
# on the same drugs, which share up to 0.71 of their words (ehag110.pdf Tables 1 and 2, the
# SGLT2i rows: a hazard ratio, and "safety not reported"): neither is a copy of the other.
NEAR_DUPLICATE_WORDS = 0.9
_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"\w+")


def _words(text: str) -> frozenset[str]:
    """The distinct words of a text, lower-cased."""
    return frozenset(_WORDS.findall(text.lower()))


def _same_words(a: frozenset[str], b: frozenset[str], share: float) -> bool:
    """Whether two word sets overlap by `share` of their union (Jaccard similarity)."""
    return len(a & b) >= share * max(len(a | b), 1)


def _text_key(text: str) -> bytes:
    """A short digest of the text, blind to case and spacing (exact-text duplicates)."""
    normalised = _SPACES.sub(" ", text).strip().lower()
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).digest()


class NearDuplicateFilter:
    """Admits chunks best first, refusing one that repeats a kept chunk's text or meaning.

    A repeat has the same text (blind to case and spacing), or a dense vector as close as
    `threshold` and words that overlap by `share` (Jaccard). Chunks come in pages (as the
    store returns them); each page is compared with the kept chunks and with itself in one
    matrix product (BLAS), and only the few pairs that close are compared word by word.

    Example:
        >>> keep = NearDuplicateFilter(capacity=10)
        >>> a = ScoredChunk("a", 0.9, "Mitral valve repair", dense=(1.0, 0.0))
        >>> b = ScoredChunk("b", 0.8, "mitral  VALVE repair", dense=(0.0, 1.0))
        >>> c = ScoredChunk("c", 0.7, "Mitral valve repair.", dense=(0.999, 0.04))
        >>> d = ScoredChunk("d", 0.6, "Tricuspid valve repair", dense=(0.999, 0.04))
        >>> [x.chunk_id for x in keep.admit([a, b, c, d])]
        ['a', 'd']
    """

    def __init__(
        self,
        capacity: int,
        threshold: float = NEAR_DUPLICATE_COSINE,
        share: float = NEAR_DUPLICATE_WORDS,
    ) -> None:
        self.capacity = capacity
        self.threshold = threshold
        self.share = share
        self._texts: set[bytes] = set()
        self._vectors: np.ndarray | None = None  # the kept chunks' rows; `capacity` at most
        self._words: list[frozenset[str]] = []  # the kept chunks' words, in the same order

    def admit(self, page: Sequence[ScoredChunk]) -> list[ScoredChunk]:
        """Keep and return the chunks of `page` (best first) that are new.

        New: repeating neither a kept chunk nor an earlier one of the page; up to `capacity`
        chunks are kept in all.
        """
        if not page:
            return []
        vectors = _matrix(page)
        known = vectors if self._vectors is None else np.vstack([self._vectors, vectors])
        close = vectors @ known.T >= self.threshold  # columns: kept chunks, then the page's
        words = self._words + [_words(chunk.text) for chunk in page]
        compared = np.zeros(len(known), dtype=bool)  # kept so far, page rows as admitted
        compared[: len(self._words)] = True
        admitted: list[int] = []
        for i, chunk in enumerate(page):
            if len(self._words) + len(admitted) == self.capacity:
                break
            key = _text_key(chunk.text)
            row = len(self._words) + i
            if key in self._texts or any(
                _same_words(words[row], words[j], self.share)
                for j in np.flatnonzero(close[i] & compared)
            ):
                continue
            self._texts.add(key)
            compared[row] = True
            admitted.append(i)
        self._vectors = known[compared]
        self._words = [w for w, kept in zip(words, compared, strict=True) if kept]
        return [page[i] for i in admitted]


def _matrix(chunks: Sequence[ScoredChunk]) -> np.ndarray:
    """The chunks' dense vectors as rows; a chunk without one gets zeros (near nothing)."""
    width = next((len(c.dense) for c in chunks if c.dense is not None), 0)
    return np.asarray(
        [c.dense if c.dense is not None else (0.0,) * width for c in chunks], dtype=np.float32
    )


def mmr_order(query: Sequence[float], vectors: np.ndarray, lambda_mult: float, k: int) -> list[int]:
    """Indices of `k` rows of `vectors` chosen by maximal marginal relevance, in order.

    Each step picks the row maximising `lambda * cos(query, row) - (1 - lambda) * max cos(row,
    chosen)` (the first: the most relevant), as langchain_core's `maximal_marginal_relevance`
    does. All pairwise cosines come from one matrix product, so a step is a row lookup;
    LangChain recomputes the similarities at every step in a Python loop, which does not
    scale to deep k (docs/limits.md).
    """
    count = min(k, len(vectors))
    if count <= 0:
        return []
    matrix = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    target = np.asarray(query, dtype=np.float32)
    relevance = matrix @ (target / max(float(np.linalg.norm(target)), 1e-12))
    cosines = matrix @ matrix.T
    redundancy = np.full(len(matrix), -np.inf, dtype=np.float32)
    available = np.ones(len(matrix), dtype=bool)
    chosen = [int(np.argmax(relevance))]
    for _ in range(count - 1):
        available[chosen[-1]] = False
        np.maximum(redundancy, cosines[chosen[-1]], out=redundancy)
        score = np.where(
            available, lambda_mult * relevance - (1 - lambda_mult) * redundancy, -np.inf
        )
        chosen.append(int(np.argmax(score)))
    return chosen
