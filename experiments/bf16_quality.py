"""What bfloat16 does to retrieval quality: nDCG@10 of fp32 and bf16 vectors of one model.

Exact (brute-force) cosine search over a BEIR-format set, so only the dtype differs.

    python -m experiments.bf16_quality --dataset ../shared/data/eval/openstax_glossary
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from adapters import load_encoder
from retrieval import Settings

app = typer.Typer(add_completion=False)


def _read_jsonl(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """BEIR qrels: a header, then query-id, corpus-id and score separated by tabs."""
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        query_id, doc_id, score = line.split("\t")
        qrels.setdefault(query_id, {})[doc_id] = int(score)
    return qrels


@app.command()
def main(
    dataset: Annotated[Path, typer.Option(help="BEIR folder.")] = Path(
        "../shared/data/eval/openstax_glossary"
    ),
    model: Annotated[str, typer.Option(help="Model spec id.")] = "minilm",
    json_path: Annotated[Path | None, typer.Option("--json")] = None,
) -> None:
    """Print nDCG@10 and Recall@10 for float32 and bfloat16."""
    from ranx import Qrels, Run, evaluate

    settings = Settings()
    settings.configure_torch()
    corpus = _read_jsonl(dataset / "corpus.jsonl")
    queries = _read_jsonl(dataset / "queries.jsonl")
    qrels = Qrels.from_dict(_read_qrels(dataset / "qrels" / "test.tsv"))
    spec = settings.model_specs()[model]
    results = {}
    for dtype in ("float32", "bfloat16"):
        variant = spec.model_copy(update={"id": f"{model}-{dtype}", "dtype": dtype})
        encoder = load_encoder(variant, cache_dir=settings.model_cache_dir)
        docs = encoder.encode_documents([f"{d.get('title', '')}\n{d['text']}" for d in corpus])
        found = encoder.encode_queries([q["text"] for q in queries]) @ docs.T
        top = np.argsort(-found, axis=1)[:, :10]
        run = Run(
            {
                q["_id"]: {corpus[i]["_id"]: float(found[n, i]) for i in top[n]}
                for n, q in enumerate(queries)
            }
        )
        scores = evaluate(qrels, run, ["ndcg@10", "recall@10"])
        results[dtype] = {name: round(float(value), 4) for name, value in scores.items()}
    print("| dtype | nDCG@10 | Recall@10 |\n|---|---|---|")
    for dtype, scores in results.items():
        print(f"| {dtype} | {scores['ndcg@10']} | {scores['recall@10']} |")
    if json_path is not None:
        payload = {"dataset": dataset.name, "model": model, "results": results}
        json_path.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    app()
