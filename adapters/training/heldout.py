"""Held-out scores of a model under training: what early stopping and the model card go by."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from adapters.specs import ModelSpec
from adapters.training.separation import separation_score
from adapters.training.text_pair import TextPair

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def heldout_evaluator(base: ModelSpec, pairs: Sequence[TextPair]) -> Any:
    """Retrieval among the held-out passages: each query should find its own passage."""
    from sentence_transformers.sentence_transformer.evaluation import (
        InformationRetrievalEvaluator,
    )

    passages: dict[str, str] = {}
    relevant: dict[str, set[str]] = {}
    queries: dict[str, str] = {}
    for number, pair in enumerate(pairs):
        doc_id = passages.setdefault(pair.positive, f"d{len(passages)}")
        queries[f"q{number}"] = pair.query
        relevant[f"q{number}"] = {doc_id}
    return InformationRetrievalEvaluator(
        queries=queries,
        corpus={doc_id: text for text, doc_id in passages.items()},
        relevant_docs=relevant,
        name="heldout",
        ndcg_at_k=[10],
        mrr_at_k=[10],
        accuracy_at_k=[1, 10],
        precision_recall_at_k=[10],
        map_at_k=[100],
        write_csv=False,
        batch_size=64,
        query_prompt=base.query_prefix or None,
        corpus_prompt=base.document_prefix or None,
    )


def heldout_scores(
    model: SentenceTransformer, base: ModelSpec, pairs: Sequence[TextPair], seed: int
) -> dict:
    """nDCG@10, MRR@10, Recall@10 and the separation score of `model` on the held-out pairs."""
    scores = heldout_evaluator(base, pairs)(model)

    def encoder(prefix: str) -> Callable[[Sequence[str]], np.ndarray]:
        return lambda texts: model.encode(
            list(texts), prompt=prefix or None, batch_size=64, normalize_embeddings=True
        )

    separation = separation_score(
        encoder(base.query_prefix), encoder(base.document_prefix), pairs, seed=seed
    )
    return {
        "nDCG@10": round(float(scores["heldout_cosine_ndcg@10"]), 4),
        "MRR@10": round(float(scores["heldout_cosine_mrr@10"]), 4),
        "Recall@10": round(float(scores["heldout_cosine_recall@10"]), 4),
        "separation": separation.as_dict(),
    }
