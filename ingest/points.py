"""What a chunk is stored as for one model: a dense vector and a BM25 vector, each over its text.

The dense vector embeds the chunk behind the corpus's context header (`ContextTemplate`); BM25
indexes the document's title and section before the chunk, because a question names its topic
where the answer often does not (docs/benchmarks.md). The payload keeps the chunk alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters import Encoder
from adapters.context_template import ContextTemplate
from ingest.chunking import ChunkingSpec
from retrieval.catalog import PendingChunk
from retrieval.store import Bm25Encoder, SparseVector, StoredPoint


def sparse_text(chunk: PendingChunk) -> str:
    """What BM25 indexes: the document's title and section (once each), then the chunk."""
    meta = chunk.metadata
    heading = [str(meta[key]) for key in ("title", "section") if meta.get(key)]
    return "\n".join([*dict.fromkeys(heading), chunk.text])


def sparse_vectors(chunks: Sequence[PendingChunk], bm25: Bm25Encoder) -> list[SparseVector]:
    """BM25 term weights of each chunk's `sparse_text`."""
    return bm25.embed_documents([sparse_text(c) for c in chunks])


class PointBuilder:
    """Turns a corpus's chunks into the points one model's collection stores.

    Ingest builds the points of pending chunks with it; the speed benchmark embeds the same
    texts, so its figures measure what ingest stores.
    """

    def __init__(
        self,
        encoder: Encoder,
        chunking: ChunkingSpec,
        bm25: Bm25Encoder | None = None,
        *,
        batch_size: int = 32,
    ) -> None:
        self.encoder = encoder
        self.chunking = chunking
        self.template = ContextTemplate(chunking.context_template)
        self.bm25 = bm25 or Bm25Encoder()
        self.batch_size = batch_size

    def dense_texts(self, chunks: Sequence[PendingChunk]) -> list[str]:
        """What the dense vectors embed: each chunk behind its header, cut as at chunking."""
        return [
            self.template.dense_text(
                c.text, c.metadata, self.chunking.header_tokens, self.encoder.count_tokens
            )
            for c in chunks
        ]

    def points(self, chunks: Sequence[PendingChunk]) -> list[StoredPoint]:
        """The chunks as stored: id, both vectors, the chunk's own text and its payload."""
        dense = self.encoder.encode_documents(self.dense_texts(chunks), batch_size=self.batch_size)
        sparse = sparse_vectors(chunks, self.bm25)
        return [
            StoredPoint(c.chunk_id, d, s, c.text, c.metadata)
            for c, d, s in zip(chunks, dense, sparse, strict=True)
        ]
