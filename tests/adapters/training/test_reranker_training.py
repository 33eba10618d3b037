"""Training the reranker: a small real run learns its groups, and saves what reloads the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open

from adapters import ModelSpec
from adapters.cross_encoder import LAYER_KEY, CrossEncoder
from adapters.errors import AdapterBaseMismatchError, LayerCountError
from adapters.training.reranker.data import medquad_groups, read_medquad
from adapters.training.reranker.group import RerankGroup
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


def _heart_groups(
    shared_data: Path, specs: dict[str, ModelSpec], count: int
) -> tuple[list[RerankGroup], str]:
    """`count` MedQuAD groups about the heart (3 negatives each) and MiniLM's base folder."""
    records = read_medquad(shared_data / "medquad" / "medquad_visible.jsonl")
    heart = [r for r in records if "heart" in r.focus.casefold()][: 25 * count]
    groups = medquad_groups(heart, word_overlap_neighbours, negatives=3, count=count, seed=0)
    return groups, resolve_base(specs["minilm"], cache_dir=MODEL_CACHE, allow_downloads=False)


def test_a_short_run_learns_its_groups_and_reloads_to_the_same_scores(
    tmp_path: Path, shared_data: Path, specs: dict[str, ModelSpec], each_dtype: str
) -> None:
    groups, base = _heart_groups(shared_data, specs, 8)
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


def test_a_shallow_reranker_keeps_its_first_layers_and_refuses_a_base_of_another_depth(
    tmp_path: Path, shared_data: Path, specs: dict[str, ModelSpec]
) -> None:
    groups, base = _heart_groups(shared_data, specs, 4)
    options = RerankerOptions(
        steps=4, groups_per_step=2, negatives=3, max_length=64, layers=2, bf16=False
    )
    train_reranker(base, groups, tmp_path / "shallow", options)
    with safe_open(str(tmp_path / "shallow" / "adapter_model.safetensors"), "pt") as saved:
        names = list(saved.keys())
    assert {m.group(1) for name in names if (m := LAYER_KEY.search(name))} == {"0", "1"}
    shallow = CrossEncoder.load(
        base, tmp_path / "shallow", dtype=torch.float32, max_length=64, name="shallow", layers=2
    )
    assert len(shallow.model.base_model.encoder.layer) == 2
    assert shallow.score(groups[0].query, [groups[0].positive]).shape == (1,)
    with pytest.raises(AdapterBaseMismatchError, match="cover 2 layers and the base keeps 6"):
        CrossEncoder.load(
            base, tmp_path / "shallow", dtype=torch.float32, max_length=64, name="deep"
        )
    with pytest.raises(LayerCountError, match=r"has 6 transformer layers; .* got 9"):
        CrossEncoder.load(
            base, tmp_path / "shallow", dtype=torch.float32, max_length=64, name="x", layers=9
        )
