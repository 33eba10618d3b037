"""Our Encoder as LangChain `Embeddings`, so LangChain components embed as CardioRAG does.

This module and `retrieval.answer.langchain_retriever` are the only ones that import
`langchain_core`; `adapters/__init__` does not import it.

Example:
    >>> from langchain_qdrant import QdrantVectorStore, RetrievalMode
    >>> store = QdrantVectorStore(  # doctest: +SKIP
    ...     client=client,
    ...     collection_name="cardiology__minilm",
    ...     embedding=EncoderEmbeddings(encoder),
    ...     vector_name="dense",
    ...     sparse_vector_name="bm25",
    ...     retrieval_mode=RetrievalMode.DENSE,
    ... )
    >>> store.similarity_search("what do the heart valves do?", k=3)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from langchain_core.embeddings import Embeddings

from adapters.encoder import Encoder

logger = logging.getLogger(__name__)


class EncoderEmbeddings(Embeddings):
    """LangChain embeddings backed by a loaded `Encoder`.

    Documents get the spec's document prefix and queries its query prefix, as in CardioRAG's
    own ingest and search, so vectors match the ones in our collections. Vectors are lists of
    `encoder.dimension` floats, L2-normalised when the spec says so (cosine = dot product).

    Args:
        encoder: A loaded encoder (`adapters.load_encoder(spec, cache_dir=...)`).
        batch_size: Texts per forward pass.

    Example:
        >>> embeddings = EncoderEmbeddings(load_encoder(spec, cache_dir=cache))  # doctest: +SKIP
        >>> len(embeddings.embed_query("syncope work-up"))  # doctest: +SKIP
        384
    """

    def __init__(self, encoder: Encoder, *, batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.encoder = encoder
        self.batch_size = batch_size

    @property
    def dimension(self) -> int:
        """Length of every vector."""
        return self.encoder.dimension

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed passages, with the spec's document prefix.

        Args:
            texts: The passages.

        Returns:
            One vector per passage, in order.
        """
        vectors = self.encoder.encode_documents(list(texts), batch_size=self.batch_size)
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        """Embed a query, with the spec's query prefix.

        Args:
            text: The query.

        Returns:
            Its vector.
        """
        vectors = self.encoder.encode_queries([text], batch_size=self.batch_size)
        return vectors[0].tolist()
