"""Register an adapter as a model spec in the user's models.toml, keeping the file's comments."""

from __future__ import annotations

import os
from pathlib import Path

from adapters.adapter_files import read_adapter_info
from adapters.errors import AdapterError
from adapters.specs import ModelSpec


def adapter_spec(
    spec_id: str,
    adapter_dir: Path,
    base: ModelSpec,
    *,
    description: str = "",
    scale: float = 1.0,
) -> ModelSpec:
    """A spec for `adapter_dir` on `base`: the base's prefixes, and the adapter's training length.

    The adapter was trained to read `max_seq_length` tokens, so its record wins over the base's.
    `scale` weighs its update (see ModelSpec.adapter_scale).
    """
    info = read_adapter_info(adapter_dir)
    max_seq_length = base.max_seq_length
    if info is not None:
        if info.base != base.base:
            raise AdapterError(
                f"{adapter_dir} was trained on {info.base!r}, not on {base.id!r} ({base.base!r})"
            )
        max_seq_length = info.max_seq_length
    return ModelSpec.model_validate(
        base.model_dump()
        | {
            "id": spec_id,
            "adapter": str(adapter_dir.resolve()),
            "adapter_scale": scale,
            "max_seq_length": max_seq_length,
            "description": description or f"{base.id} + LoRA adapter {adapter_dir.name}",
            "install_hint": "",
        }
    )


def register_spec(models_file: Path, spec: ModelSpec, *, overwrite: bool = False) -> None:
    """Add `spec` as `[models.<id>]` to `models_file` (created if absent); atomic rewrite.

    Raises:
        AdapterError: When the id is registered already and `overwrite` is false.
    """
    import tomlkit

    document = (
        tomlkit.parse(models_file.read_text(encoding="utf-8"))
        if models_file.exists()
        else tomlkit.document()
    )
    models = document.setdefault("models", tomlkit.table(is_super_table=True))
    if spec.id in models and not overwrite:
        raise AdapterError(f"{models_file} already defines model {spec.id!r}; pass --overwrite")
    table = tomlkit.table()
    defaults = ModelSpec(id=spec.id, base=spec.base)
    for name, value in spec.model_dump(exclude={"id"}).items():
        if value is not None and (name == "base" or value != getattr(defaults, name)):
            table[name] = value
    models[spec.id] = table
    staged = models_file.with_name(models_file.name + ".tmp")
    staged.write_text(tomlkit.dumps(document), encoding="utf-8")
    os.replace(staged, models_file)
