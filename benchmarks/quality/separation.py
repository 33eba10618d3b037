"""`benchmarks separation`: the cardiology LoRA study's separation score of several models.

Separation = mean cosine of similar pairs (a query and its passage) minus mean cosine of
different pairs (the query and another pair's passage), as Young & Matthews (2025) define it.
Every model sees the same pairs and the same "different" partners, so per-pair differences
between models are paired: each model after the first gets the interval of its difference
and a paired permutation p-value.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from adapters.training.bootstrap import mean_ci
from adapters.training.pairs import TextPair
from adapters.training.separation import pair_cosines
from benchmarks.quality.retrieval_quality import paired_p_value
from benchmarks.report import (
    RunOutput,
    bar_plot_with_intervals,
    markdown_table,
    model_provenance,
    provenance,
)
from retrieval import Runtime


def sample_pairs(pairs: Sequence[TextPair], max_pairs: int | None, seed: int) -> list[TextPair]:
    """At most `max_pairs` pairs drawn with `seed`, kept in file order.

    Encoding every pair of a large file with a base-size model takes long, and a few thousand
    pairs already give tight intervals.
    """
    if max_pairs is None or len(pairs) <= max_pairs:
        return list(pairs)
    chosen = sorted(random.Random(seed).sample(range(len(pairs)), max_pairs))
    return [pairs[index] for index in chosen]


def run_separation(
    pairs: Sequence[TextPair],
    model_ids: Sequence[str],
    runtime: Runtime,
    *,
    name: str,
    dataset_hash: str,
    seed: int = 0,
) -> RunOutput:
    """Each model's separation with its interval, and its paired difference from the first."""
    started = provenance()
    margins: dict[str, np.ndarray] = {}
    scores: dict[str, dict[str, Any]] = {}
    for model_id in model_ids:
        encoder = runtime.encoder(model_id)
        similar, different = pair_cosines(
            encoder.encode_queries, encoder.encode_documents, pairs, seed=seed
        )
        margins[model_id] = similar - different
        scores[model_id] = {
            "similar": round(float(similar.mean()), 4),
            "different": round(float(different.mean()), 4),
            "separation": mean_ci(margins[model_id], seed=seed).as_dict(),
        }
    first = model_ids[0]
    versus_first = {
        model_id: {
            **mean_ci(margins[model_id] - margins[first], seed=seed).as_dict(),
            "p_value": round(paired_p_value(margins[model_id], margins[first], seed=seed), 4),
        }
        for model_id in model_ids[1:]
    }
    payload = {
        "pairs_file": name,
        "dataset_hash": dataset_hash,
        "pairs": len(pairs),
        "seed": seed,
        "models": model_provenance(runtime.specs, model_ids),
        **started,
        "results": scores,
        "compared_with": first,
        "versus_first": versus_first,
    }
    return RunOutput(payload, separation_markdown(payload), separation_figures(payload))


def separation_markdown(payload: dict[str, Any]) -> str:
    """The study's table: similar, different, separation [95% CI], difference from the first."""
    rows = []
    for model_id, score in payload["results"].items():
        separation = score["separation"]
        compared = payload["versus_first"].get(model_id)
        difference = (
            f"{compared['mean']:+.3f} [{compared['low']:+.3f}, {compared['high']:+.3f}] "
            f"(p={compared['p_value']:.3g})"
            if compared
            else "-"
        )
        rows.append(
            [
                model_id,
                f"{score['similar']:.3f}",
                f"{score['different']:.3f}",
                f"{separation['mean']:.3f} [{separation['low']:.3f}, {separation['high']:.3f}]",
                difference,
            ]
        )
    header = [
        "model",
        "similar",
        "different",
        "separation [95% CI]",
        f"vs {payload['compared_with']}",
    ]
    return "\n".join(
        [
            f"## Separation on {payload['pairs']} pairs of {payload['pairs_file']}",
            "",
            markdown_table(header, rows),
        ]
    )


def separation_figures(payload: dict[str, Any]) -> dict[str, Any]:
    """One bar per model with its 95% error bar."""
    series = {
        model_id: [
            (
                score["separation"]["mean"],
                score["separation"]["low"],
                score["separation"]["high"],
            )
        ]
        for model_id, score in payload["results"].items()
    }
    return {
        "separation": bar_plot_with_intervals(
            f"Separation score ({payload['pairs']} pairs)", "separation", ["separation"], series
        )
    }
