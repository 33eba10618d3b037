"""An adapter folder: peft's files, our record of how it was made, its card, and safe publishing.

Besides peft's `adapter_config.json` and `adapter_model.safetensors`, a CardioRAG adapter
holds `cardiorag_adapter.json` (base, data, hyper-parameters, timings, scores) and a
`README.md` model card rendered from it. peft's config records the base as an absolute path
in the trainer's venv, which means nothing elsewhere; our record names the spec's base.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from adapters.adapter_info import AdapterInfo
from adapters.errors import AdapterBaseMismatchError, AdapterError
from adapters.model_card import render_model_card

INFO_FILE = "cardiorag_adapter.json"
PEFT_CONFIG = "adapter_config.json"
PEFT_WEIGHTS = "adapter_model.safetensors"
CARD_FILE = "README.md"


def base_architecture(model_dir: str | Path) -> dict[str, Any]:
    """The base's shape from its `config.json`: what an adapter's weights must fit."""
    config_file = Path(model_dir) / "config.json"
    if not config_file.is_file():
        return {}
    config = json.loads(config_file.read_text(encoding="utf-8"))
    return {key: config.get(key) for key in ("model_type", "hidden_size", "num_hidden_layers")}


def local_adapter_dir(adapter_ref: str | None) -> Path | None:
    """A spec's `adapter` as a local folder; None when it has none or it names a hub repo.

    One rule for the CLI, the app and loading: a `~` path is the user's folder.
    """
    if not adapter_ref:
        return None
    folder = Path(adapter_ref).expanduser()
    return folder if folder.is_dir() else None


def read_adapter_info(adapter_dir: Path) -> AdapterInfo | None:
    """Our record of an adapter, or None for adapters made elsewhere."""
    info_file = adapter_dir / INFO_FILE
    if not info_file.is_file():
        return None
    return AdapterInfo.model_validate_json(info_file.read_text(encoding="utf-8"))


def write_adapter_info(adapter_dir: Path, info: AdapterInfo) -> None:
    """Write the record and re-render the model card from it."""
    (adapter_dir / INFO_FILE).write_text(info.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (adapter_dir / CARD_FILE).write_text(render_model_card(info), encoding="utf-8")


def adapter_fingerprint(adapter_ref: str) -> str:
    """A hash of a local adapter's weights and peft config, else its ref.

    Why both: retraining changes the weights, and another lora_alpha or target list changes the
    vectors from the same weights; either must change the spec hash (so stale embeddings are
    found) and the adapter's name on a shared base (so one is never taken for the other).
    """
    folder = Path(adapter_ref).expanduser()
    weights = folder / PEFT_WEIGHTS
    if not weights.is_file():
        return adapter_ref
    digest = hashlib.sha256(weights.read_bytes())
    config = folder / PEFT_CONFIG
    if config.is_file():
        digest.update(json.dumps(json.loads(config.read_text()), sort_keys=True).encode())
    return digest.hexdigest()[:16]


def _lora_input_sizes(adapter_dir: Path) -> set[int]:
    """in_features of every LoRA A matrix, read from the safetensors header only."""
    from safetensors import safe_open

    sizes = set()
    with safe_open(str(adapter_dir / PEFT_WEIGHTS), framework="pt") as weights:
        for key in weights.keys():  # noqa: SIM118 - safe_open has no __iter__
            if "lora_A" in key:
                sizes.add(int(weights.get_slice(key).get_shape()[-1]))
    return sizes


def check_adapter_fits(spec_id: str, base: str, base_dir: str, adapter_dir: Path) -> None:
    """Fail before any weights load when an adapter was made for another base.

    Raises:
        AdapterBaseMismatchError: When our record names another base or architecture, or
            (for adapters made elsewhere) its LoRA matrices do not fit the base's hidden size.
        AdapterError: When the folder lacks peft's files.
    """
    for name in (PEFT_CONFIG, PEFT_WEIGHTS):
        if not (adapter_dir / name).is_file():
            raise AdapterError(f"model {spec_id!r}: {adapter_dir} has no {name}")
    architecture = base_architecture(base_dir)
    info = read_adapter_info(adapter_dir)
    if info is not None and info.base != base:
        raise AdapterBaseMismatchError(
            spec_id,
            str(adapter_dir),
            f"it was trained on {info.base!r}, the spec's base is {base!r}",
        )
    if info is not None and architecture and info.architecture != architecture:
        raise AdapterBaseMismatchError(
            spec_id,
            str(adapter_dir),
            f"it was trained on a {info.architecture}, the base is a {architecture}",
        )
    hidden = architecture.get("hidden_size")
    sizes = _lora_input_sizes(adapter_dir)
    if hidden and sizes and sizes != {hidden}:
        raise AdapterBaseMismatchError(
            spec_id,
            str(adapter_dir),
            f"its LoRA weights take inputs of size {sorted(sizes)}, the base's hidden size is "
            f"{hidden}",
        )


def record_base(adapter_dir: Path, base: str) -> list[str]:
    """Name the spec's base in peft's config (not the venv path it wrote); the target modules."""
    config_file = adapter_dir / PEFT_CONFIG
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = base
    config_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return sorted(config.get("target_modules") or [])


def publish_adapter(staged: Path, out: Path) -> None:
    """Move a finished adapter folder to `out`, replacing what is there only at the last step.

    The old folder is first renamed aside, then the new one renamed in, then the old one
    deleted: at every moment `out` is either the old adapter or the new one.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = out.with_name(out.name + ".previous")
    if previous.exists():
        shutil.rmtree(previous)
    if out.exists():
        os.replace(out, previous)
    try:
        os.replace(staged, out)
    except OSError:
        if previous.exists():
            os.replace(previous, out)
        raise
    shutil.rmtree(previous, ignore_errors=True)
