"""`benchmarks calibrate`: when is a search's best hit too weak to answer from?

For each model and mode, every query of the evaluation sets is searched. Two things are kept
per query: its best hit's dense cosine to the query (`Retriever.best_cosine`), and whether
that hit is relevant by the set's judgments. Off-topic questions are added as well:
non-cardiology MedQuAD questions searched in the cardiovascular textbook set, where nothing
answers them, so their best hit counts as not relevant. A logistic curve from cosine to
P(relevant) is fitted on all of it. `retrieval/calibration.json` keeps the curve for that
spec hash and mode.

A result is weak below the cosine under which FALSE_ALARM_SHARE of the relevant best hits of
all sets fall (see retrieval/answer/confidence.py for why not at even odds). The report gives,
per set:
- how often a relevant best hit is called weak (false alarms);
- how often a non-relevant best hit is called weak (caught);
- how often an off-topic question is called weak.

The fit is hand-written: two parameters by Newton's method on the log-likelihood, where
scikit-learn would add a dependency for one function.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from adapters import get_spec
from adapters.specs import get_reranker_spec
from benchmarks.quality.beir import BeirSet
from benchmarks.quality.evaluation import ingest_beir_corpus
from benchmarks.report import RunOutput, markdown_table, model_provenance, provenance
from retrieval import Retriever, Runtime, SearchMode, Settings
from retrieval.answer.confidence import ASSESSED_HITS
from retrieval.calibration import (
    CALIBRATION_FILE,
    FALSE_ALARM_SHARE,
    RERANK_COSINE_MODE,
    RERANK_MODE,
    Calibration,
)
from retrieval.search import RERANKED

OFF_TOPIC_SET = "openstax_glossary"  # a cardiovascular textbook: no answer to other topics
K = 10
REPORT_HEADER = (
    "model", "mode", "set", "queries", "best hit relevant", "false alarms", "caught",
    "answerable called weak", "off-topic called weak",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Observation:
    """One query's best hit: its cosine to the query, and whether it answers."""

    dataset: str
    cosine: float  # the score the curve reads: a cosine, or the reranker's best score
    relevant: bool
    off_topic: bool = False
    top_cosine: float = 0.0  # reranked: the query's best dense cosine in the corpus


def off_topic_questions(medquad_file: Path, count: int, seed: int) -> list[str]:
    """A seeded sample of MedQuAD questions on other topics than the heart and vessels."""
    questions = []
    with medquad_file.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if not record.get("cardio") and record.get("question"):
                questions.append(str(record["question"]))
    return random.Random(seed).sample(sorted(set(questions)), min(count, len(questions)))


def fit_logistic(
    cosines: Sequence[float],
    relevant: Sequence[bool],
    top_cosines: Sequence[float] | None = None,
) -> Calibration:
    """Maximum-likelihood weights of P(relevant | score[, top cosine]), by Newton's method.

    A tiny ridge term keeps the fit finite when the two classes barely overlap. `weak_below` is
    the FALSE_ALARM_SHARE quantile of the relevant best hits' evidence (the score, plus the
    cosine's part in the score's units where `top_cosines` are given).
    """
    columns = [np.ones(len(cosines)), np.asarray(cosines, dtype=np.float64)]
    if top_cosines is not None:
        columns.append(np.asarray(top_cosines, dtype=np.float64))
    x = np.column_stack(columns)
    y = np.asarray(relevant, dtype=np.float64)
    weights = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(x @ weights)))
        gradient = x.T @ (y - p) - 1e-6 * weights
        hessian = -(x.T * (p * (1 - p))) @ x - 1e-6 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-9:
            break
    rounded = [round(float(w), 4) for w in weights]
    curve = Calibration(rounded[0], rounded[1], 0.0, rounded[2] if top_cosines else 0.0)
    evidence = [
        curve.evidence(score, top_cosines[i] if top_cosines else 0.0)
        for i, score in enumerate(cosines)
    ]
    good = [value for value, ok in zip(evidence, relevant, strict=True) if ok]
    weak_below = round(float(np.quantile(good, FALSE_ALARM_SHARE)), 4) if good else 0.0
    return Calibration(curve.intercept, curve.slope, weak_below, curve.cosine_slope)


def _observe(
    retriever: Retriever,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    mode: SearchMode,
    dataset: str,
    *,
    show_progress: bool,
    rerank: bool,
) -> list[Observation]:
    """Each query's best hit (its score and whether it is relevant).

    The score is its cosine, or with `rerank` the reranker's best score of the hits an answer
    reads.
    """
    observations = []
    label = f"{retriever.model} {mode}{RERANKED if rerank else ''} {dataset}"
    for query_id, text in tqdm(queries.items(), desc=label, disable=not show_progress):
        hits = retriever.search(text, K, mode=mode, rerank=rerank)
        if not hits:
            continue
        cosine = (
            max(h.rerank_score or 0.0 for h in hits[:ASSESSED_HITS])
            if rerank
            else retriever.best_cosine(text, hits, mode=mode)
        )
        if cosine is None:
            continue
        judged = qrels.get(query_id)
        relevant = judged is not None and judged.get(hits[0].doc_id, 0) > 0
        top = retriever.top_cosine(text) if rerank else 0.0
        observations.append(
            Observation(dataset, cosine, relevant, off_topic=judged is None, top_cosine=top)
        )
    return observations


def _rates(observations: Sequence[Observation], curve: Calibration) -> dict[str, Any]:
    weak = [curve.evidence(o.cosine, o.top_cosine) < curve.weak_below for o in observations]
    judged = [(o, w) for o, w in zip(observations, weak, strict=True) if not o.off_topic]
    off = [w for o, w in zip(observations, weak, strict=True) if o.off_topic]
    good = [w for o, w in judged if o.relevant]
    bad = [w for o, w in judged if not o.relevant]
    return {
        "queries": len(judged),
        "answerable_weak_rate": round(float(np.mean([w for _, w in judged])), 3)
        if judged
        else None,
        "best_hit_relevant": round(len(good) / len(judged), 3) if judged else None,
        "false_alarm_rate": round(float(np.mean(good)), 3) if good else None,
        "caught_rate": round(float(np.mean(bad)), 3) if bad else None,
        "off_topic": len(off),
        "off_topic_weak_rate": round(float(np.mean(off)), 3) if off else None,
    }


def _observations(
    retrievers: dict[str, Retriever],
    sets: Sequence[BeirSet],
    mode: SearchMode,
    off_topic: Sequence[str],
    *,
    show_progress: bool,
    rerank: bool,
) -> list[Observation]:
    """Every set's queries in `mode`, and the off-topic questions in OFF_TOPIC_SET."""
    observations: list[Observation] = []
    for beir in sets:
        retriever = retrievers[beir.name]
        observations += _observe(
            retriever, beir.queries, beir.qrels, mode, beir.name,
            show_progress=show_progress, rerank=rerank,
        )  # fmt: skip
        if beir.name == OFF_TOPIC_SET and off_topic:
            asked = {f"off-{n}": question for n, question in enumerate(off_topic)}
            observations += _observe(
                retriever, asked, {}, mode, beir.name, show_progress=show_progress, rerank=rerank
            )
    return observations


def run_calibration(
    sets: Sequence[BeirSet],
    model_ids: Sequence[str],
    modes: Sequence[SearchMode],
    runtime: Runtime,
    off_topic: Sequence[str],
    *,
    show_progress: bool,
    rerank: bool = False,
) -> RunOutput:
    """Observe, fit a curve per model and mode on every set together, and report per set.

    With `rerank`, the observations are the reranker's scores of every model and mode's
    reranked hits, and one curve is fitted on all of them: the reranker's.
    """
    started = provenance()
    specs = runtime.specs
    curves: list[dict[str, Any]] = []
    pooled: list[Observation] = []
    corpora = {
        beir.name: ingest_beir_corpus(beir, model_ids, runtime, show_progress)[0] for beir in sets
    }
    for model_id in model_ids:
        retrievers = {name: runtime.retriever(corpus, model_id) for name, corpus in corpora.items()}
        for mode in modes:
            observed = _observations(
                retrievers, sets, mode, off_topic, show_progress=show_progress, rerank=rerank
            )
            if rerank:
                pooled += observed
                continue
            curve = fit_logistic([o.cosine for o in observed], [o.relevant for o in observed])
            curves.append(
                {
                    "model": model_id,
                    "spec_hash": get_spec(specs, model_id).spec_hash,
                    "mode": str(mode),
                    "intercept": curve.intercept,
                    "slope": curve.slope,
                    "weak_below": curve.weak_below,
                    "observations": len(observed),
                    "per_set": {
                        b.name: _rates([o for o in observed if o.dataset == b.name], curve)
                        for b in sets
                    },
                }
            )
    if rerank:
        curves += [
            _reranker_curve(runtime.settings, pooled, sets, with_cosine=False),
            _reranker_curve(runtime.settings, pooled, sets, with_cosine=True),
        ]
    payload = {
        **started,
        "models": model_provenance(specs, list(model_ids)),
        "sets": [beir.name for beir in sets],
        "off_topic_questions": len(off_topic),
        "false_alarm_share": FALSE_ALARM_SHARE,
        "calibrations": curves,
    }
    return RunOutput(payload, calibration_markdown(payload))


def _reranker_curve(
    settings: Settings,
    observed: Sequence[Observation],
    sets: Sequence[BeirSet],
    *,
    with_cosine: bool,
) -> dict[str, Any]:
    """The reranker's curve on its best score alone (the blend's trust), or with the cosine."""
    spec = get_reranker_spec(settings.reranker_specs(), settings.reranker)
    fitted = fit_logistic(
        [o.cosine for o in observed],
        [o.relevant for o in observed],
        [o.top_cosine for o in observed] if with_cosine else None,
    )
    # The sets' relevant best hits score differently (glossary statements read as weaker
    # evidence than questions): the cut keeps every set's false alarms within the share, not
    # only the pooled ones.
    per_set = [
        float(np.quantile(evidence, FALSE_ALARM_SHARE))
        for evidence in (
            [
                fitted.evidence(o.cosine, o.top_cosine)
                for o in observed
                if o.dataset == b.name and o.relevant
            ]
            for b in sets
        )
        if evidence
    ]
    curve = replace(fitted, weak_below=round(min([fitted.weak_below, *per_set]), 4))
    return {
        "model": spec.id,
        "spec_hash": spec.spec_hash,
        "mode": RERANK_COSINE_MODE if with_cosine else RERANK_MODE,
        "intercept": curve.intercept,
        "slope": curve.slope,
        "cosine_slope": curve.cosine_slope,
        "weak_below": curve.weak_below,
        "observations": len(observed),
        "per_set": {
            b.name: _rates([o for o in observed if o.dataset == b.name], curve) for b in sets
        },
    }


def calibration_markdown(payload: dict[str, Any]) -> str:
    """The curves' false alarms and catches per set, as a table."""
    rows = [
        [curve["model"], curve["mode"], name, rates["queries"], rates["best_hit_relevant"],
         rates["false_alarm_rate"], rates["caught_rate"], rates.get("answerable_weak_rate", "-"),
         rates["off_topic_weak_rate"] if rates["off_topic"] else "-"]
        for curve in payload["calibrations"]
        for name, rates in curve["per_set"].items()
    ]  # fmt: skip
    return "\n\n".join(
        [
            "## Calibration of the best hit's confidence",
            "Weak: a best hit's cosine below the curve's `weak_below`, under which "
            f"{FALSE_ALARM_SHARE:.0%} of the relevant best hits of all sets fall.",
            f"{payload['off_topic_questions']} off-topic MedQuAD questions searched in "
            f"{OFF_TOPIC_SET}. False alarms: relevant best hits called weak; caught: "
            "non-relevant best hits called weak.",
            markdown_table(REPORT_HEADER, rows),
        ]
    )


def write_calibrations(curves: Sequence[dict[str, Any]], path: Path = CALIBRATION_FILE) -> None:
    """Merge fitted curves into the shipped file, replacing those of the same spec and mode."""
    existing = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    kept = [
        entry
        for entry in existing.get("calibrations", [])
        if (entry["spec_hash"], entry["mode"])
        not in {(curve["spec_hash"], curve["mode"]) for curve in curves}
    ]
    fitted = [
        {
            key: curve[key]
            for key in (
                "model",
                "spec_hash",
                "mode",
                "intercept",
                "slope",
                "cosine_slope",
                "weak_below",
            )
            if key in curve
        }
        for curve in curves
    ]
    document = {
        "about": "P(best hit relevant) = 1 / (1 + exp(-(intercept + slope x score "
        "+ cosine_slope x top cosine))); "
        "written by `benchmarks calibrate`, see docs/calibration.md",
        "calibrations": sorted([*kept, *fitted], key=lambda e: (e["model"], e["mode"])),
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
