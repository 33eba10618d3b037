"""The speed benchmark's real points (benchmarks.speed.real_points) embed what ingest embeds:
each MedQuAD chunk behind its context header, with BM25 over the same text ingest indexes."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from adapters import Encoder
from benchmarks.speed.real_points import filled_points, real_points, speed_chunking
from ingest.points import PointBuilder, sparse_text, sparse_vectors
from retrieval.store import Bm25Encoder


def test_real_points_embed_ingests_dense_text_once_then_come_from_the_cache(
    tmp_path: Path, shared_data: Path, minilm: Encoder
) -> None:
    medquad = tmp_path / "medquad.jsonl"
    with (shared_data / "medquad" / "medquad_visible.jsonl").open(encoding="utf-8") as lines:
        medquad.write_text("".join(islice(lines, 3)), encoding="utf-8")
    first_question = json.loads(medquad.read_text().splitlines()[0])["question"]

    real = real_points(medquad, minilm, 6, tmp_path / "cache", chunk_tokens=48, show_progress=False)

    assert len(real.chunks) == 6 and not real.from_cache
    builder = PointBuilder(minilm, speed_chunking(minilm, 48))
    texts = builder.dense_texts(real.chunks)
    assert all(text.startswith(f"{first_question}\n") for text in texts)
    assert len(set(texts)) == len(texts)
    assert real.dense == pytest.approx(minilm.encode_documents(texts), abs=1e-5)
    assert real_points(
        medquad, minilm, 6, tmp_path / "cache", chunk_tokens=48, show_progress=False
    ).from_cache
    points = list(filled_points(real, 8, seed=1))
    assert [p.text for p in points[:6]] == real.texts
    assert points[0].sparse == sparse_vectors(real.chunks[:1], Bm25Encoder())[0]
    assert sparse_text(real.chunks[0]).startswith(f"{first_question}\n")
    assert np.linalg.norm(points[7].dense) == pytest.approx(1.0)
