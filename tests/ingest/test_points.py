"""What a chunk is stored as (ingest.points): the dense text behind its header, BM25 over title,
section and chunk, and the payload the chunk alone. Real MiniLM."""

from __future__ import annotations

import numpy as np
import pytest

from adapters import Encoder
from adapters.context_template import DEFAULT_TEMPLATE
from ingest.chunking import ChunkingSpec
from ingest.points import PointBuilder, sparse_text, sparse_vectors
from retrieval.catalog import PendingChunk
from retrieval.store import Bm25Encoder

TEXT = "The first heart sound is made by the atrioventricular valves closing."
CHUNK = PendingChunk(
    "c1", TEXT, {"title": "Heart Sounds", "section": "Heart Sounds", "chapter": "19"}
)


def _chunking(template: str) -> ChunkingSpec:
    return ChunkingSpec(
        tokenizer="minilm", chunk_tokens=254, overlap_tokens=32, context_template=template
    )


def test_sparse_text_puts_title_and_section_once_before_the_chunk() -> None:
    assert sparse_text(CHUNK) == f"Heart Sounds\n{TEXT}"
    other = PendingChunk("c2", TEXT, {"title": "Cardiac Cycle", "section": None})
    assert sparse_text(other) == f"Cardiac Cycle\n{TEXT}"
    [vector] = sparse_vectors([CHUNK], Bm25Encoder())
    assert vector == Bm25Encoder().embed_documents([sparse_text(CHUNK)])[0]


def test_dense_text_is_the_header_then_the_chunk_or_the_chunk_alone(minilm: Encoder) -> None:
    assert PointBuilder(minilm, _chunking(DEFAULT_TEMPLATE)).dense_texts([CHUNK]) == [
        f"Heart Sounds\nHeart Sounds\n{TEXT}"
    ]
    assert PointBuilder(minilm, _chunking("")).dense_texts([CHUNK]) == [TEXT]


def test_points_embed_the_dense_text_and_keep_the_chunk_as_payload(minilm: Encoder) -> None:
    builder = PointBuilder(minilm, _chunking("{chapter}\n{text}"))
    [point] = builder.points([CHUNK])
    assert (point.chunk_id, point.text, point.metadata) == ("c1", TEXT, CHUNK.metadata)
    expected = minilm.encode_documents([f"19\n{TEXT}"])[0]
    assert np.asarray(point.dense) == pytest.approx(expected, abs=1e-5)
    assert point.sparse == sparse_vectors([CHUNK], Bm25Encoder())[0]
