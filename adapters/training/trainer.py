"""The sentence-transformers trainer of one LoRA run: the base, the data, the loss, the stopping."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.placement import Placement
from adapters.specs import ModelSpec
from adapters.training.heldout import heldout_evaluator
from adapters.training.options import TrainingOptions
from adapters.training.text_pair import TextPair

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

ADAPTER_NAME = "default"
# The query and value projections of architectures peft has no default for (the study adapts
# query and value); None leaves the choice to peft (BERT: "query", "value").
_QUERY_VALUE = {"mpnet": ["q", "v"]}


def load_base(
    base: ModelSpec, source: str, max_seq_length: int, device: str
) -> SentenceTransformer:
    """The base in float32: the master weights, which bf16 only autocasts."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(
        source,
        device=device,
        revision=base.revision,
        trust_remote_code=base.trust_remote_code,
        local_files_only=True,
        model_kwargs={"dtype": torch.float32},
    )
    model.max_seq_length = max_seq_length
    return model


def with_hard_negatives(
    model: SentenceTransformer, pairs: Sequence[TextPair], count: int, seed: int
) -> list[TextPair]:
    """Replace each pair's negative with one mined by the base model among the other passages.

    The top few passages are skipped (`range_min`): in MedQuAD the same question is often
    answered on several NIH sites, and those near-copies are positives, not negatives.
    """
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    dataset = Dataset.from_dict(
        {"anchor": [p.query for p in pairs], "positive": [p.positive for p in pairs]}
    )
    random.seed(seed)
    mined = mine_hard_negatives(
        dataset,
        model,
        range_min=3,
        range_max=30,
        num_negatives=count,
        sampling_strategy="random",
        output_format="triplet",
        batch_size=64,
        verbose=False,
    )
    return [TextPair(row["anchor"], row["positive"], row["negative"]) for row in mined]


def _dataset(pairs: Sequence[TextPair]) -> Any:
    from datasets import Dataset

    columns: dict[str, list[str]] = {
        "anchor": [p.query for p in pairs],
        "positive": [p.positive for p in pairs],
    }
    if all(p.negative for p in pairs):
        columns["negative"] = [p.negative or "" for p in pairs]
    return Dataset.from_dict(columns)


def _target_modules(model: Any, chosen: tuple[str, ...] | None) -> list[str] | None:
    if chosen:
        return list(chosen)
    return _QUERY_VALUE.get(getattr(model[0].auto_model.config, "model_type", ""))


def build_trainer(
    model: SentenceTransformer,
    base: ModelSpec,
    train_pairs: Sequence[TextPair],
    heldout: Sequence[TextPair],
    work: Path,
    options: TrainingOptions,
    placement: Placement,
    *,
    show_progress: bool,
) -> Any:
    """LoRA on `model`, MNRL over `train_pairs`, early stopping on the held-out nDCG@10."""
    from peft import LoraConfig, TaskType
    from sentence_transformers.sentence_transformer import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import (
        CachedMultipleNegativesRankingLoss,
        MultipleNegativesRankingLoss,
    )
    from sentence_transformers.sentence_transformer.training_args import BatchSamplers
    from transformers import EarlyStoppingCallback

    model.add_adapter(
        LoraConfig(
            task_type=TaskType.FEATURE_EXTRACTION,
            r=options.lora_r,
            lora_alpha=options.lora_alpha,
            lora_dropout=options.lora_dropout,
            target_modules=_target_modules(model, options.target_modules),
        ),
        adapter_name=ADAPTER_NAME,
    )
    autocast = options.autocast_dtype(placement)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(work / "checkpoints"),
        num_train_epochs=options.epochs,
        per_device_train_batch_size=options.batch_size,
        per_device_eval_batch_size=64,
        learning_rate=options.learning_rate,
        warmup_steps=options.warmup_ratio,  # a float below 1 is a ratio in transformers 5
        seed=options.seed,
        data_seed=options.seed,
        bf16=autocast == "bfloat16",
        fp16=autocast == "float16",
        use_cpu=placement.device == "cpu",
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        eval_strategy="steps",
        eval_steps=options.eval_steps,
        save_strategy="steps",
        save_steps=options.eval_steps,
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="eval_heldout_cosine_ndcg@10",
        greater_is_better=True,
        logging_steps=max(1, options.eval_steps // 4),
        report_to="none",
        disable_tqdm=not show_progress,
        dataloader_num_workers=0,
        # The spec's prefixes, so the adapter learns on the texts it will embed.
        prompts={
            column: prefix
            for column, prefix in (
                ("anchor", base.query_prefix),
                ("positive", base.document_prefix),
                ("negative", base.document_prefix),
            )
            if prefix
        }
        or None,
    )
    return SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=_dataset(train_pairs),
        loss=CachedMultipleNegativesRankingLoss(model, mini_batch_size=options.mini_batch_size)
        if options.mini_batch_size and options.mini_batch_size < options.batch_size
        else MultipleNegativesRankingLoss(model),
        evaluator=heldout_evaluator(base, heldout),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=options.patience)],
    )
