"""Which hybrid fusion to default to: DBSF against RRF on the same queries, per model.

`cardiorag bench quality` tests models against each other; this compares the two fusions of
one model's hybrid search, paired by query, on a set whose corpus `bench quality` ingested:

    cardiorag bench fusion --dataset openstax_glossary -m minilm -m mpnet \
        --data-dir .cardiorag/bench2 --json benchmarks/results/fusion_openstax_glossary.json
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from benchmarks.quality.beir import BeirSet
from benchmarks.quality.evaluation import corpus_for, run_mode
from benchmarks.quality.retrieval_quality import paired_differences
from retrieval import FusionMethod, Runtime, SearchMode

METRICS = ("nDCG@10", "Recall@10", "MRR@10")


@dataclass(frozen=True, slots=True)
class FusionComparison:
    """Per model: each fusion's mean metrics, and DBSF minus RRF with intervals and p-values."""

    beir: BeirSet
    fusions: tuple[str, ...]
    means: dict[str, dict[str, dict[str, float]]]
    differences: dict[str, dict[str, dict[str, float]]]

    def table(self) -> Table:
        """Hybrid nDCG@10 per fusion, and the paired difference, per model."""
        table = Table(
            title=f"{self.beir.name}: hybrid nDCG@10, DBSF against {self.fusions[1].upper()}"
        )
        for column in ("model", *self.fusions, "DBSF - RRF [95% CI]", "p"):
            table.add_column(column, overflow="fold")
        for model_id, diff in ((m, d["nDCG@10"]) for m, d in self.differences.items()):
            table.add_row(
                model_id,
                *(f"{self.means[model_id][name]['nDCG@10']:.4f}" for name in self.fusions),
                f"{diff['mean']:+.4f} [{diff['low']:+.4f}, {diff['high']:+.4f}]",
                f"{diff['p_value']:.4f}",
            )
        return table

    def payload(self) -> dict[str, Any]:
        """The comparison as a JSON document."""
        return {
            "dataset": self.beir.name,
            "queries": len(self.beir.queries),
            "results": self.means,
            "dbsf_minus_rrf": self.differences,
        }


def compare_fusions(
    beir: BeirSet, model_ids: Sequence[str], runtime: Runtime, rrf_k: int
) -> FusionComparison:
    """Search every query of `beir` in hybrid mode with each fusion, per model, and pair them."""
    fusions: dict[str, dict[str, Any]] = {  # the first stage's fusions alone: not reranked
        "dbsf": {"fusion": FusionMethod.DBSF, "rerank": False},
        f"rrf k={rrf_k}": {"fusion": FusionMethod.RRF, "rrf_k": rrf_k, "rerank": False},
    }
    means: dict[str, dict[str, dict[str, float]]] = {}
    differences: dict[str, dict[str, dict[str, float]]] = {}
    for model_id in model_ids:
        retriever = runtime.retriever(corpus_for(beir.name), model_id)
        runs = {
            name: run_mode(
                retriever, beir, SearchMode.HYBRID, depth=100, options=options, show_progress=False
            )
            for name, options in fusions.items()
        }
        means[model_id] = {name: run.metrics for name, run in runs.items()}
        dbsf, rrf = runs.values()
        differences[model_id] = paired_differences(dbsf, rrf, METRICS)
    return FusionComparison(beir, tuple(fusions), means, differences)
