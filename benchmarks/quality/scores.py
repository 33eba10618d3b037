"""Scoring a run with ranx: documents ranked from chunk hits, metrics per query and their means.

A query's run is the documents of its best chunks: a document can be hit several times, and
it keeps its best (first) rank, scored 1/rank. Scoring ranks rather than raw scores scores
exactly the order the Retriever returned: in hybrid mode many fused scores tie, and ranx would
otherwise break those ties its own way. Metrics @10 are over the top 10 documents of the run;
MAP@100 and Recall@100 over every document it holds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.extra import require_eval
from retrieval import Hit

K = 10  # the cut-off of the headline metrics and of the timed search
METRICS = {
    "nDCG@10": "ndcg@10",
    "Recall@1": "recall@1",
    "Recall@10": "recall@10",
    "MRR@10": "mrr@10",
    "MAP@100": "map@100",
    "Recall@100": "recall@100",
}


def doc_run(hits: Sequence[Hit]) -> dict[str, float]:
    """Chunk hits as a document run: each `doc_id` scored 1/rank of its best-ranked chunk."""
    return ranked_documents([hit.doc_id for hit in hits])


def ranked_documents(doc_ids: Sequence[str]) -> dict[str, float]:
    """The documents of chunks in rank order, each scored 1/rank of its first chunk."""
    run: dict[str, float] = {}
    for rank, doc_id in enumerate(doc_ids, start=1):
        run.setdefault(doc_id, 1.0 / rank)
    return run


def per_query_scores(
    qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]
) -> dict[str, dict[str, float]]:
    """`{metric name: {query id: value}}` for every metric of METRICS, by ranx."""
    require_eval("ranx")
    from ranx import Qrels, Run, evaluate

    # ranx cannot hold a query without documents; one that found nothing scores 0 anyway.
    sentinel = "\x00no-hit"
    filled = Run.from_dict({query_id: run.get(query_id) or {sentinel: 0.0} for query_id in qrels})
    evaluate(Qrels.from_dict(qrels), filled, list(METRICS.values()))
    return {
        name: {query_id: float(value) for query_id, value in filled.scores[metric].items()}
        for name, metric in METRICS.items()
    }


def means(per_query: dict[str, dict[str, float]]) -> dict[str, float]:
    """Each metric's mean over queries, rounded for tables."""
    return {
        name: round(float(np.mean(list(values.values()))), 4) for name, values in per_query.items()
    }
