"""What a score means: logistic curves from a best hit's score to P(it answers the query).

Fitted by `cardiorag bench calibrate` on the evaluation sets and on off-topic questions, and
kept per spec hash and mode in calibration.json beside this module (docs/calibration.md). Two
places read them: "nothing answers this" (retrieval/answer/confidence.py) and the reranking
blend, which trusts the reranker's order as far as the reranker sees an answer
(retrieval/search/rerank.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
# The share of relevant best hits that a curve's cut may call weak (docs/calibration.md).
FALSE_ALARM_SHARE = 0.02
RERANK_MODE = "rerank"  # a reranker's curve on its own best score, whatever the first stage
# A reranker's curve on its best score and the query's best dense cosine in the corpus: an
# off-topic question finds neither a passage the reranker likes nor one near it.
RERANK_COSINE_MODE = "rerank+cosine"


@dataclass(frozen=True, slots=True)
class Calibration:
    """P(best hit relevant) = 1 / (1 + exp(-(intercept + slope x score + cosine_slope x cosine))).

    `score` is a dense cosine or a reranker's score; `cosine` (the query's best dense cosine in
    the corpus) only counts in a two-feature curve (`cosine_slope` non-zero). Weak: a result
    whose `evidence` is below `weak_below`, in the score's units.
    """

    intercept: float
    slope: float
    weak_below: float
    cosine_slope: float = 0.0

    def evidence(self, score: float, cosine: float = 0.0) -> float:
        """The score, with the cosine's part of the curve added in the score's units."""
        return score + (self.cosine_slope / self.slope) * cosine if self.slope else score

    def probability(self, score: float, cosine: float = 0.0) -> float:
        """The chance that a best hit with this score (and query cosine) answers the query."""
        return 1.0 / (1.0 + math.exp(-(self.intercept + self.slope * self.evidence(score, cosine))))


@cache
def _calibrations(path: Path) -> dict[tuple[str, str], Calibration]:
    """(spec hash, mode) -> curve, from the shipped file; a missing file means none."""
    if not path.is_file():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    return {
        (entry["spec_hash"], entry["mode"]): Calibration(
            entry["intercept"], entry["slope"], entry["weak_below"], entry.get("cosine_slope", 0.0)
        )
        for entry in document["calibrations"]
    }


def calibration_for(spec_hash: str, mode: str, path: Path = CALIBRATION_FILE) -> Calibration | None:
    """The curve fitted for this exact spec (its hash) and mode, if there is one."""
    return _calibrations(path).get((spec_hash, mode))
