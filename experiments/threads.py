"""Which torch thread count to default to: encode throughput with 1 and 2 threads.

Measured on an idle machine and while another process keeps one core busy (a second job).

    .venv/bin/python -m experiments.threads --json benchmarks/results/threads_minilm.json
"""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path
from typing import Annotated

import typer

from adapters import configure_torch
from retrieval import Settings, open_runtime

app = typer.Typer(add_completion=False)


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _texts(data: Path, count: int) -> list[str]:
    """Paragraph-sized passages of real textbook text (about 150-250 tokens each)."""
    lines = next((data / "textbook").glob("*.jsonl")).read_text(encoding="utf-8").splitlines()
    paragraphs = [p for line in lines for p in json.loads(line)["text"].split("\n\n")]
    return [p[:1100] for p in paragraphs if len(p) > 600][:count]


@app.command()
def main(
    data: Annotated[Path, typer.Option(help="Folder with textbook/.")] = Path("../shared/data"),
    model: Annotated[str, typer.Option(help="Model spec id.")] = "minilm",
    count: Annotated[int, typer.Option(help="Passages to encode per measurement.")] = 256,
    json_path: Annotated[Path | None, typer.Option("--json")] = None,
) -> None:
    """Print passages/s for each thread count, idle and with one core busy."""
    with open_runtime(Settings()) as runtime:  # its model loader only: the encoder outlives it
        encoder = runtime.encoder(model)
    texts = _texts(data, count)
    encoder.encode_documents(texts[:32])
    results = []
    for load in ("idle", "one core busy"):
        for threads in (1, 2):
            configure_torch(threads)
            competitor = None
            if load != "idle":
                competitor = multiprocessing.Process(target=_busy, args=(600,))
                competitor.start()
            started = time.perf_counter()
            encoder.encode_documents(texts, batch_size=32)
            rate = len(texts) / (time.perf_counter() - started)
            if competitor is not None:
                competitor.terminate()
                competitor.join()
            results.append({"load": load, "threads": threads, "passages_per_s": round(rate, 2)})
    print("| load | threads | passages/s |\n|---|---|---|")
    for row in results:
        print(f"| {row['load']} | {row['threads']} | {row['passages_per_s']} |")
    if json_path is not None:
        json_path.write_text(
            json.dumps({"model": model, "passages": len(texts), "results": results}, indent=2)
            + "\n"
        )


if __name__ == "__main__":
    app()
