"""Query latency (embed + search) on the embedded store at about 10k and 100k chunks.

The points are real: MiniLM and BM25 vectors of MedQuAD chunks, exported from a corpus that
`benchmarks.retrieval_quality` ingested. Past the corpus's own size, copies with slightly moved
dense vectors (Gaussian noise, sigma 0.01, renormalised) fill the collection, so the HNSW graph
and the sparse index really hold that many points.

    python -m benchmarks.search_latency --json benchmarks/results/search_latency_minilm.json
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from adapters import configure_torch, load_encoder
from retrieval import SearchMode, Settings
from retrieval._edge import EdgeStore
from retrieval.query import StoreQuery
from retrieval.sparse import Bm25Encoder
from retrieval.store import StoredPoint

app = typer.Typer(add_completion=False)
_COPY_NAMESPACE = uuid.UUID("3d0e5a7c-9b1f-4c62-8f0a-1e2d3c4b5a69")
_BATCH = 512


def _filled(points: list[StoredPoint], size: int, seed: int) -> Iterator[StoredPoint]:
    """`size` points: the real ones, then noisy copies of them with new ids."""
    rng = np.random.default_rng(seed)
    for n in range(size):
        point = points[n % len(points)]
        if n < len(points):
            yield point
            continue
        dense = np.asarray(point.dense) + rng.normal(0, 0.01, len(point.dense))
        yield dataclasses.replace(
            point,
            chunk_id=str(uuid.uuid5(_COPY_NAMESPACE, f"{point.chunk_id}/{n}")),
            dense=(dense / np.linalg.norm(dense)).tolist(),
        )


def _percentiles(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(samples, 50)), 2),
        "p95_ms": round(float(np.percentile(samples, 95)), 2),
    }


@app.command()
def main(
    source_data_dir: Annotated[Path, typer.Option(help="Data dir of the ingested corpus.")] = Path(
        ".cardiorag/bench"
    ),
    source_collection: Annotated[str, typer.Option()] = "beir-medquad_cardio_dev__minilm",
    queries: Annotated[Path, typer.Option(help="BEIR queries.jsonl.")] = Path(
        "../shared/data/eval/medquad_cardio_dev/queries.jsonl"
    ),
    model: Annotated[str, typer.Option()] = "minilm",
    sizes: Annotated[list[int] | None, typer.Option("--size")] = None,
    query_count: Annotated[int, typer.Option()] = 200,
    json_path: Annotated[Path | None, typer.Option("--json")] = None,
) -> None:
    """Print p50/p95 latency of embed + search per mode and collection size."""
    settings = Settings()
    configure_torch(settings.torch_threads)
    encoder = load_encoder(settings.model_specs()[model], cache_dir=settings.model_cache_dir)
    bm25 = Bm25Encoder()
    with EdgeStore(source_data_dir / "qdrant") as source:
        points = list(source.export_points(source_collection))
    texts = [json.loads(line)["text"] for line in queries.read_text().splitlines()][:query_count]
    rows = []
    for size in sizes or [10_000, 100_000]:
        with tempfile.TemporaryDirectory() as scratch, EdgeStore(Path(scratch)) as store:
            store.create_collection("latency", encoder.dimension)
            started = time.perf_counter()
            batch: list[StoredPoint] = []
            for point in _filled(points, size, seed=size):
                batch.append(point)
                if len(batch) == _BATCH:
                    store.upsert("latency", batch)
                    batch = []
            store.upsert("latency", batch)
            store.finish_writes("latency")
            build_seconds = time.perf_counter() - started
            for mode in SearchMode:
                samples = []
                for text in texts:
                    began = time.perf_counter()
                    dense = None if mode is SearchMode.SPARSE else encoder.encode_queries([text])[0]
                    sparse = None if mode is SearchMode.DENSE else bm25.embed_query(text)
                    store.search("latency", StoreQuery(mode, 10, dense=dense, sparse=sparse))
                    samples.append((time.perf_counter() - began) * 1000)
                rows.append(
                    {"chunks": size, "mode": str(mode), **_percentiles(samples),
                     "build_s": round(build_seconds, 1)}
                )  # fmt: skip
    print("| chunks | mode | p50 ms | p95 ms | upsert + HNSW build s |\n|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['chunks']:,} | {row['mode']} | {row['p50_ms']} | {row['p95_ms']} "
            f"| {row['build_s']} |"
        )
    if json_path is not None:
        payload = {"model": model, "queries": len(texts), "real_points": len(points), "rows": rows}
        json_path.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    app()
