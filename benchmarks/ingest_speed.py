"""Ingest speed: end-to-end chunks/s against raw encode throughput of the same chunks.

Ingests textbook + notes + PDFs from the data folder into a fresh data dir with one model,
then encodes exactly the chunks that ingest stored, with the same model and batch size, and
reports both rates, their ratio, and peak memory. Optionally repeats the encode in bfloat16 and
reports the speed change and the cosine between fp32 and bf16 vectors.

    python -m benchmarks.ingest_speed --data ../shared/data \
        --json benchmarks/results/ingest_speed_minilm.json
"""

from __future__ import annotations

import json
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from adapters import (
    Encoder,
    ModelSpec,
    configure_torch,
    cpu_supports_bf16,
    load_encoder,
)
from ingest import LoadOptions, ingest_paths
from retrieval import Catalog, Settings, open_store

app = typer.Typer(add_completion=False)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@app.command()
def main(
    data: Annotated[Path, typer.Option(help="Folder with textbook/, notes/ and pdfs/.")] = Path(
        "../shared/data"
    ),
    model: Annotated[str, typer.Option(help="Model spec id.")] = "minilm",
    threads: Annotated[int | None, typer.Option(help="torch threads [default: setting].")] = None,
    bf16: Annotated[bool, typer.Option(help="Also time a bfloat16 encode.")] = True,
    json_path: Annotated[Path | None, typer.Option("--json")] = None,
) -> None:
    """Run the benchmark and print a Markdown table."""
    threads = threads or Settings().torch_threads
    configure_torch(threads)
    spec = Settings().model_specs()[model]
    bf16_spec = spec.model_copy(update={"id": f"{model}-bf16", "dtype": "bfloat16"})
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch))
        catalog = Catalog(settings.sql_url_or_default())
        catalog.create_schema()

        def loader(spec: ModelSpec) -> Encoder:
            return load_encoder(spec, cache_dir=settings.model_cache_dir)

        encoder = loader(spec)  # loaded before timing, as a long-running service would
        paths = [data / "textbook", data / "notes", data / "pdfs"]
        with open_store(settings) as store:
            started = time.perf_counter()
            report = ingest_paths(
                paths,
                options=LoadOptions(exclude=("SOURCES.txt",)),
                corpus="bench",
                models=[spec],
                store=store,
                catalog=catalog,
                load_encoder=loader,
            )
            ingest_seconds = time.perf_counter() - started
        # Every chunk ingest stored: none of them is embedded by the bf16 variant yet.
        texts = [c.text for c in catalog.pending_chunks("bench", bf16_spec.id)]
        catalog.close()
    started = time.perf_counter()
    fp32 = encoder.encode_documents(texts, batch_size=settings.embed_batch_size)
    encode_seconds = time.perf_counter() - started
    result: dict[str, object] = {
        "model": model,
        "dtype": str(encoder.model.dtype),
        "threads": threads,
        "cpu": platform.processor() or platform.machine(),
        "cpu_native_bf16": cpu_supports_bf16(),
        "documents": report.added,
        "chunks": len(texts),
        "ingest_seconds": round(ingest_seconds, 1),
        "ingest_chunks_per_s": round(len(texts) / ingest_seconds, 2),
        "embed_stage_chunks_per_s": round(report.models[0].chunks_per_second, 2),
        "raw_encode_chunks_per_s": round(len(texts) / encode_seconds, 2),
        "pipeline_vs_raw": round((len(texts) / ingest_seconds) / (len(texts) / encode_seconds), 3),
        "peak_rss_mb": round(_peak_rss_mb()),
    }
    if bf16:
        bf16_encoder = load_encoder(bf16_spec, cache_dir=settings.model_cache_dir)
        started = time.perf_counter()
        low = bf16_encoder.encode_documents(texts, batch_size=settings.embed_batch_size)
        seconds = time.perf_counter() - started
        cosines = np.sum(fp32 * low, axis=1)
        result |= {
            "bf16_raw_encode_chunks_per_s": round(len(texts) / seconds, 2),
            "bf16_vs_fp32_cosine_min": round(float(cosines.min()), 4),
            "bf16_vs_fp32_cosine_mean": round(float(cosines.mean()), 4),
        }
    print("| measure | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value} |")
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    app()
