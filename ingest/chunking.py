"""Token-aware chunking with langchain-text-splitters over the model's own tokenizer.

Chunks never cross sections. A corpus is chunked once, for all its models, so the same chunk
has the same id in every model's collection and side-by-side comparison joins on ids.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ingest.documents import Document
from retrieval.catalog import ChunkRecord

if TYPE_CHECKING:
    from collections.abc import Callable

    from langchain_text_splitters import TextSplitter

CHUNK_NAMESPACE = uuid.UUID("6f1c3f5e-7a4b-5c0e-9d43-2b8f0c1a9e77")
# Special tokens ([CLS], [SEP]) that every encoder adds around a chunk.
SPECIAL_TOKENS = 2


class ChunkingSpec(BaseModel):
    """How a corpus is cut: sizes in tokens of the `tokenizer` model's tokenizer.

    Example:
        >>> spec = ChunkingSpec(tokenizer="minilm", chunk_tokens=254, overlap_tokens=32)
        >>> len(spec.key())
        16
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    tokenizer: str = Field(description="Model id whose tokenizer counts the tokens.")
    chunk_tokens: int = Field(ge=16, description="Most tokens in a chunk, special ones excluded.")
    overlap_tokens: int = Field(ge=0, description="Tokens shared by neighbouring chunks.")
    splitter: str = "recursive-character-v1"

    def key(self) -> str:
        """A short hash of the settings; part of every chunk id."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


def budget_tokens(max_seq_length: int, prefix_tokens: int) -> int:
    """Chunk tokens that fit a model: its max length less special and prefix tokens."""
    return max_seq_length - SPECIAL_TOKENS - prefix_tokens


def make_splitter(count_tokens: Callable[[str], int], spec: ChunkingSpec) -> TextSplitter:
    """A recursive splitter (paragraphs, lines, words) that measures in the model's tokens.

    `count_tokens` is the model's own token counter (`Encoder.count_tokens`); langchain's
    `from_huggingface_tokenizer` does the same but makes the tokenizer warn on every long text.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        length_function=count_tokens,
        chunk_size=spec.chunk_tokens,
        chunk_overlap=min(spec.overlap_tokens, spec.chunk_tokens // 2),
        add_start_index=True,
    )


def chunk_id(corpus: str, document: Document, index: int, spec: ChunkingSpec) -> str:
    """UUID5 of (corpus, document id and version, chunk index, chunking settings)."""
    name = f"{corpus}\x1f{document.doc_id}\x1f{document.sha256}\x1f{index}\x1f{spec.key()}"
    return str(uuid.uuid5(CHUNK_NAMESPACE, name))


def chunk_document(
    corpus: str, document: Document, splitter: TextSplitter, spec: ChunkingSpec
) -> tuple[ChunkRecord, ...]:
    """A document's chunks, section by section, with pages and character offsets."""
    chunks: list[ChunkRecord] = []
    for section in document.sections:
        cursor = 0
        for text in splitter.split_text(section.text):
            # Not langchain's `start_index`: it steps back by the overlap in tokens from a
            # position in characters, so it misses a chunk that overlaps its neighbour by more
            # characters than that and gives -1. Chunks are verbatim and in order, so search
            # from just after the previous chunk's start.
            start = section.text.find(text, cursor)
            cursor = start + 1
            end = start + len(text)
            index = len(chunks)
            chunks.append(
                ChunkRecord(
                    chunk_id=chunk_id(corpus, document, index, spec),
                    chunk_index=index,
                    text=text,
                    section=section.title,
                    page_start=section.page_at(start),
                    page_end=section.page_at(max(end - 1, start)),
                    char_start=section.offset + start,
                    char_end=section.offset + end,
                )
            )
    return tuple(chunks)
