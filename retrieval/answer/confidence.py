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
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.specs import get_reranker_spec
from retrieval.store.query import SearchMode

if TYPE_CHECKING:
    from retrieval.search.hits import Hit
    from retrieval.search.retriever import Retriever

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
FALSE_ALARM_SHARE = 0.02
WEAK_MESSAGE = "No passage in this corpus answers this well"
RERANK_MODE = "rerank"  # a reranker's curve: one per reranker, whatever the first stage
ASSESSED_HITS = 3  # reranked hits are judged by the best of those an answer reads


@dataclass(frozen=True, slots=True)
class Calibration:
    """P(best hit relevant) = 1 / (1 + exp(-(intercept + slope x cosine))); weak below a cosine."""

    intercept: float
    slope: float
    weak_below: float

    def probability(self, cosine: float) -> float:
        """The chance that a best hit at this dense cosine to the query answers it."""
        return 1.0 / (1.0 + math.exp(-(self.intercept + self.slope * cosine)))


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


@cache
def _calibrations(path: Path) -> dict[tuple[str, str], Calibration]:
    """(spec hash, mode) -> curve, from the shipped file; a missing file means none."""
    if not path.is_file():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    return {
        (entry["spec_hash"], entry["mode"]): Calibration(
            entry["intercept"], entry["slope"], entry["weak_below"]
        )
        for entry in document["calibrations"]
    }


def calibration_for(spec_hash: str, mode: str, path: Path = CALIBRATION_FILE) -> Calibration | None:
    """The curve fitted for this exact spec (its hash) and mode, if there is one."""
    return _calibrations(path).get((spec_hash, mode))


def assess(calibration: Calibration | None, best_cosine: float | None) -> Assessment:
    """The assessment of a result whose best hit has this dense cosine (None: no hits)."""
    if best_cosine is None:
        return Assessment(None, weak=True)
    if calibration is None:
        return Assessment(None, weak=False)
    return Assessment(
        calibration.probability(best_cosine), weak=best_cosine < calibration.weak_below
    )


def assess_hits(
    retriever: Retriever,
    query: str,
    hits: Sequence[Hit],
    *,
    mode: SearchMode | str = SearchMode.DENSE,
    model: str | None = None,
) -> Assessment:
    """How likely the best of `hits` (found by `retriever` for `query` in `mode`) answers it.

    Reranked hits are judged by the reranker's best score among the first ASSESSED_HITS
    (those an answer reads), mapped by the curve calibrated for that reranker; others by their
    `Retriever.best_cosine`, mapped by the curve of this model and mode. Without a curve
    nothing is called weak.
    """
    settings = retriever.settings
    if hits and hits[0].rerank_score is not None:
        spec = get_reranker_spec(settings.reranker_specs(), settings.reranker)
        best = max(h.rerank_score for h in hits[:ASSESSED_HITS] if h.rerank_score is not None)
        return assess(calibration_for(spec.spec_hash, RERANK_MODE), best)
    encoder_spec = retriever.encoder(model or retriever.model).spec
    calibration = calibration_for(encoder_spec.spec_hash, str(SearchMode(mode)))
    if calibration is None or not hits:
        return assess(calibration, hits[0].score if hits else None)
    return assess(calibration, retriever.best_cosine(query, hits, mode=mode, model=model))
