"""The separation score of the cardiology LoRA study: how far apart similar and different pairs sit.

separation = mean cosine of similar pairs - mean cosine of different pairs. Similar pairs are
(query, its passage); different pairs are (query, the passage of another pair), drawn by a
seeded permutation with no fixed point, so every query is paired with someone else's passage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from adapters.training.bootstrap import Estimate, mean_ci
from adapters.training.pairs import TextPair

EncodeFn = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class Separation:
    """Mean cosines of similar and different pairs, and their difference with a 95% interval."""

    similar: float
    different: float
    separation: Estimate
    pairs: int

    def as_dict(self) -> dict[str, object]:
        """For JSON reports and model cards."""
        return {
            "similar": round(self.similar, 4),
            "different": round(self.different, 4),
            "separation": self.separation.as_dict(),
            "pairs": self.pairs,
        }


def _other_index(count: int, seed: int) -> np.ndarray:
    """For each i, an index j != i: a shuffled cycle, so no pair is matched with itself."""
    order = np.random.default_rng(seed).permutation(count)
    partner = np.empty(count, dtype=np.int64)
    partner[order] = np.roll(order, -1)
    return partner


def pair_cosines(
    encode_queries: EncodeFn,
    encode_passages: EncodeFn,
    pairs: Sequence[TextPair],
    *,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: cos(query, its passage) and cos(query, another pair's passage)."""
    if len(pairs) < 2:
        raise ValueError("the separation score needs at least two pairs")
    queries = np.asarray(encode_queries([pair.query for pair in pairs]), dtype=np.float64)
    passages = np.asarray(encode_passages([pair.positive for pair in pairs]), dtype=np.float64)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    passages /= np.linalg.norm(passages, axis=1, keepdims=True)
    similar = np.einsum("ij,ij->i", queries, passages)
    different = np.einsum("ij,ij->i", queries, passages[_other_index(len(pairs), seed)])
    return similar, different


def separation_score(
    encode_queries: EncodeFn,
    encode_passages: EncodeFn,
    pairs: Sequence[TextPair],
    *,
    seed: int = 0,
) -> Separation:
    """The study's separation score over `pairs`, with a bootstrap interval over pairs.

    Queries and passages get their own encoders, so that models with query and document
    prefixes are scored as they search.
    """
    similar, different = pair_cosines(encode_queries, encode_passages, pairs, seed=seed)
    return Separation(
        similar=float(similar.mean()),
        different=float(different.mean()),
        separation=mean_ci(similar - different, seed=seed),
        pairs=len(pairs),
    )
