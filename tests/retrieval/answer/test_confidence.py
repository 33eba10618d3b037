"""Honest "nothing found": the best hit's calibrated confidence, on the real textbook corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adapters.specs import load_reranker_specs
from benchmarks.quality.calibration import fit_logistic, write_calibrations
from retrieval import Answerer, Retriever, SearchMode
from retrieval.answer.confidence import WEAK_MESSAGE, assess, assess_hits
from retrieval.calibration import (
    CALIBRATION_FILE,
    RERANK_COSINE_MODE,
    RERANK_MODE,
    Calibration,
    calibration_for,
)

pytestmark = pytest.mark.numerics

ON_TOPIC = "What produces the heart sounds heard with a stethoscope?"
OFF_TOPIC = "How is glaucoma treated with eye drops?"


def test_the_curve_rises_with_the_cosine_and_weak_is_below_its_cut() -> None:
    curve = Calibration(intercept=-6.0, slope=10.0, weak_below=0.45)
    assert curve.probability(0.6) == pytest.approx(0.5)
    assert curve.probability(0.3) < 0.5 < curve.probability(0.8)
    assert assess(curve, 0.5).weak is False  # below even odds, above the cut
    assert assess(curve, 0.8).weak is False
    weak = assess(curve, 0.3)
    assert weak.weak and weak.message is not None and WEAK_MESSAGE in weak.message
    assert assess(None, 0.1) == assess(None, 0.9)  # no curve: nothing is called weak
    assert assess(curve, None).weak  # no hits at all


def test_the_fit_recovers_a_known_curve() -> None:
    rng = np.random.default_rng(0)
    cosines = rng.uniform(0.0, 1.0, 4000)
    relevant = rng.uniform(size=4000) < 1 / (1 + np.exp(-(-5.0 + 9.0 * cosines)))
    fitted = fit_logistic(cosines.tolist(), relevant.tolist())
    assert fitted.intercept == pytest.approx(-5.0, abs=0.6)
    assert fitted.slope == pytest.approx(9.0, abs=1.0)
    # 2% of the relevant cosines lie below the cut.
    assert np.mean(cosines[relevant] < fitted.weak_below) == pytest.approx(0.02, abs=0.005)


def test_a_two_feature_fit_weighs_the_cosine_and_cuts_in_the_score_units() -> None:
    rng = np.random.default_rng(1)
    scores, cosines = rng.uniform(-15, 10, 4000), rng.uniform(0.0, 1.0, 4000)
    relevant = rng.uniform(size=4000) < 1 / (1 + np.exp(-(-6.0 + 0.3 * scores + 8.0 * cosines)))
    fitted = fit_logistic(scores.tolist(), relevant.tolist(), cosines.tolist())
    assert fitted.slope == pytest.approx(0.3, abs=0.06)
    assert fitted.cosine_slope == pytest.approx(8.0, abs=1.2)
    evidence = np.array([fitted.evidence(s, c) for s, c in zip(scores, cosines, strict=True)])
    assert np.mean(evidence[relevant] < fitted.weak_below) == pytest.approx(0.02, abs=0.005)
    # The same score is stronger evidence beside a closer passage.
    assert fitted.probability(0.0, 0.8) > fitted.probability(0.0, 0.2)
    assert assess(fitted, -2.0, 0.9).weak is False and assess(fitted, -12.0, 0.1).weak is True


def test_written_curves_replace_those_of_the_same_spec_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    first = {"model": "m", "spec_hash": "h", "mode": "dense", "intercept": -1.0, "slope": 2.0}
    first["weak_below"] = 0.4
    other = {**first, "mode": "hybrid"}
    write_calibrations([first, other], path)
    write_calibrations([{**first, "intercept": -3.0}], path)
    entries = json.loads(path.read_text())["calibrations"]
    assert [(e["mode"], e["intercept"]) for e in entries] == [("dense", -3.0), ("hybrid", -1.0)]
    assert calibration_for("h", "dense", path) is not None


@pytest.mark.parametrize(
    "model", ["minilm", "mpnet", "minilm-int8", "minilm-cardio", "mpnet-cardio"]
)
def test_the_shipped_file_calibrates_every_shipped_spec_in_every_mode(specs, model: str) -> None:
    # A retrained adapter changes its spec's hash: this fails until it is calibrated again.
    for mode in SearchMode:
        assert calibration_for(specs[model].spec_hash, str(mode), CALIBRATION_FILE)


@pytest.mark.parametrize("reranker", ["cardio-rerank", "cardio-rerank-fast"])
def test_the_shipped_file_calibrates_the_shipped_rerankers(reranker: str) -> None:
    spec = load_reranker_specs()[reranker]
    assert calibration_for(spec.spec_hash, RERANK_MODE, CALIBRATION_FILE)  # the blend's trust
    with_cosine = calibration_for(spec.spec_hash, RERANK_COSINE_MODE, CALIBRATION_FILE)
    assert with_cosine is not None and with_cosine.cosine_slope > 0


@pytest.mark.parametrize("rerank", [False, True], ids=["cosine", "reranker"])
@pytest.mark.parametrize("mode", list(SearchMode))
def test_an_off_topic_question_is_weak_and_an_answered_one_is_not(
    textbook_retriever: Retriever, mode: SearchMode, rerank: bool
) -> None:
    answered = textbook_retriever.search(ON_TOPIC, 5, mode=mode, rerank=rerank)
    assessment = assess_hits(textbook_retriever, ON_TOPIC, answered, mode=mode)
    assert assessment.confidence is not None and not assessment.weak
    assert answered[0].title == "Cardiac Cycle"
    off = textbook_retriever.search(OFF_TOPIC, 5, mode=mode, rerank=rerank)
    weak = assess_hits(textbook_retriever, OFF_TOPIC, off, mode=mode)
    assert weak.weak and weak.confidence is not None
    assert weak.confidence < assessment.confidence


def test_the_extractive_answer_quotes_nothing_when_the_evidence_is_weak(
    textbook_retriever: Retriever,
) -> None:
    weak = Answerer().answer(textbook_retriever, OFF_TOPIC, 5, mode="hybrid")
    assert weak.weak and weak.sentences == [] and weak.hits
    assert weak.text.startswith(WEAK_MESSAGE)
    strong = Answerer().answer(textbook_retriever, ON_TOPIC, 5, mode="hybrid")
    assert not strong.weak and strong.sentences
    assert strong.text.endswith("]")  # quoted sentences with their [n] markers


def test_hybrid_best_cosine_is_the_dense_score_of_the_same_chunk(
    textbook_retriever: Retriever,
) -> None:
    hybrid = textbook_retriever.search(ON_TOPIC, 5, mode="hybrid", rerank=False)
    dense = textbook_retriever.search(ON_TOPIC, 20, mode="dense", rerank=False)
    same = next(hit for hit in dense if hit.chunk_id == hybrid[0].chunk_id)
    cosine = textbook_retriever.best_cosine(ON_TOPIC, hybrid, mode="hybrid")
    assert cosine == pytest.approx(same.score, abs=5e-3)  # re-embedded with its header
