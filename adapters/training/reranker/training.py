"""Train the reranker: LoRA on a base encoder plus a scoring head, with a listwise loss.

Each step asks the model to put each group's answer before its hard negatives: cross-entropy
over the group's scores (localised contrastive estimation, Gao et al. 2021), the very choice a
reranker makes. A pointwise loss over random negatives learns only the topic matching that the
first stage already does.

The loop is plain PyTorch rather than sentence-transformers' CrossEncoderTrainer: the new head
needs a much higher rate than the LoRA body, and a peft model whose head is saved with its
adapter loads with peft alone (docs/reranker.md).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adapters.cross_encoder import CrossEncoder, load_sequence_classifier, tokenize_pairs
from adapters.training.reranker.group import RerankGroup

logger = logging.getLogger(__name__)

HEAD_MODULES = ("classifier", "pooler")


@dataclass(frozen=True, slots=True)
class RerankerOptions:
    """The recipe. Defaults are those the shipped reranker was trained with."""

    steps: int = 800
    groups_per_step: int = 4
    negatives: int = 7
    max_length: int = 192
    body_learning_rate: float = 5e-4
    head_learning_rate: float = 2e-3
    warmup_ratio: float = 0.06
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("query", "key", "value", "dense")
    layers: int | None = None  # the base's first N layers only; None: all
    full_fine_tune: bool = False
    seed: int = 42
    bf16: bool = True


ProgressCallback = Callable[[int, int, float], None]


def _model(base: str, options: RerankerOptions) -> Any:
    import torch
    from peft import LoraConfig, TaskType, get_peft_model

    # fp32 master weights; bf16 is autocast
    model = load_sequence_classifier(base, torch.float32, layers=options.layers)
    if options.full_fine_tune:
        return model
    config = LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=options.lora_r,
        lora_alpha=options.lora_alpha,
        lora_dropout=options.lora_dropout,
        target_modules=list(options.target_modules),
        modules_to_save=list(HEAD_MODULES),
    )
    return get_peft_model(model, config)


def _parameter_groups(model: Any, options: RerankerOptions) -> list[dict[str, Any]]:
    head, body = [], []
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            (head if any(part in name for part in HEAD_MODULES) else body).append(parameter)
    return [
        {"params": body, "lr": options.body_learning_rate},
        {"params": head, "lr": options.head_learning_rate},
    ]


def group_loss(model: Any, tokenizer: Any, groups: Sequence[RerankGroup], max_length: int) -> Any:
    """Cross-entropy of each group's answer (first) against its negatives."""
    import torch

    queries = [g.query for g in groups for _ in range(1 + len(g.negatives))]
    passages = [p for g in groups for p in (g.positive, *g.negatives)]
    inputs = tokenize_pairs(tokenizer, queries, passages, max_length)
    logits = model(**inputs).logits[:, 0].float().view(len(groups), -1)
    labels = torch.zeros(len(groups), dtype=torch.long)
    return torch.nn.functional.cross_entropy(logits, labels)


def train_reranker(
    base: str,
    train: Sequence[RerankGroup],
    out: Path,
    options: RerankerOptions,
    *,
    on_step: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Train on `train` groups and save the adapter and head to `out`; returns the run's record."""
    import torch
    from transformers import AutoTokenizer, get_linear_schedule_with_warmup

    torch.manual_seed(options.seed)
    rng = random.Random(options.seed)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = _model(base, options)
    model.train()
    optimizer = torch.optim.AdamW(_parameter_groups(model, options), weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(
        optimizer, int(options.warmup_ratio * options.steps), options.steps
    )
    order: list[RerankGroup] = []
    losses: list[float] = []
    started = time.perf_counter()
    for step in range(1, options.steps + 1):
        if len(order) < options.groups_per_step:
            order = list(train)
            rng.shuffle(order)
        batch = [order.pop() for _ in range(options.groups_per_step)]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=options.bf16):
            loss = group_loss(model, tokenizer, batch, options.max_length)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(float(loss.detach()))
        if on_step is not None:
            on_step(step, options.steps, float(np.mean(losses[-50:])))
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    if options.full_fine_tune:  # a whole model folder carries its tokenizer; an adapter does not
        tokenizer.save_pretrained(str(out))
    window = max(1, min(50, options.steps // 4))  # the loss is noisy: mean over a window
    return {
        "options": asdict(options),
        "seconds": round(time.perf_counter() - started, 1),
        "loss_window": window,
        "loss_first": round(float(np.mean(losses[:window])), 4),
        "loss_last": round(float(np.mean(losses[-window:])), 4),
        "groups": len(train),
    }


def group_metrics(scores: Sequence[np.ndarray]) -> dict[str, float]:
    """Accuracy@1 and MRR of the answer (index 0) among each group's scores."""
    ranks = [1 + int(np.sum(s[1:] > s[0])) for s in scores]
    return {
        "accuracy@1": round(float(np.mean([r == 1 for r in ranks])), 4),
        "mrr": round(float(np.mean([1 / r for r in ranks])), 4),
    }


def score_groups(reranker: CrossEncoder, groups: Sequence[RerankGroup]) -> list[np.ndarray]:
    """The reranker's scores of each group's passages, the answer first."""
    return [reranker.score(g.query, [g.positive, *g.negatives]) for g in groups]
