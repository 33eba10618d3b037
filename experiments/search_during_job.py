r"""Search latency while a background job embeds with the same base model.

One process, as the web app runs: a job thread ingests files into a corpus of its own with an
adapter on the base model (minilm-cardio on minilm), while the main thread searches another
corpus with the base until the job ends: each query a new one (no cached query vector), with a
pause between searches as a person reading the hits would take. Run once with the job on
its own encoder instance (what the app does) and once sharing the searches' encoder
(`--shared`): shared, a search waits for the job's current encode call to release the
base's lock.

    .venv/bin/python -m experiments.search_during_job --data-dir .cardiorag \
        --data ../shared/data/textbook --json benchmarks/results/search_during_job_own_encoder.json
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

from adapters import get_spec
from adapters.encoder import SHARED
from benchmarks.quality.evaluation import forget_query_vectors
from benchmarks.report import machine
from benchmarks.speed.search_speed import percentiles, read_queries
from ingest import IngestOptions, ingest_paths
from retrieval import Settings, open_runtime

JOB_INSTANCE = "jobs"  # the app's (ui.jobs.ingest.JOBS)
MEDQUAD_QUERIES = Path("../shared/data/eval/medquad_cardio_dev/queries.jsonl")


def measure(
    settings: Settings,
    corpus: str,
    data: list[Path],
    queries: list[str],
    *,
    shared: bool,
    pause_s: float,
) -> dict[str, object]:
    """Search latencies (ms) from the job's start to its end, and what the job embedded."""
    instance = SHARED if shared else JOB_INSTANCE
    with open_runtime(settings) as runtime:
        index, retriever = runtime.index, runtime.retriever(corpus, "minilm")
        retriever.search(queries[0], 10, mode="hybrid")  # loads the search model, untimed
        job_corpus = f"job-{instance}-{int(time.time())}"
        report: list[object] = []

        def job() -> None:
            report.append(
                ingest_paths(
                    data,
                    IngestOptions(
                        corpus=job_corpus, models=[get_spec(runtime.specs, "minilm-cardio")]
                    ),
                    index=index,
                    load_encoder=lambda spec: runtime.models.encoder(spec, instance=instance),
                )
            )

        worker = threading.Thread(target=job)
        started = time.perf_counter()
        worker.start()
        latencies = []
        while worker.is_alive():
            query = queries[len(latencies) % len(queries)]
            forget_query_vectors(retriever)
            began = time.perf_counter()
            retriever.search(query, 10, mode="hybrid")
            latencies.append((time.perf_counter() - began) * 1000)
            time.sleep(pause_s)
        job_seconds = time.perf_counter() - started

    (done,) = report
    chunks = sum(run.chunks for run in done.models)  # type: ignore[attr-defined]
    return {
        "job_encoder": instance,
        "pause_s": pause_s,
        "searches": len(latencies),
        "latency_ms": {**percentiles(latencies), "max_ms": round(max(latencies), 1)},
        "job_seconds": round(job_seconds, 1),
        "job_chunks": chunks,
        "job_chunks_per_s": round(chunks / job_seconds, 1),
    }


def main() -> None:
    """Measure once and print (and with --json, write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--corpus", default="cardiology", help="searched with minilm")
    parser.add_argument("--data", type=Path, action="append", required=True)
    parser.add_argument("--queries", type=Path, default=MEDQUAD_QUERIES)
    parser.add_argument("--shared", action="store_true", help="the job shares the search encoder")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between searches")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    result = {
        "machine": machine(),
        **measure(
            settings,
            args.corpus,
            args.data,
            read_queries(args.queries, 1000),
            shared=args.shared,
            pause_s=args.pause,
        ),
    }
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
