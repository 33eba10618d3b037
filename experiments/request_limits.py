"""What costly search requests cost: deep k, deep offset, dedupe, MMR, hybrid paging.

Runs each request through `Retriever.search` on an ingested corpus (docs/limits.md: the
medquad_cardio_dev corpus) and records per request the wall time, the CPU time of this
process (what "pins a core" means), the hits returned and the error raised, if any.
A request past `max_results` must fail at once with RequestTooLargeError; every other one
must finish within TARGET_S.

    ingest ../shared/data/eval/medquad_cardio_dev/corpus.jsonl --corpus mq --data-dir /tmp/mq
    .venv/bin/python -m experiments.request_limits --data-dir /tmp/mq --corpus mq \
        --json benchmarks/results/request_limits_minilm.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.report import provenance
from retrieval import RetrievalError, Retriever, Settings, open_runtime

# No request may pin a core for longer (the target in docs/limits.md).
TARGET_S = 2.0
QUERIES = (
    "What are the symptoms of high blood pressure?",
    "How is atrial fibrillation treated?",
    "What causes heart failure?",
)
# (label, search options): the costly sizes, and their neighbours.
CASES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("dense k=10", {"k": 10}),
    ("dense k=1000", {"k": 1000}),
    ("dense k=1000 dedupe=False", {"k": 1000, "dedupe": False}),
    ("dense k=100000", {"k": 100_000}),
    ("dense k=100000 dedupe=False", {"k": 100_000, "dedupe": False}),
    ("dense offset=10**6 k=10", {"k": 10, "offset": 10**6}),
    ("dense offset=990 k=10", {"k": 10, "offset": 990}),
    ("dense k=1000 mmr", {"k": 1000, "mmr": True}),
    ("sparse k=1000", {"k": 1000, "mode": "sparse"}),
    ("hybrid k=1000", {"k": 1000, "mode": "hybrid"}),
    ("hybrid k=100000", {"k": 100_000, "mode": "hybrid"}),
    ("hybrid offset=200 k=10", {"k": 10, "offset": 200, "mode": "hybrid"}),
    ("hybrid offset=200 k=10 dedupe=False", {"k": 10, "offset": 200, "mode": "hybrid",
                                              "dedupe": False}),
)  # fmt: skip


@dataclass(slots=True)
class CaseResult:
    """One request over every query and repeat: slowest and median times, hits, error."""

    label: str
    options: dict[str, Any]
    wall_s_max: float = 0.0
    wall_s_median: float = 0.0
    cpu_s_max: float = 0.0
    hits: list[int] = field(default_factory=list)
    error: str | None = None
    within_target: bool = True


def run_case(retriever: Retriever, label: str, options: dict[str, Any], repeats: int) -> CaseResult:
    """Time one request for each query, `repeats` times; errors are recorded, not raised."""
    result = CaseResult(label, options)
    walls, cpus = [], []
    for query in QUERIES:
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                hits = retriever.search(query, **options)
                result.hits.append(len(hits))
            except RetrievalError as error:
                result.error = f"{type(error).__name__}: {error}"
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    result.wall_s_max = round(max(walls), 4)
    result.wall_s_median = round(statistics.median(walls), 4)
    result.cpu_s_max = round(max(cpus), 4)
    result.within_target = result.wall_s_max <= TARGET_S
    return result


def pages_agree(retriever: Retriever, mode: str, offset: int, k: int) -> bool:
    """Whether page (offset, k) holds the same chunks as ranks offset+1.. of one deep request."""
    query = QUERIES[0]
    page = retriever.search(query, k=k, offset=offset, mode=mode)
    whole = retriever.search(query, k=offset + k, mode=mode)
    return [h.chunk_id for h in page] == [h.chunk_id for h in whole[offset:]]


def main() -> None:
    """Run every case and write the JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--corpus", default="mq")
    parser.add_argument("--model", default="minilm")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir, torch_threads=args.threads)
    with open_runtime(settings) as runtime:
        retriever = runtime.retriever(args.corpus, args.model)
        chunks = retriever.store.collection_info(f"{args.corpus}__{args.model}").points
        for query in QUERIES:  # untimed: loads the model and fills the query-vector cache
            retriever.search(query, k=1)
        results = [run_case(retriever, label, dict(o), args.repeats) for label, o in CASES]
        paging = {
            f"{mode} offset={offset} k=10": pages_agree(retriever, mode, offset, 10)
            for mode in ("dense", "hybrid")
            for offset in (10, 200, 990)
        }
    document = {
        "benchmark": "request_limits",
        "corpus": args.corpus,
        "model": args.model,
        "chunks": chunks,
        "settings": settings.model_dump(include={"max_results", "search_timeout_s"}),
        "target_s": TARGET_S,
        "all_within_target": all(r.within_target for r in results),
        "queries": list(QUERIES),
        "repeats": args.repeats,
        "cases": [asdict(r) for r in results],
        "pages_agree_with_one_deep_request": paging,
        **provenance(),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2) + "\n")
    for r in results:
        outcome = r.error or f"hits {min(r.hits)}-{max(r.hits)}"
        print(f"{r.label:38} max {r.wall_s_max:7.3f} s  cpu {r.cpu_s_max:7.3f} s  {outcome[:90]}")
    print("pages agree with one deep request:", paging)


if __name__ == "__main__":
    main()
