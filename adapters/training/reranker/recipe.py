"""The reranker's recipe as one call: mine groups, train, check on held-out topics, publish.

The run works in `<out>.partial/`, writes the adapter, its record (`cardiorag_reranker.json`)
and its model card (README.md) there, reloads it to check that it scores as it did, and only
then moves it to `<out>`: a cut-off run never leaves a half-written reranker where one was.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from adapters.adapter_files import publish_adapter, record_base
from adapters.cross_encoder import CrossEncoder
from adapters.encoder import Encoder
from adapters.placement import AUTO_PLACEMENT, PlacementRequest, placement_for
from adapters.specs import ModelSpec
from adapters.training.reranker.data import NEIGHBOUR_POOL, RerankData, build_rerank_data
from adapters.training.reranker.group import RerankGroup
from adapters.training.reranker.training import (
    ProgressCallback,
    RerankerOptions,
    group_metrics,
    score_groups,
    train_reranker,
)

RECORD_FILE = "cardiorag_reranker.json"
NEIGHBOUR_TOKENS = 128  # enough of an answer to find its neighbours, short enough to mine fast


def encoder_neighbours(encoder: Encoder) -> Any:
    """`neighbours(questions, passages)` by the base encoder: passage indices, best first."""
    cache: dict[int, np.ndarray] = {}

    def neighbours(questions: Sequence[str], passages: Sequence[str]) -> np.ndarray:
        key = hash(tuple(passages))
        if key not in cache:
            cache[key] = encoder.encode_documents(list(passages), batch_size=64)
        similarity = encoder.encode_queries(list(questions)) @ cache[key].T
        pool = min(NEIGHBOUR_POOL, similarity.shape[1] - 1)
        top = np.argpartition(-similarity, pool, axis=1)[:, :pool]
        order = np.take_along_axis(similarity, top, axis=1).argsort(axis=1)[:, ::-1]
        return np.take_along_axis(top, order, axis=1)

    return neighbours


def bi_encoder_scores(encoder: Encoder, groups: Sequence[RerankGroup]) -> list[np.ndarray]:
    """The base encoder's cosines for each group (the answer first): what reranking must beat."""
    return [
        encoder.encode_documents([g.positive, *g.negatives]) @ encoder.encode_queries([g.query])[0]
        for g in groups
    ]


def _card(record: dict[str, Any]) -> str:
    data, run, heldout = record["data"], record["training"], record["heldout"]
    options = run["options"]
    sets = ", ".join(data["evaluation_sets"])
    bi, ce = heldout["bi_encoder"], heldout["reranker"]
    definitions = record["heldout_definitions"]
    dbi, dce = definitions["bi_encoder"], definitions["reranker"]
    rows = "\n".join(f"| {name} | {value} |" for name, value in options.items())
    return f"""---
library_name: peft
base_model: {record["base"]}
tags: [cross-encoder, reranker, lora, cardiology, cardiorag]
---

# {record["id"]}: a cardiology reranker (cross-encoder, LoRA + scoring head)

The question and a passage (its title and section, then its text) are read together; one
logit out, higher when the passage answers the question. It reorders a first stage's best
candidates, picks the answer's sentences and says when nothing answers (docs/reranker.md).

## Reproduce

```
{record["command"]}
```

Trained on {record["machine"]} ({run["seconds"] / 60:.1f} min, seed {options["seed"]}). A reloaded
copy reproduced the trained model's held-out scores to {record["reload_max_difference"]:.1e}.

## Data (no evaluation material)

- {data["medquad"]}; {data["dropped_pairs"]} pairs dropped: every question about one of the
  {data["evaluation_focuses"]} focuses (topics) that an evaluation set ({sets}) judges, not only its
  own questions. MedQuAD's answers about one focus differ by question
  type, so a question kept from a held-out topic would teach its answers.
- Held-out topics (5% of the remaining focuses, by a hash): {data["heldout_topics_pairs"]}
  pairs, none trained on; {data["heldout_groups"]} groups of them score the reranker below.
- {data["medquad_groups"]} MedQuAD groups: a question, its answer (behind its focus, as the
  context header puts a title), and {data["negatives"]} negatives: up to 3 answers about the
  same focus to another question type, then answers the base encoder ranks near the question.
- {data["sentence_groups"]} sentence groups: the same kind of group with each answer cut to
  the sentence that answers (its first statement after any restated question), so that the
  answer's sentences are chosen for saying what is asked, not for sharing its words.
- {data["textbook_groups"]} textbook groups ({data["textbook"]}): a span of a ~150-word
  window as the query, its window as the answer; other windows of its section and of other
  sections as negatives.
- {data["definition_groups"]} definition groups: a sentence that says what a term is or does
  ("The small P wave represents the depolarization of the atria.") answers the question it
  states ("What does the small P wave represent?") against sentences that only mention the
  term; from MedQuAD answers (training topics) and from 80% of the textbook's sections, also
  at passage level. The other 20% of the sections give {data["heldout_definition_groups"]}
  held-out groups.

## Recipe

Listwise cross-entropy over each group (the answer against its negatives), bf16 autocast,
AdamW with a linear warm-up and decay; the LoRA body and the new head learn at their own rates.

| hyper-parameter | value |
|---|---|
{rows}

Loss: {run["loss_first"]:.3f} (first {run["loss_window"]} steps) -> {run["loss_last"]:.3f} (last
{run["loss_window"]}).

## Held-out topics: the answer among its hard negatives

| scorer | accuracy@1 | MRR |
|---|---|---|
| base encoder (cosine) | {bi["accuracy@1"]:.3f} | {bi["mrr"]:.3f} |
| this reranker | {ce["accuracy@1"]:.3f} | {ce["mrr"]:.3f} |

Held-out textbook sections, definition questions (the defining sentence or its passage among
sentences or passages that mention the term):

| scorer | accuracy@1 | MRR |
|---|---|---|
| base encoder (cosine) | {dbi["accuracy@1"]:.3f} | {dbi["mrr"]:.3f} |
| this reranker | {dce["accuracy@1"]:.3f} | {dce["mrr"]:.3f} |

Figures on the evaluation sets, latency and calibration: docs/reranker.md.

## Limits

- English; trained on consumer-health answers (MedQuAD) and one textbook, not on clinical
  notes or guidelines: it judges notes less surely (see docs/reranker.md).
- It reads {options["max_length"]} tokens of question and passage: the end of a long chunk is
  not seen.
- Its logits are not probabilities; the confidence the app shows comes from a curve fitted on
  them (`benchmarks calibrate --rerank`).
"""


def run_recipe(
    base_spec: ModelSpec,
    base_path: str,
    encoder: Encoder,
    out: Path,
    *,
    medquad: Path,
    textbook: Path | None,
    exclude: Sequence[Path],
    medquad_groups: int,
    sentence_groups: int,
    textbook_groups: int,
    definition_groups: int,
    options: RerankerOptions,
    command: str,
    machine: str,
    reranker_id: str,
    on_step: ProgressCallback | None = None,
    placement: PlacementRequest = AUTO_PLACEMENT,
) -> dict[str, Any]:
    """Mine, train, check and publish; returns the record written next to the adapter.

    The held-out check loads the trained reranker as it will be served: in the dtype that
    `placement` (`Settings.placement`) gives the base spec.
    """
    data: RerankData = build_rerank_data(
        medquad,
        textbook,
        exclude,
        encoder_neighbours(encoder),
        medquad_groups_count=medquad_groups,
        sentence_groups_count=sentence_groups,
        textbook_groups_count=textbook_groups,
        definition_groups_count=definition_groups,
        negatives=options.negatives,
        seed=options.seed,
    )
    staged = out.with_name(out.name + ".partial")
    shutil.rmtree(staged, ignore_errors=True)
    training = train_reranker(base_path, data.train, staged, options, on_step=on_step)
    record_base(staged, base_spec.base)
    dtype = placement_for(base_spec, placement).torch_dtype
    # A whole model (full fine-tuning) is its own base, its depth in its config.
    base, adapter, layers = (
        (str(staged), None, None) if options.full_fine_tune
        else (base_path, staged, options.layers)
    )  # fmt: skip
    load_staged = partial(
        CrossEncoder.load, base, adapter, dtype=dtype, max_length=options.max_length,
        name=reranker_id, layers=layers,
    )  # fmt: skip
    trained = load_staged()
    scores = score_groups(trained, data.heldout)
    reloaded = load_staged()
    again = score_groups(reloaded, data.heldout[:20])
    difference = max(float(np.abs(a - b).max()) for a, b in zip(scores, again, strict=False))
    record = {
        "id": reranker_id,
        "base": base_spec.base,
        "command": command,
        "machine": machine,
        "data": data.sources,
        "training": training,
        "heldout": {
            "reranker": group_metrics(scores),
            "bi_encoder": group_metrics(bi_encoder_scores(encoder, data.heldout)),
        },
        "heldout_definitions": {
            "reranker": group_metrics(score_groups(trained, data.heldout_definitions)),
            "bi_encoder": group_metrics(bi_encoder_scores(encoder, data.heldout_definitions)),
        },
        "reload_max_difference": difference,
    }
    (staged / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    (staged / "README.md").write_text(_card(record), encoding="utf-8")
    publish_adapter(staged, out)
    return record
