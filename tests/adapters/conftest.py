"""A small LoRA adapter trained once per test session on real MedQuAD pairs (about a minute)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from pathlib import Path

import pytest

from adapters import ModelSpec, placement_for
from adapters.pairs import PairFields, TrainingData, training_data
from adapters.training import TrainingOptions, TrainingResult, train_adapter
from tests.conftest import MODEL_CACHE, dtype_forced

QA = PairFields("question", "answer")
# A high rate and short texts: a few steps must move the embeddings measurably.
TINY_OPTIONS = TrainingOptions(
    batch_size=16, max_seq_length=64, eval_steps=2, learning_rate=1e-3, epochs=1
)


def write_medquad_pairs(shared_data: Path, path: Path, count: int) -> Path:
    """The first `count` real MedQuAD question-answer records, as a pairs file."""
    with (shared_data / "medquad" / "medquad_visible.jsonl").open(encoding="utf-8") as lines:
        path.write_text("".join(islice(lines, count)), encoding="utf-8")
    return path


def tiny_training_data(pairs_file: Path, shared_data: Path) -> TrainingData:
    return training_data(
        [pairs_file],
        fields=QA,
        exclude=[shared_data / "eval" / "medquad_cardio_dev" / "queries.jsonl"],
        heldout_fraction=0.25,
        max_pairs=64,
        seed=1,
    )


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
            with dtype_forced(dtype):
                runs[dtype] = train_adapter(
                    specs["minilm"],
                    tiny_training_data(pairs_file, shared_data),
                    tmp_path_factory.mktemp(f"adapters-{dtype}") / "minilm-tiny",
                    TINY_OPTIONS,
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
    return train_tiny(placement_for(specs["minilm"]).dtype)
