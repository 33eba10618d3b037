"""int8 encoders: dynamic int8 quantization of a model's Linear layers, LoRA adapters merged.

Why: on a CPU without native bf16 but with avx512_vnni, int8 encodes faster than fp32, and the
encoder is the bottleneck of ingest. Weights are quantized per output channel (per tensor lost
too much) and activations on the fly, so no calibration data is needed (docs/benchmarks.md).

A LoRA adapter cannot stay a separate branch over quantized weights (peft wraps the fp32
Linear), so it is merged into the base weights first: an int8 spec with an adapter gets its
own copy of the base, never the shared one.
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


def merge_lora(model: SentenceTransformer) -> int:
    """Fold every loaded LoRA adapter into its base Linear and drop the LoRA wrappers.

    Returns the number of layers merged.
    """
    from peft.tuners.lora import LoraLayer

    transformer = model[0].auto_model
    wrapped = [
        (name, module)
        for name, module in transformer.named_modules()
        if isinstance(module, LoraLayer)
    ]
    for name, module in wrapped:
        module.merge()
        parent_name, _, child = name.rpartition(".")
        parent = transformer.get_submodule(parent_name) if parent_name else transformer
        setattr(parent, child, module.get_base_layer())
    return len(wrapped)


def quantize_int8(model: SentenceTransformer) -> int:
    """Replace the transformer's Linear layers, in place, by dynamically quantized int8 ones.

    Returns the number of layers quantized.
    """
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    transformer = model[0].auto_model
    with warnings.catch_warnings():
        # torch points eager quantization users at torchao; the eager path needs no extra package.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        quantize_dynamic(transformer, {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=True)
    quantized = sum(
        1 for module in transformer.modules() if type(module).__name__ == "Linear"
        and type(module).__module__.startswith("torch.ao.nn.quantized")
    )  # fmt: skip
    logger.debug("quantized %d Linear layers to int8", quantized)
    return quantized
