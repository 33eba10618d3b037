"""Teach an encoder a domain: training pairs, LoRA runs, their scores, and registration."""

from __future__ import annotations

from adapters.training.bootstrap import Estimate, mean_ci
from adapters.training.cloze_pairs import cloze_pairs
from adapters.training.lora import TrainingResult, train_adapter
from adapters.training.options import TrainingOptions
from adapters.training.pairs import (
    PairFields,
    TrainingData,
    pair_fingerprint,
    read_pairs,
    training_data,
)
from adapters.training.registry import adapter_spec, register_spec
from adapters.training.separation import Separation, pair_cosines, separation_score
from adapters.training.span_pairs import span_pairs
from adapters.training.text_pair import TextPair

__all__ = [
    "Estimate",
    "PairFields",
    "Separation",
    "TextPair",
    "TrainingData",
    "TrainingOptions",
    "TrainingResult",
    "adapter_spec",
    "cloze_pairs",
    "mean_ci",
    "pair_cosines",
    "pair_fingerprint",
    "read_pairs",
    "register_spec",
    "separation_score",
    "span_pairs",
    "train_adapter",
    "training_data",
]
