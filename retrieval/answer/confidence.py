"""How likely the best hit is to answer the query: a calibrated probability per model and mode.

Why: a ranking always has a first hit, even when nothing in the corpus answers. The best hit's
dense cosine to the query says more. For each model and search mode, a logistic curve maps that
cosine to the chance that the best hit is relevant. The curve is fitted on the evaluation sets'
queries, with their relevance judgments, and on off-topic questions that no passage answers
(`benchmarks calibrate`; the curves, and the false-alarm rates they give, are in
docs/calibration.md).

A result is called weak when its best hit's cosine is below the curve's `weak_below`: the
cosine under which only FALSE_ALARM_SHARE of the relevant best hits of the evaluation sets fall.
A cut at even odds would also flag near misses, which are common among real questions (a
neighbouring passage judged not relevant), and call one answerable question in ten weak.

Reranked hits are judged by the reranker's best score together with the query's best dense
cosine in the corpus: an off-topic question finds neither a passage the reranker likes nor one
near it, and the two together catch more of them at the same false alarms (docs/reranker.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from adapters.specs import get_reranker_spec
from retrieval.calibration import RERANK_COSINE_MODE, RERANK_MODE, Calibration, calibration_for
from retrieval.store.query import SearchMode

if TYPE_CHECKING:
    from retrieval.search.hits import Hit
    from retrieval.search.retriever import Retriever

WEAK_MESSAGE = "No passage in this corpus answers this well"
ASSESSED_HITS = 3  # reranked hits are judged by the best of those an answer reads


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a search can say about its best hit: its calibrated confidence, and if it is weak.

    `confidence` is None where the model has no calibration (then nothing is called weak).
    """

    confidence: float | None
    weak: bool

    @property
    def message(self) -> str | None:
        """The sentence shown above the hits when the evidence is weak."""
        if not self.weak:
            return None
        if self.confidence is None:
            return f"{WEAK_MESSAGE}: nothing was found."
        return f"{WEAK_MESSAGE} (confidence {self.confidence:.0%} that the best hit answers)."


def assess(
    calibration: Calibration | None, best_score: float | None, cosine: float = 0.0
) -> Assessment:
    """The assessment of a result whose best hit has this score (None: no hits).

    `cosine` (the query's best dense cosine in the corpus) counts for two-feature curves only.
    """
    if best_score is None:
        return Assessment(None, weak=True)
    if calibration is None:
        return Assessment(None, weak=False)
    return Assessment(
        calibration.probability(best_score, cosine),
        weak=calibration.evidence(best_score, cosine) < calibration.weak_below,
    )


def reranker_curve(retriever: Retriever) -> tuple[str, Calibration | None]:
    """The configured reranker's curve: with the query's cosine where fitted, else its own."""
    settings = retriever.settings
    spec = get_reranker_spec(settings.reranker_specs(), settings.reranker)
    for mode in (RERANK_COSINE_MODE, RERANK_MODE):
        curve = calibration_for(spec.spec_hash, mode)
        if curve is not None:
            return mode, curve
    return RERANK_MODE, None


def assess_hits(
    retriever: Retriever,
    query: str,
    hits: Sequence[Hit],
    *,
    mode: SearchMode | str = SearchMode.DENSE,
    model: str | None = None,
    filters: Mapping[str, Any] | None = None,
) -> Assessment:
    """How likely the best of `hits` (found by `retriever` for `query` in `mode`) answers it.

    Reranked hits are judged by the reranker's best score among the first ASSESSED_HITS
    (those an answer reads) and the query's best dense cosine among the chunks `filters`
    allow, mapped by the curve calibrated for that reranker; others by their
    `Retriever.best_cosine`, mapped by the curve of this model and mode. Without a curve
    nothing is called weak.
    """
    if hits and hits[0].rerank_score is not None:
        best = max(h.rerank_score for h in hits[:ASSESSED_HITS] if h.rerank_score is not None)
        curve_mode, curve = reranker_curve(retriever)
        if curve_mode != RERANK_COSINE_MODE or curve is None:
            return assess(curve, best)
        return assess(curve, best, retriever.top_cosine(query, model=model, filters=filters))
    encoder_spec = retriever.encoder(model or retriever.model).spec
    calibration = calibration_for(encoder_spec.spec_hash, str(SearchMode(mode)))
    if calibration is None or not hits:
        return assess(calibration, hits[0].score if hits else None)
    return assess(calibration, retriever.best_cosine(query, hits, mode=mode, model=model))
