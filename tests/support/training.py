"""The tiny LoRA adapter the tests train: real MedQuAD pairs, a few steps, MiniLM."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from adapters.training.options import TrainingOptions
from adapters.training.pairs import PairFields, TrainingData, training_data

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
