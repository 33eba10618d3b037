"""Train the cross-encoder reranker: groups with hard negatives, a listwise LoRA run, its recipe."""

from __future__ import annotations

from adapters.training.reranker.data import RerankData, build_rerank_data, textbook_windows
from adapters.training.reranker.group import RerankGroup
from adapters.training.reranker.recipe import NEIGHBOUR_TOKENS, run_recipe
from adapters.training.reranker.training import RerankerOptions, train_reranker

__all__ = [
    "NEIGHBOUR_TOKENS",
    "RerankData",
    "RerankGroup",
    "RerankerOptions",
    "build_rerank_data",
    "run_recipe",
    "textbook_windows",
    "train_reranker",
]
