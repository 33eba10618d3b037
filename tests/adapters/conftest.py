"""A small LoRA adapter trained once per test session and dtype on real MedQuAD pairs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters import ModelSpec, placement_for
from adapters.training.lora import TrainingResult, train_adapter
from tests.support.dtypes import SESSION_DTYPE, in_dtype
from tests.support.paths import MODEL_CACHE
from tests.support.training import TINY_OPTIONS, tiny_training_data, write_medquad_pairs


@pytest.fixture(scope="session")
def pairs_file(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_medquad_pairs(shared_data, tmp_path_factory.mktemp("pairs") / "qa.jsonl", 240)


@pytest.fixture(scope="session")
def train_tiny(
    specs: dict[str, ModelSpec],
    shared_data: Path,
    pairs_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], TrainingResult]:
    """Trains the tiny adapter once per dtype (float32, or bf16 autocast) and keeps the result."""
    runs: dict[str, TrainingResult] = {}

    def train(dtype: str) -> TrainingResult:
        if dtype not in runs:
            runs[dtype] = train_adapter(
                specs["minilm"],
                tiny_training_data(pairs_file, shared_data),
                tmp_path_factory.mktemp(f"adapters-{dtype}") / "minilm-tiny",
                dataclasses.replace(TINY_OPTIONS, placement=in_dtype(dtype)),
                cache_dir=MODEL_CACHE,
                show_progress=False,
                command="pytest",
            )
        return runs[dtype]

    return train


@pytest.fixture(scope="session")
def trained(
    train_tiny: Callable[[str], TrainingResult], specs: dict[str, ModelSpec]
) -> TrainingResult:
    """The tiny adapter trained as this host trains by default (bf16 autocast where native)."""
    return train_tiny(placement_for(specs["minilm"], in_dtype(SESSION_DTYPE)).dtype)
