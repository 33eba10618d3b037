"""Train a LoRA adapter on text pairs: peft through sentence-transformers, MNRL, early stopping.

The run works in `<out>.partial/`: checkpoints land there (so `resume=True` continues a run
that was cut off), the finished adapter is written there, checked, and only then renamed to
`<out>`. An interrupted run therefore never leaves a half-written adapter where a good one was.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from adapters.adapter_files import (
    PEFT_CONFIG,
    base_architecture,
    publish_adapter,
    write_adapter_info,
)
from adapters.adapter_info import AdapterInfo
from adapters.errors import AdapterError
from adapters.placement import Placement, placement_for
from adapters.specs import ModelSpec
from adapters.training.pairs import TextPair, TrainingData, pair_fingerprint
from adapters.training.separation import separation_score
from adapters.training.workdir import ledger_callback, prepare_workdir, read_ledger
from adapters.weights import resolve_base

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

ADAPTER_NAME = "default"


@dataclass(frozen=True, slots=True)
class TrainingOptions:
    """Hyper-parameters of one run. The defaults are the study's LoRA settings where they fit a CPU.

    The study used lr 2e-5 over 106k pairs and 2 epochs; with the few thousand steps a 2-core
    machine affords, LoRA needs a larger rate (2e-4 here), as is usual for LoRA.
    """

    epochs: float = 1.0
    learning_rate: float = 2e-4
    batch_size: int = 32
    max_seq_length: int = 256
    warmup_ratio: float = 0.1
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    target_modules: tuple[str, ...] | None = None
    eval_steps: int = 100
    patience: int = 3
    hard_negatives: int = 0
    seed: int = 42
    # None: autocast in the dtype the base is served in (bf16 where the hardware has it).
    bf16: bool | None = None
    # Embed each batch in pieces of this size (GradCache): the same gradients in a fraction of
    # the memory, for about a third more compute. MPNet at 32 x 256 tokens outgrew 24 GB
    # without it.
    mini_batch_size: int | None = None

    def autocast_dtype(self, placement: Placement) -> str:
        """Mixed precision of the run: float32 master weights, autocast in the returned dtype.

        Follows the device's dtype (bf16 only where it is native: emulated it is 3x slower),
        unless `bf16` says otherwise.
        """
        if self.bf16 is not None:
            return "bfloat16" if self.bf16 else "float32"
        return placement.dtype if placement.dtype in ("bfloat16", "float16") else "float32"


@dataclass(frozen=True, slots=True)
class TrainingResult:
    """What `train_adapter` produced, and the trained model itself (base + adapter)."""

    out: Path
    info: AdapterInfo
    seconds: float
    model: SentenceTransformer


def _plan(base: ModelSpec, data: TrainingData, options: TrainingOptions) -> dict[str, Any]:
    """What a run depends on: a resumed run must match it, or its checkpoints mean nothing.

    `mini_batch_size` is left out: it changes memory, not gradients, so a run cut off for
    want of memory can resume with a smaller one.
    """
    options_that_matter = {
        name: value for name, value in asdict(options).items() if name != "mini_batch_size"
    }
    return {
        "base": base.base,
        "base_spec_hash": base.spec_hash,
        "options": options_that_matter,
        "train_pairs": len(data.train),
        "heldout_pairs": len(data.heldout),
        "sources": data.sources,
    }


def _load_base(
    base: ModelSpec, source: str, max_seq_length: int, device: str
) -> SentenceTransformer:
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(
        source,
        device=device,
        revision=base.revision,
        trust_remote_code=base.trust_remote_code,
        local_files_only=True,
        model_kwargs={"dtype": torch.float32},  # master weights; bf16 is autocast only
    )
    model.max_seq_length = max_seq_length
    return model


def _with_hard_negatives(
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


def _heldout_evaluator(base: ModelSpec, pairs: Sequence[TextPair]) -> Any:
    """Retrieval among the held-out passages: each query should find its own passage."""
    from sentence_transformers.sentence_transformer.evaluation import (
        InformationRetrievalEvaluator,
    )

    passages: dict[str, str] = {}
    relevant: dict[str, set[str]] = {}
    queries: dict[str, str] = {}
    for number, pair in enumerate(pairs):
        doc_id = passages.setdefault(pair.positive, f"d{len(passages)}")
        queries[f"q{number}"] = pair.query
        relevant[f"q{number}"] = {doc_id}
    return InformationRetrievalEvaluator(
        queries=queries,
        corpus={doc_id: text for text, doc_id in passages.items()},
        relevant_docs=relevant,
        name="heldout",
        ndcg_at_k=[10],
        mrr_at_k=[10],
        accuracy_at_k=[1, 10],
        precision_recall_at_k=[10],
        map_at_k=[100],
        write_csv=False,
        batch_size=64,
        query_prompt=base.query_prefix or None,
        corpus_prompt=base.document_prefix or None,
    )


def _heldout_scores(
    model: SentenceTransformer, base: ModelSpec, pairs: Sequence[TextPair], seed: int
) -> dict:
    scores = _heldout_evaluator(base, pairs)(model)

    def encoder(prefix: str) -> Callable[[Sequence[str]], np.ndarray]:
        return lambda texts: model.encode(
            list(texts), prompt=prefix or None, batch_size=64, normalize_embeddings=True
        )

    separation = separation_score(
        encoder(base.query_prefix), encoder(base.document_prefix), pairs, seed=seed
    )
    return {
        "nDCG@10": round(float(scores["heldout_cosine_ndcg@10"]), 4),
        "MRR@10": round(float(scores["heldout_cosine_mrr@10"]), 4),
        "Recall@10": round(float(scores["heldout_cosine_recall@10"]), 4),
        "separation": separation.as_dict(),
    }


# Both sides of the reload check compute in float32 (master weights, autocast removed), where the
# same weights give the same vectors to rounding; a lost or ignored adapter moves them by 1e-3+.
RELOAD_TOLERANCE = 1e-5


def _check_reload(
    model: SentenceTransformer,
    base: ModelSpec,
    source: str,
    adapter_dir: Path,
    max_len: int,
) -> float:
    """Reload base + saved adapter and compare: guards against a save that lost weights."""
    probe = [
        "Atrial fibrillation with rapid ventricular response",
        "What are the symptoms of heart failure?",
    ]
    expected = model.encode(probe, normalize_embeddings=True)
    reloaded = _load_base(base, source, max_len, str(model.device))
    reloaded.load_adapter(str(adapter_dir))
    difference = float(np.abs(reloaded.encode(probe, normalize_embeddings=True) - expected).max())
    if difference > RELOAD_TOLERANCE:
        raise AdapterError(
            f"the saved adapter does not reproduce the trained model (max difference "
            f"{difference:.2e}); nothing was published"
        )
    return difference


def train_adapter(
    base: ModelSpec,
    data: TrainingData,
    out: Path,
    options: TrainingOptions | None = None,
    *,
    cache_dir: Path,
    overwrite: bool = False,
    resume: bool = False,
    show_progress: bool = True,
    command: str = "",
) -> TrainingResult:
    """Train a LoRA adapter for `base` and publish it at `out` with its model card.

    Raises:
        AdapterError: When `out` exists without `overwrite`, the base has an adapter already,
            there are too few pairs, or a resumed run does not match its checkpoints.
    """
    options = options or TrainingOptions()
    if base.adapter is not None:
        raise AdapterError(f"model {base.id!r} has an adapter already; train on a plain base")
    if len(data.train) < options.batch_size:
        raise AdapterError(
            f"{len(data.train)} training pairs is fewer than one batch ({options.batch_size})"
        )
    if not data.heldout:
        raise AdapterError("no held-out pairs: raise the held-out fraction")
    plan = _plan(base, data, options)
    work, checkpoint = prepare_workdir(out, plan, overwrite=overwrite, resume=resume)
    source = resolve_base(base, cache_dir=cache_dir, allow_downloads=False)
    placement = placement_for(base)
    started = time.perf_counter()
    model = _load_base(base, source, options.max_seq_length, placement.device)
    train_pairs = data.train
    if options.hard_negatives:
        logger.info(
            "mining %d hard negative(s) per pair with the base model", options.hard_negatives
        )
        train_pairs = _with_hard_negatives(model, train_pairs, options.hard_negatives, options.seed)
    ledger = read_ledger(work) if checkpoint else {}
    if "heldout_base" not in ledger:
        logger.info("held-out scores of the base model (%d pairs)", len(data.heldout))
        ledger["heldout_base"] = _heldout_scores(model, base, data.heldout, options.seed)
    heldout_base = ledger["heldout_base"]
    earlier_seconds = float(ledger.get("seconds", 0.0))
    trainer = _trainer(
        model,
        base,
        train_pairs,
        data.heldout,
        work,
        options,
        placement,
        show_progress=show_progress,
    )
    trainer.add_callback(ledger_callback(work, ledger, started - earlier_seconds))
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    # The trainer leaves an autocast wrapper on forward; remove it, so that the held-out scores
    # and the reload check compare float32 with float32, as the base's were measured.
    trainer.accelerator.unwrap_model(model, keep_fp32_wrapper=False)
    heldout_adapter = _heldout_scores(model, base, data.heldout, options.seed)
    staged = work / "adapter"
    if staged.exists():
        shutil.rmtree(staged)
    model.transformers_model.save_pretrained(str(staged))
    target_modules = record_base(staged, base.base)
    reload_difference = _check_reload(model, base, source, staged, options.max_seq_length)
    seconds = earlier_seconds + time.perf_counter() - started
    state = trainer.state
    autocast = options.autocast_dtype(placement)
    info = AdapterInfo(
        base=base.base,
        base_spec=base.id,
        architecture=base_architecture(source),
        max_seq_length=options.max_seq_length,
        options=asdict(options)
        | {
            "bf16": autocast == "bfloat16",
            "autocast": autocast,
            "device": placement.device,
            "target_modules": target_modules,
        },
        data={
            **data.sources,
            "train_pairs": len(data.train),
            "heldout_pairs": len(data.heldout),
            "hard_negatives": options.hard_negatives,
            # Names the held-out pairs, so `adapters eval --pairs FILE` finds exactly them.
            "heldout_fingerprints": sorted(pair_fingerprint(pair) for pair in data.heldout),
        },
        training={
            "command": command,
            "seconds": round(seconds, 1),
            "steps": state.global_step,
            "best_step": _best_step(state.best_model_checkpoint),
            "stopped_early": state.global_step < state.max_steps,
            "reload_max_difference": reload_difference,
        },
        heldout={"base": heldout_base, "adapter": heldout_adapter},
    )
    write_adapter_info(staged, info)
    publish_adapter(staged, out)
    shutil.rmtree(work, ignore_errors=True)
    return TrainingResult(out, info, seconds, model)


# The query and value projections of architectures peft has no default for (the study adapts
# query and value); None leaves the choice to peft (BERT: "query", "value").
_QUERY_VALUE = {"mpnet": ["q", "v"]}


def _target_modules(model: Any, chosen: tuple[str, ...] | None) -> list[str] | None:
    if chosen:
        return list(chosen)
    return _QUERY_VALUE.get(getattr(model[0].auto_model.config, "model_type", ""))


def record_base(adapter_dir: Path, base: str) -> list[str]:
    """Name the spec's base in peft's config (not the venv path it wrote); the target modules."""
    config_file = adapter_dir / PEFT_CONFIG
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = base
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return sorted(config.get("target_modules") or [])


def _best_step(checkpoint: str | None) -> int | None:
    return int(checkpoint.rsplit("-", 1)[-1]) if checkpoint else None


def _trainer(
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
    metric = "eval_heldout_cosine_ndcg@10"
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
        metric_for_best_model=metric,
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
        evaluator=_heldout_evaluator(base, heldout),
        callbacks=[EarlyStoppingCallback(early_stopping_patience=options.patience)],
    )
