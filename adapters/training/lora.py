"""Train a LoRA adapter on text pairs and publish it with its record and model card.

The run works in `<out>.partial/`: checkpoints land there (so `resume=True` continues a run
that was cut off), the finished adapter is written there, checked, and only then renamed to
`<out>`. An interrupted run therefore never leaves a half-written adapter where a good one was.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from adapters.adapter_files import (
    base_architecture,
    publish_adapter,
    record_base,
    write_adapter_info,
)
from adapters.adapter_info import AdapterInfo
from adapters.errors import AdapterError
from adapters.placement import placement_for
from adapters.specs import ModelSpec
from adapters.training.heldout import heldout_scores
from adapters.training.options import TrainingOptions
from adapters.training.pairs import TrainingData, pair_fingerprint
from adapters.training.trainer import build_trainer, load_base, with_hard_negatives
from adapters.training.workdir import ledger_callback, prepare_workdir, read_ledger
from adapters.weights import resolve_base

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


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
        name: value for name, value in options.recorded().items() if name != "mini_batch_size"
    }
    return {
        "base": base.base,
        "base_spec_hash": base.spec_hash,
        "options": options_that_matter,
        "train_pairs": len(data.train),
        "heldout_pairs": len(data.heldout),
        "sources": data.sources,
    }


# Both sides of the reload check compute in float32 (master weights, autocast removed), where the
# same weights give the same vectors to rounding; a lost or ignored adapter moves them far more.
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
    reloaded = load_base(base, source, max_len, str(model.device))
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
    placement = placement_for(base, options.placement)
    started = time.perf_counter()
    model = load_base(base, source, options.max_seq_length, placement.device)
    train_pairs = data.train
    if options.hard_negatives:
        logger.info(
            "mining %d hard negative(s) per pair with the base model", options.hard_negatives
        )
        train_pairs = with_hard_negatives(model, train_pairs, options.hard_negatives, options.seed)
    ledger = read_ledger(work) if checkpoint else {}
    if "heldout_base" not in ledger:
        logger.info("held-out scores of the base model (%d pairs)", len(data.heldout))
        ledger["heldout_base"] = heldout_scores(model, base, data.heldout, options.seed)
    heldout_base = ledger["heldout_base"]
    earlier_seconds = float(ledger.get("seconds", 0.0))
    trainer = build_trainer(
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
    heldout_adapter = heldout_scores(model, base, data.heldout, options.seed)
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
        options=options.recorded()
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


def _best_step(checkpoint: str | None) -> int | None:
    return int(checkpoint.rsplit("-", 1)[-1]) if checkpoint else None
