"""What the Models page says of a spec: where its weights come from, its size, its card.

Facts that need the weights (dimension, parameters) are measured only for models loaded in
this process: loading is an explicit click, not a side effect of opening the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters import Encoder, ModelSpec
from adapters.adapter_files import CARD_FILE, PEFT_WEIGHTS, local_adapter_dir, read_adapter_info
from adapters.adapter_info import AdapterInfo

MEGABYTE = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Measured:
    """A loaded model's shape: embedding dimension, parameters (base + adapter) and size."""

    dimension: int
    parameters: int
    megabytes: float


def measure(encoder: Encoder) -> Measured:
    """Count the loaded model's parameters (the shared base and every attached adapter)."""
    parameters = list(encoder.model.parameters())
    count = sum(p.numel() for p in parameters)
    size = sum(p.numel() * p.element_size() for p in parameters)
    return Measured(encoder.dimension, count, size / MEGABYTE)


def adapter_megabytes(spec: ModelSpec) -> float | None:
    """Size of the LoRA weights on disk."""
    folder = local_adapter_dir(spec.adapter)
    weights = folder / PEFT_WEIGHTS if folder else None
    return weights.stat().st_size / MEGABYTE if weights and weights.is_file() else None


def adapter_info(spec: ModelSpec) -> AdapterInfo | None:
    """CardioRAG's record of how the adapter was trained and scored."""
    folder = local_adapter_dir(spec.adapter)
    return read_adapter_info(folder) if folder else None


def model_card(spec: ModelSpec) -> str | None:
    """The adapter's model card (README.md) without its YAML front matter."""
    folder = local_adapter_dir(spec.adapter)
    card = folder / CARD_FILE if folder else None
    if card is None or not card.is_file():
        return None
    text = card.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        text = text.split("\n---\n", 1)[-1]
    return text


def heldout_rows(info: AdapterInfo) -> list[dict[str, object]]:
    """The adapter's held-out scores beside its base's, one row per metric."""
    base, adapter = info.heldout.get("base", {}), info.heldout.get("adapter", {})
    metrics = [key for key in base if isinstance(base[key], int | float)]
    return [{"metric": m, "base": base[m], "adapter": adapter.get(m)} for m in metrics]
