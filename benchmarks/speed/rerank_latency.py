"""`benchmarks rerank-latency`: what reranking adds to a search, per candidate count and dtype.

Counts: 10, 30, 100 and the `rerank_candidates` setting.

The reranker scores N (question, passage) pairs in one batch per search. Passages are real
chunk-sized windows of the textbook (about 150 words, behind their title and section), read as
a search reads a chunk: the window of it nearest the question that fits the reranker's budget
(retrieval/search/passage_window.py), whose choosing is timed too; questions are real MedQuAD
cardiology questions. Each dtype is forced
in turn (bf16 where the CPU computes it natively or emulates it, and fp32), so one run shows
both, with the CPU's bf16 support recorded beside them.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from adapters import cpu_supports_bf16
from adapters.cross_encoder import CrossEncoder
from adapters.hardware import cpu_bf16_flags
from adapters.specs import RerankerSpec
from adapters.training.reranker.data import textbook_windows
from benchmarks.report import RunOutput, line_plot, markdown_table, provenance
from retrieval import Runtime, open_runtime
from retrieval.search.passage_window import Passage
from retrieval.search.rerank import score_passages
from retrieval.store.sparse import Bm25Encoder

COUNTS = (10, 30, 100)
TEXTBOOK_FILE = "openstax_ap2e_cardiovascular_sections.jsonl"
DTYPES = ("bfloat16", "float32")


def _questions(medquad: Path, count: int, seed: int) -> list[str]:
    questions = []
    with medquad.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row.get("cardio") and row.get("question"):
                questions.append(str(row["question"]))
    return random.Random(seed).sample(sorted(set(questions)), count)


def _passages(textbook: Path) -> list[Passage]:
    return [
        Passage(header, window)
        for windows in textbook_windows(textbook).values()
        for header, window in windows
        if len(window.split()) > 100
    ]


def measure(
    reranker: CrossEncoder,
    questions: Sequence[str],
    passages: Sequence[Passage],
    *,
    counts: Sequence[int],
    seed: int,
) -> dict[str, dict[str, float]]:
    """p50/p95 ms of scoring N passages per question with `reranker`, for each N."""
    rng = random.Random(seed)
    bm25 = Bm25Encoder()
    score_passages(questions[0], list(passages[: max(counts)]), reranker, bm25)  # warm-up
    timings: dict[str, dict[str, float]] = {}
    for count in counts:
        spent = []
        for question in questions:
            chosen = rng.sample(list(passages), count)
            started = time.perf_counter()
            score_passages(question, chosen, reranker, bm25)
            spent.append((time.perf_counter() - started) * 1000)
        timings[str(count)] = {
            "p50_ms": round(float(np.percentile(spent, 50)), 1),
            "p95_ms": round(float(np.percentile(spent, 95)), 1),
        }
    return timings


def run_rerank_latency(
    spec: RerankerSpec,
    runtime: Runtime,
    *,
    medquad: Path,
    textbook: Path,
    queries: int,
    seed: int = 0,
) -> RunOutput:
    """Every dtype and count; the JSON, a table and a plot of p95 against N."""
    started = provenance()
    questions = _questions(medquad, queries, seed)
    passages = _passages(textbook)
    results: dict[str, dict[str, dict[str, float]]] = {}
    counts = sorted({*COUNTS, runtime.settings.rerank_candidates})  # the setting's N too
    for dtype in DTYPES:
        # The dtype is a setting: each forced one gets the runtime of its own settings.
        forced = runtime.settings.model_copy(update={"dtype": dtype})
        with open_runtime(forced) as in_dtype:
            reranker = in_dtype.models.reranker(spec)
            results[dtype] = measure(reranker, questions, passages, counts=counts, seed=seed)
    payload = {
        **started,
        "reranker": spec.id,
        "spec_hash": spec.spec_hash,
        "max_length": spec.max_length,
        "queries": len(questions),
        "threads": runtime.settings.torch_threads,
        "native_bf16": cpu_supports_bf16(),
        "cpu_bf16_flags": cpu_bf16_flags(),
        "results": results,
    }
    return RunOutput(payload, rerank_latency_markdown(payload), rerank_latency_figures(payload))


def rerank_latency_markdown(payload: dict[str, Any]) -> str:
    """One row per dtype and candidate count."""
    rows = [
        [dtype, count, values["p50_ms"], values["p95_ms"]]
        for dtype, by_count in payload["results"].items()
        for count, values in by_count.items()
    ]
    native = "native" if payload["native_bf16"] else "emulated (no avx512_bf16/AMX)"
    return "\n\n".join(
        [
            f"## Reranking latency: {payload['reranker']} ({payload['max_length']} tokens), "
            f"{payload['threads']} threads",
            f"{payload['queries']} questions, each scoring N textbook chunks in one batch; "
            f"bf16 is {native} on {payload['machine']['cpu']}.",
            markdown_table(["dtype", "candidates", "p50 ms", "p95 ms"], rows),
        ]
    )


def rerank_latency_figures(payload: dict[str, Any]) -> dict[str, Any]:
    """p95 latency against the number of candidates, one line per dtype."""
    series = {
        dtype: [(int(count), values["p95_ms"]) for count, values in by_count.items()]
        for dtype, by_count in payload["results"].items()
    }
    return {
        "p95_vs_candidates": line_plot(
            "Reranking latency (p95)", "candidates reranked", "p95 ms", series
        )
    }
