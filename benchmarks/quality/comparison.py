"""One model against another on the same queries or pairs: means, paired differences, intervals.

`adapters eval` uses it to put an adapter beside its base; the difference of two models is
judged by the bootstrap interval of the per-query (or per-pair) differences, which is what
"the adapter beats its base" has to rest on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adapters.training.pairs import TextPair
from adapters.training.separation import separation_score
from benchmarks.quality.beir import read_beir
from benchmarks.quality.evaluation import evaluate_dataset
from benchmarks.quality.retrieval_quality import paired_differences
from benchmarks.report import git_commit
from retrieval import Runtime, SearchMode

HEADLINE = ("nDCG@10", "Recall@10", "MRR@10")


def compare_on_dataset(
    model: str,
    against: str,
    dataset: Path,
    runtime: Runtime,
    *,
    mode: SearchMode = SearchMode.DENSE,
    show_progress: bool = False,
    seed: int = 0,
) -> dict[str, Any]:
    """nDCG@10, Recall@10 and MRR@10 of both models, with the interval of their difference."""
    beir = read_beir(dataset)
    evaluated = evaluate_dataset(
        beir, [against, model], [mode], runtime, show_progress=show_progress
    )
    ours = evaluated.results[model][str(mode)]
    theirs = evaluated.results[against][str(mode)]
    differences = paired_differences(ours, theirs, HEADLINE, seed=seed)
    metrics = {
        metric: {
            "model": ours.metrics[metric],
            "against": theirs.metrics[metric],
            "difference": differences[metric],
        }
        for metric in HEADLINE
    }
    return {
        "dataset": beir.name,
        "queries": len(beir.queries),
        "mode": str(mode),
        "model": model,
        "against": against,
        "commit": git_commit()[0],
        "metrics": metrics,
    }


def compare_separation(
    model: str, against: str, pairs: Sequence[TextPair], runtime: Runtime, *, seed: int = 0
) -> dict[str, Any]:
    """The separation score of both models on the same pairs (and the same different pairs)."""
    scores = {}
    for model_id in (against, model):
        encoder = runtime.encoder(model_id)
        scores[model_id] = separation_score(
            encoder.encode_queries, encoder.encode_documents, pairs, seed=seed
        ).as_dict()
    return {"pairs": len(pairs), "model": model, "against": against, "scores": scores}
