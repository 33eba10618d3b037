"""BM25 sparse vectors, computed in-process by Qdrant's own BM25 embedder.

Documents carry term-frequency weights; the collection's IDF modifier supplies the
inverse document frequency at query time, so the vectors stay valid as the corpus grows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[\w-]+")

# Chunks hold at most ~254 word pieces, about 150 words; BM25 normalises lengths against this.
BM25_AVERAGE_LENGTH = 150.0


@dataclass(frozen=True, slots=True)
class SparseVector:
    """Non-zero dimensions (hashed terms) and their weights."""

    indices: list[int]
    values: list[float]


class Bm25Encoder:
    """English BM25 (lower-casing, stop words, Snowball stemming) with one config everywhere."""

    def __init__(self) -> None:
        from qdrant_edge import Bm25, Bm25Config

        self._model = Bm25(Bm25Config(language="english", avg_len=BM25_AVERAGE_LENGTH))

    def embed_documents(self, texts: Sequence[str]) -> list[SparseVector]:
        """Term-frequency weights of each passage."""
        out = []
        for text in texts:
            vector = self._model.embed_document(text)
            out.append(SparseVector(list(vector.indices), list(vector.values)))
        return out

    def embed_query(self, text: str, extra: str = "", extra_weight: float = 1.0) -> SparseVector:
        """Each distinct query term with weight 1 (IDF comes from the collection).

        Terms of `extra` that the text lacks are added at `extra_weight` (expansions that
        should count less than the words typed).
        """
        vector = self._model.embed_query(text)
        weights = dict(zip(vector.indices, vector.values, strict=True))
        if extra:
            added = self._model.embed_query(extra)
            for index, value in zip(added.indices, added.values, strict=True):
                weights.setdefault(index, value * extra_weight)
        return SparseVector(list(weights), list(weights.values()))

    def matched_terms(self, query: str, text: str) -> tuple[str, ...]:
        """The query's words that BM25 matches in `text` (after stemming and stop words)."""
        indexed = set(self._model.embed_document(text).indices)
        matched = []
        for word in dict.fromkeys(_WORD.findall(query)):
            terms = self._model.embed_query(word).indices
            if terms and set(terms) <= indexed:
                matched.append(word)
        return tuple(matched)
