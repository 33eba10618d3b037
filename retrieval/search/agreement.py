"""How much two ranked result lists agree: overlap@k, Jaccard and rank-biased overlap."""

from __future__ import annotations

from collections.abc import Sequence


def overlap_at_k(first: Sequence[str], second: Sequence[str], k: int) -> float:
    """Share of the top k that both lists hold, in [0, 1]."""
    if k <= 0:
        return 0.0
    return len(set(first[:k]) & set(second[:k])) / k


def jaccard(first: Sequence[str], second: Sequence[str]) -> float:
    """|A ∩ B| / |A ∪ B| of the two result sets, in [0, 1] (1.0 for two empty lists)."""
    union = set(first) | set(second)
    return len(set(first) & set(second)) / len(union) if union else 1.0


def rank_biased_overlap(first: Sequence[str], second: Sequence[str], p: float = 0.9) -> float:
    """Extrapolated rank-biased overlap (Webber, Moffat & Zobel 2010, eq. 32), in [0, 1].

    Agreement near the top weighs most; p = 0.9 puts about 86% of the weight on the top 10.
    Hand-written: the PyPI `rbo` package is unmaintained and this is a dozen lines.
    """
    depth = min(len(first), len(second))
    if depth == 0:
        return 1.0 if len(first) == len(second) else 0.0
    seen_first: set[str] = set()
    seen_second: set[str] = set()
    overlap = 0
    weighted = 0.0
    for d in range(1, depth + 1):
        a, b = first[d - 1], second[d - 1]
        if a == b:
            overlap += 1
        else:
            overlap += (a in seen_second) + (b in seen_first)
        seen_first.add(a)
        seen_second.add(b)
        weighted += overlap / d * p**d
    return overlap / depth * p**depth + (1 - p) / p * weighted
