"""Search results as the rest of CardioRAG sees them, with citations a clinician can follow."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from retrieval.store.interface import ScoredChunk


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked chunk; higher scores are better.

    The score's meaning depends on the mode: cosine similarity in [-1, 1] (dense), a BM25
    score >= 0 (sparse), or a fused score (hybrid: RRF or DBSF). Never compare across modes.
    """

    chunk_id: str
    doc_id: str
    rank: int
    score: float
    text: str
    title: str
    source: str
    section: str | None
    page_start: int | None
    page_end: int | None
    doc_type: str
    metadata: dict[str, Any] = field(default_factory=dict)
    matched_terms: tuple[str, ...] = ()
    # Set when a reranker reordered the hits: `rank` and `score` are then the blended ones.
    first_rank: int | None = None
    first_score: float | None = None
    rerank_score: float | None = None  # the cross-encoder's logit (higher: more likely answers)

    @property
    def ocr(self) -> bool:
        """Whether the text was read by OCR from a scanned page (it may hold misread words)."""
        return bool(self.metadata.get("ocr"))

    @property
    def part(self) -> str:
        """The document part: body, references, front or back (chunks without one: body)."""
        return str(self.metadata.get("part") or "body")

    @property
    def citation(self) -> str:
        """`ehag110.pdf, p. 3` for paged sources; `title - section` otherwise."""
        if self.page_start is not None:
            pages = (
                f"p. {self.page_start}"
                if self.page_end in (None, self.page_start)
                else f"pp. {self.page_start}-{self.page_end}"
            )
            return f"{PurePath(self.source).name}, {pages}"
        if self.section and self.section != self.title:
            return f"{self.title} - {self.section}"
        return self.title

    def record(self) -> dict[str, Any]:
        """The hit as JSON: rank, score, citation and where it comes from, and its whole text."""
        reranked = (
            {
                "first_rank": self.first_rank,
                "first_score": round(self.first_score or 0.0, 6),
                "rerank_score": round(self.rerank_score or 0.0, 6),
            }
            if self.first_rank is not None
            else {}
        )
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            **reranked,
            "citation": self.citation,
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "doc_type": self.doc_type,
            "part": self.part,
            "ocr": self.ocr,
            "doc_id": self.doc_id,
            "chunk_id": self.chunk_id,
            "text": self.text,
        }

    @classmethod
    def from_scored(
        cls, rank: int, scored: ScoredChunk, matched_terms: tuple[str, ...] = ()
    ) -> Hit:
        """Build a hit from a store result and its payload metadata."""
        meta = scored.metadata
        return cls(
            chunk_id=scored.chunk_id,
            doc_id=str(meta.get("doc_id", "")),
            rank=rank,
            score=scored.score,
            text=scored.text,
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            section=meta.get("section"),
            page_start=meta.get("page_start"),
            page_end=meta.get("page_end"),
            doc_type=str(meta.get("doc_type", "")),
            metadata=meta,
            matched_terms=matched_terms,
        )
