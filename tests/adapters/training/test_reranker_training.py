"""Training the reranker: a small real run learns its groups, and saves what reloads the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from adapters import ModelSpec
from adapters.cross_encoder import CrossEncoder
from adapters.training.reranker.data import medquad_groups, read_medquad
from adapters.training.reranker.training import (
    RerankerOptions,
    group_metrics,
    score_groups,
    train_reranker,
)
from adapters.weights import resolve_base
from tests.adapters.training.test_reranker_data import word_overlap_neighbours
from tests.support.paths import MODEL_CACHE

pytestmark = pytest.mark.numerics


def test_a_short_run_learns_its_groups_and_reloads_to_the_same_scores(
    tmp_path: Path, shared_data: Path, specs: dict[str, ModelSpec], each_dtype: str
) -> None:
    records = read_medquad(shared_data / "medquad" / "medquad_visible.jsonl")
    heart = [r for r in records if "heart" in r.focus.casefold()][:200]
    groups = medquad_groups(heart, word_overlap_neighbours, negatives=3, count=8, seed=0)
    base = resolve_base(specs["minilm"], cache_dir=MODEL_CACHE, allow_downloads=False)
    options = RerankerOptions(
        steps=40, groups_per_step=2, negatives=3, max_length=96, bf16=each_dtype == "bfloat16"
    )
    dtype = getattr(torch, each_dtype)
    untrained = CrossEncoder.load(base, None, dtype=dtype, max_length=96, name="untrained")
    before = group_metrics(score_groups(untrained, groups))
    record = train_reranker(base, groups, tmp_path / "reranker", options)
    assert record["loss_last"] < record["loss_first"]
    trained = CrossEncoder.load(
        base, tmp_path / "reranker", dtype=dtype, max_length=96, name="trained"
    )
    after = score_groups(trained, groups)
    assert group_metrics(after)["mrr"] > before["mrr"]
    again = CrossEncoder.load(base, tmp_path / "reranker", dtype=dtype, max_length=96, name="again")
    assert np.allclose(score_groups(again, groups[:2])[0], after[0], atol=1e-3)
    weights = tmp_path / "reranker" / "adapter_model.safetensors"
    assert weights.stat().st_size < 8_000_000  # an adapter and a head, not a whole model
    with safe_open(str(weights), "pt") as saved:
        names = list(saved.keys())
    assert any("classifier" in name for name in names)  # the head is saved with the adapter
