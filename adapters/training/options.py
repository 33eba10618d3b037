"""The hyper-parameters of one LoRA run, and the mixed precision they ask for."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from adapters.placement import AUTO_PLACEMENT, Placement, PlacementRequest


@dataclass(frozen=True, slots=True)
class TrainingOptions:
    """Hyper-parameters of one run: the cardiology study's LoRA settings where they fit a CPU.

    The learning rate is higher than the study's: a CPU affords far fewer steps, and LoRA
    learns at a higher rate than full fine-tuning.
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
    # the memory, for more compute (docs/adapters.md, "Memory").
    mini_batch_size: int | None = None
    # Where the base runs and which dtype it is served in (`Settings.placement`); the record
    # keeps the resolved device and autocast rather than the request.
    placement: PlacementRequest = AUTO_PLACEMENT

    def recorded(self) -> dict[str, Any]:
        """The hyper-parameters as the adapter's record and a resumed run's plan keep them."""
        return {name: value for name, value in asdict(self).items() if name != "placement"}

    def autocast_dtype(self, placement: Placement) -> str:
        """Mixed precision of the run: float32 master weights, autocast in the returned dtype.

        Follows the device's dtype (bf16 only where it is native: emulated it is slow), unless
        `bf16` says otherwise.
        """
        if self.bf16 is not None:
            return "bfloat16" if self.bf16 else "float32"
        return placement.dtype if placement.dtype in ("bfloat16", "float16") else "float32"
